import type * as CoreFeatures from '../features/core-features';
import type { Entry } from './entry';

const CORE_FEATURES_MODULE = Symbol.for('breakwater.coreFeatures');

/**
 * The feature extractor, loaded with the first summary: `require('breakwater')` never parses it
 * (the main entry's budget: 16 KB of 150), and most registries never write a summary. The test
 * suite, which runs the TypeScript sources, puts the module there first (test/core-features-module.ts).
 */
function coreFeatures(): typeof CoreFeatures {
  const shared = globalThis as typeof globalThis & { [CORE_FEATURES_MODULE]?: typeof CoreFeatures };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (shared[CORE_FEATURES_MODULE] ??= require('../features/core-features') as typeof CoreFeatures);
}

/**
 * The registry's 'window' summaries: for every breaker that saw calls since its last one, its
 * early-warning feature row (CORE_FEATURES, read for all of them in one pass), so a model can later
 * be trained on the history and score live breakers with the same features.
 */
export class WindowSummaries {
  /** Made with the first summary: most registries never write one. */
  private features: CoreFeatures.CoreFeatureExtractor | undefined;

  /** Calls `record` with the 'window' detail of each busy entry. */
  summarize(
    entries: Iterable<Entry>,
    nowMs: number,
    record: (entry: Entry, detail: { featureList: string; features: (number | null)[] }) => void,
  ): void {
    const busy: Entry[] = [];
    for (const entry of entries) {
      if (!entry.breaker.active) continue;
      const activity = entry.breaker.activity();
      if (activity === entry.summarizedActivity) continue;
      entry.summarizedActivity = activity;
      busy.push(entry);
    }
    if (busy.length === 0) return;
    const { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor } = coreFeatures();
    const rows = (this.features ??= new CoreFeatureExtractor()).extract(
      busy.map((entry) => entry.breaker),
      nowMs,
    );
    const featureList = `${CORE_FEATURES.name}@${CORE_FEATURES.version}`;
    busy.forEach((entry, i) => {
      const features = Array.from(rows.subarray(i * CORE_FEATURE_COUNT, (i + 1) * CORE_FEATURE_COUNT), (value) =>
        Number.isNaN(value) ? null : value,
      );
      record(entry, { featureList, features });
    });
  }
}
