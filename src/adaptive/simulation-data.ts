import type { CircuitBreaker } from '../breaker';
import type { ManualClock } from '../clock';
import { BreakerEdge } from '../sim/guards';
import type { EdgeContext, Policy } from '../sim/policy';
import { STATIC_BREAKER_OPTIONS } from '../sim/policies';
import { runScenario } from '../sim/run';
import type { RunSize, ScenarioDefinition } from '../sim/scenario';
import { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor } from '../features/core-features';
import type { TrainingSet } from './dataset';

export interface SimulationDataOptions {
  /** Scenario families to simulate (B's SCENARIOS or a subset). */
  families: readonly ScenarioDefinition[];
  /** Seeds per family: each is a different, reproducible run. */
  seeds: readonly number[];
  /** Run size. Default 'quick'. */
  size?: RunSize;
  /** A row is positive when its breaker trips within this many ms. Default 10000. */
  horizonMs?: number;
  /** Called after each run with the family, the seed and the rows so far. */
  onRun?: (family: string, seed: number, rows: number) => void;
}

/** Labelled rows from the simulator, with the family of each row (for held-out evaluation). */
export interface SimulationData extends TrainingSet {
  /** Index into `familyNames` for each row. */
  readonly family: Uint8Array;
  readonly familyNames: readonly string[];
  /** Seconds from each row to its breaker's next trip (Infinity when none came in the run). */
  readonly secondsToTrip: Float32Array;
  /** Which breaker of which run each row belongs to (rows of a series are in time order). */
  readonly series: Uint32Array;
  /** Each row's virtual time in its run, ms. */
  readonly atMs: Float64Array;
}

/** One feature row taken once per simulated second while the edge's breaker was closed. */
interface Sample {
  breaker: CircuitBreaker;
  atMs: number;
  row: Float32Array;
}

/** The static breaker, observed: every simulated second it records the edge's feature row. */
class RecordingEdge extends BreakerEdge {
  constructor(
    edge: EdgeContext,
    private readonly recorder: RunRecorder,
  ) {
    super(BreakerEdge.breakerFor(edge, STATIC_BREAKER_OPTIONS));
    this.breaker.on('open', (change) => {
      if (change.reason !== 'predicted') recorder.trips(this.breaker).push(change.at);
    });
  }

  tick(nowMs: number): void {
    this.recorder.sample(this.breaker, nowMs);
  }
}

/** What one run recorded: rows of closed breakers and every breaker's trip times. */
class RunRecorder {
  readonly samples: Sample[] = [];
  private readonly tripTimes = new Map<CircuitBreaker, number[]>();
  private readonly extractor = new CoreFeatureExtractor();

  trips(breaker: CircuitBreaker): number[] {
    let times = this.tripTimes.get(breaker);
    if (times === undefined) this.tripTimes.set(breaker, (times = []));
    return times;
  }

  sample(breaker: CircuitBreaker, nowMs: number): void {
    const row = this.extractor.extract([breaker], nowMs);
    if (breaker.getState() === 'closed') this.samples.push({ breaker, atMs: nowMs, row });
  }

  /** Milliseconds from a sample to its breaker's next trip, or Infinity. */
  timeToTrip(sample: Sample): number {
    const next = (this.tripTimes.get(sample.breaker) ?? []).find((at) => at > sample.atMs);
    return next === undefined ? Infinity : next - sample.atMs;
  }
}

/**
 * Runs scenario families under the static breaker and labels every second of every closed edge
 * breaker: 1 when that breaker tripped within `horizonMs`. The rows are the early-warning model's
 * features (CORE_FEATURES), taken by the same extractor that scores live breakers.
 */
export async function simulationTrainingData(options: SimulationDataOptions): Promise<SimulationData> {
  const horizonMs = options.horizonMs ?? 10_000;
  if (!Number.isInteger(horizonMs) || horizonMs < 1)
    throw new RangeError(`breakwater/adaptive: option "horizonMs" must be an integer >= 1, got ${String(horizonMs)}`);
  if (!Array.isArray(options.families) || options.families.length === 0)
    throw new TypeError('breakwater/adaptive: option "families" must be a non-empty array of scenarios');
  if (options.families.length > 255)
    throw new RangeError('breakwater/adaptive: option "families" holds at most 255 scenarios');
  if (!Array.isArray(options.seeds) || options.seeds.length === 0)
    throw new TypeError('breakwater/adaptive: option "seeds" must be a non-empty array of integers');
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  const family: number[] = [];
  const secondsToTrip: number[] = [];
  const series: number[] = [];
  const atMs: number[] = [];
  const seriesIds = new Map<CircuitBreaker, number>();
  for (const [familyIndex, definition] of options.families.entries()) {
    for (const seed of options.seeds) {
      const recorders = new WeakMap<ManualClock, RunRecorder>();
      let recorder: RunRecorder | undefined;
      const policy: Policy = {
        name: 'recording',
        description: 'the static breaker, observed once per simulated second',
        guard: (edge) => {
          let own = recorders.get(edge.clock);
          if (own === undefined) recorders.set(edge.clock, (own = new RunRecorder()));
          recorder = own;
          return new RecordingEdge(edge, own);
        },
      };
      const size = options.size ?? 'quick';
      await runScenario(definition.build(size), policy, { seed, size });
      for (const sample of recorder?.samples ?? []) {
        const toTrip = recorder!.timeToTrip(sample);
        rows.push(sample.row);
        labels.push(toTrip <= horizonMs ? 1 : 0);
        family.push(familyIndex);
        secondsToTrip.push(toTrip / 1000);
        let id = seriesIds.get(sample.breaker);
        if (id === undefined) seriesIds.set(sample.breaker, (id = seriesIds.size));
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
    secondsToTrip: Float32Array.from(secondsToTrip),
    series: Uint32Array.from(series),
    atMs: Float64Array.from(atMs),
  };
}
