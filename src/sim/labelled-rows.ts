import type { TimedRows } from '../adaptive/evaluate';
import { show } from '../error-message';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../features/core-features';

/** Rows of one family after another, each labelled by whether its breaker tripped within the horizon. */
export interface FamilyRows extends TimedRows {
  /** Index into `familyNames` for each row. */
  readonly family: Uint8Array;
  readonly familyNames: readonly string[];
}

/** What both simulators' training rows are asked for: families, seeds and the horizon. */
export interface LabellingOptions {
  readonly families: readonly unknown[];
  readonly seeds: readonly number[];
  readonly horizonMs?: number;
}

const isSeed = (seed: unknown): boolean =>
  Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= 0xffffffff;

/**
 * The horizon in ms (default 10 s), once families and seeds are checked: before the first run, not
 * by the run that meets a bad seed minutes later. `isFamily` says whether an entry can be played.
 */
export function labellingHorizon(options: LabellingOptions, isFamily: (family: unknown) => boolean): number {
  const horizonMs = options.horizonMs ?? 10_000;
  if (!Number.isInteger(horizonMs) || horizonMs < 1)
    throw new RangeError(`breakwater/chaos: option "horizonMs" must be an integer >= 1, got ${show(horizonMs)}`);
  const { families, seeds } = options;
  if (!Array.isArray(families) || families.length === 0 || families.length > 255)
    throw new RangeError(
      `breakwater/chaos: option "families" must be an array of 1 to 255 families, got ${show(families)}`,
    );
  const notFamily = families.findIndex((family) => !isFamily(family));
  if (notFamily >= 0)
    throw new TypeError(
      `breakwater/chaos: option "families" must hold families to play, got ${show(families[notFamily])} at index ${notFamily}`,
    );
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every(isSeed))
    throw new RangeError(
      `breakwater/chaos: option "seeds" must be a non-empty array of integers from 0 to 4294967295, got ${show(seeds)}`,
    );
  return horizonMs;
}

/** Feature rows gathered run by run, labelled 1 when their breaker tripped within the horizon. */
export class LabelledRows {
  private readonly rows: Float32Array[] = [];
  private readonly labels: number[] = [];
  private readonly family: number[] = [];
  private readonly secondsToTrip: number[] = [];
  private readonly series: number[] = [];
  private readonly atMs: number[] = [];

  constructor(private readonly horizonMs: number) {}

  get count(): number {
    return this.rows.length;
  }

  /** One closed breaker's row at `atMs`, labelled by the first of its run's trips (ms, ascending) after it. */
  add(row: Float32Array, atMs: number, trips: readonly number[], familyIndex: number, seriesId: number): void {
    const next = trips.find((at) => at > atMs);
    const msToTrip = next === undefined ? Infinity : next - atMs;
    this.rows.push(row);
    this.labels.push(msToTrip <= this.horizonMs ? 1 : 0);
    this.family.push(familyIndex);
    this.secondsToTrip.push(msToTrip / 1000);
    this.series.push(seriesId);
    this.atMs.push(atMs);
  }

  finish(familyNames: readonly string[]): FamilyRows {
    const features = new Float32Array(this.rows.length * CORE_FEATURE_COUNT);
    this.rows.forEach((row, i) => features.set(row, i * CORE_FEATURE_COUNT));
    return {
      featureList: CORE_FEATURES,
      features,
      labels: Uint8Array.from(this.labels),
      rowCount: this.rows.length,
      family: Uint8Array.from(this.family),
      familyNames,
      secondsToTrip: Float32Array.from(this.secondsToTrip),
      series: Uint32Array.from(this.series),
      atMs: Float64Array.from(this.atMs),
    };
  }
}
