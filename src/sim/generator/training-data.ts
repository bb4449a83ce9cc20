import type { CircuitBreaker } from '../../breaker';
import { CoreFeatureExtractor } from '../../features/core-features';
import { LabelledRows, labellingHorizon, type FamilyRows } from '../labelled-rows';
import { playRun, type RunHooks } from './run';
import type { Family } from './families';

/** Labelled rows of generated runs, with each row's family, breaker and time. */
export interface GeneratedData extends FamilyRows {
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
  const isFamily = (f: unknown): boolean => typeof (f as Family)?.name === 'string';
  const rows = new LabelledRows(labellingHorizon(options, isFamily));
  let seriesId = 0;
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
      for (const sample of samples) rows.add(sample.row, sample.atMs, trips, familyIndex, seriesId);
      seriesId++;
      options.onRun?.(definition.name, seed, rows.count);
    }
  }
  return {
    ...rows.finish(options.families.map((f) => f.name)),
    familyHealthy: options.families.map((f) => f.healthy),
  };
}
