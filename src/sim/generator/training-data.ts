import type { CircuitBreaker } from '../../breaker';
import { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor } from '../../features/core-features';
import type { TimedRows } from '../../adaptive/evaluate';
import { playRun, type RunHooks } from './run';
import type { Family } from './families';

/** Labelled rows of generated runs, with each row's family, breaker and time. */
export interface GeneratedData extends TimedRows {
  /** Index into `familyNames` for each row. */
  readonly family: Uint8Array;
  readonly familyNames: readonly string[];
  /** Whether each family is a hard negative (healthy). */
  readonly familyHealthy: readonly boolean[];
}

export interface GeneratedDataOptions {
  readonly families: readonly Family[];
  readonly seeds: readonly number[];
  /** A row is positive when the reactive breaker trips within this many ms. Default 10000. */
  readonly horizonMs?: number;
  /** Called after each run. */
  readonly onRun?: (family: string, seed: number, rows: number) => void;
}

interface Sample {
  atMs: number;
  row: Float32Array;
}

/**
 * Plays every family and seed under the static (reactive) breaker with the run's drawn options, and
 * takes the breaker's feature row once per virtual second while it is closed, with the same
 * extractor that scores live breakers. A row is labelled 1 when that breaker tripped within the
 * horizon after it.
 */
export async function generateTrainingData(options: GeneratedDataOptions): Promise<GeneratedData> {
  const horizonMs = options.horizonMs ?? 10_000;
  if (!Number.isInteger(horizonMs) || horizonMs < 1)
    throw new RangeError(`breakwater/chaos: option "horizonMs" must be an integer >= 1, got ${String(horizonMs)}`);
  if (options.families.length === 0 || options.families.length > 255)
    throw new RangeError('breakwater/chaos: option "families" must hold 1 to 255 families');
  if (options.seeds.length === 0) throw new RangeError('breakwater/chaos: option "seeds" must hold at least one seed');
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  const family: number[] = [];
  const secondsToTrip: number[] = [];
  const series: number[] = [];
  const atMs: number[] = [];
  for (const [familyIndex, definition] of options.families.entries()) {
    for (const seed of options.seeds) {
      const extractor = new CoreFeatureExtractor();
      const samples: Sample[] = [];
      const hooks: RunHooks = {
        everySecond: (now: number, breaker: CircuitBreaker) => {
          const row = extractor.extract([breaker], now);
          if (breaker.getState() === 'closed') samples.push({ atMs: now, row });
        },
      };
      const { trips } = await playRun(definition, seed, hooks);
      const id = series.length === 0 ? 0 : series[series.length - 1] + 1;
      for (const sample of samples) {
        const next = trips.find((at) => at > sample.atMs);
        const toTrip = next === undefined ? Infinity : next - sample.atMs;
        rows.push(sample.row);
        labels.push(toTrip <= horizonMs ? 1 : 0);
        family.push(familyIndex);
        secondsToTrip.push(toTrip / 1000);
        series.push(id);
        atMs.push(sample.atMs);
      }
      options.onRun?.(definition.name, seed, rows.length);
    }
  }
  const features = new Float32Array(rows.length * CORE_FEATURE_COUNT);
  rows.forEach((row, i) => features.set(row, i * CORE_FEATURE_COUNT));
  return {
    featureList: CORE_FEATURES,
    features,
    labels: Uint8Array.from(labels),
    rowCount: rows.length,
    family: Uint8Array.from(family),
    familyNames: options.families.map((f) => f.name),
    familyHealthy: options.families.map((f) => f.healthy),
    secondsToTrip: Float32Array.from(secondsToTrip),
    series: Uint32Array.from(series),
    atMs: Float64Array.from(atMs),
  };
}
