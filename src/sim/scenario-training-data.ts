import type { CircuitBreaker } from '../breaker';
import type { ManualClock } from '../clock';
import { BreakerEdge } from './guards';
import type { EdgeContext, Policy } from './policy';
import { STATIC_BREAKER_OPTIONS } from './policies';
import { runScenario } from './run';
import type { RunSize, ScenarioDefinition } from './scenario';
import { CoreFeatureExtractor } from '../features/core-features';
import { LabelledRows, labellingHorizon, type FamilyRows } from './labelled-rows';

export interface SimulationDataOptions {
  /** Scenario families to simulate (SCENARIOS or a subset). */
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
export type SimulationData = FamilyRows;

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
}

/**
 * Runs scenario families under the static breaker and labels every second of every closed edge
 * breaker: 1 when that breaker tripped within `horizonMs`. The rows are the early-warning model's
 * features (CORE_FEATURES), taken by the same extractor that scores live breakers.
 */
export async function simulationTrainingData(options: SimulationDataOptions): Promise<SimulationData> {
  const isScenario = (f: unknown): boolean =>
    typeof (f as ScenarioDefinition)?.build === 'function' && typeof (f as ScenarioDefinition)?.name === 'string';
  const rows = new LabelledRows(labellingHorizon(options, isScenario));
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
        let id = seriesIds.get(sample.breaker);
        if (id === undefined) seriesIds.set(sample.breaker, (id = seriesIds.size));
        rows.add(sample.row, sample.atMs, recorder!.trips(sample.breaker), familyIndex, id);
      }
      options.onRun?.(definition.name, seed, rows.count);
    }
  }
  return rows.finish(options.families.map((f) => f.name));
}
