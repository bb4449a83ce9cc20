import { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor } from '../features/core-features';
import type { Entry } from './entry';

/**
 * The registry's 'window' summaries: for every breaker that saw calls since its last one, its
 * early-warning feature row (CORE_FEATURES, read for all of them in one pass), so a model can later
 * be trained on the history and score live breakers with the same features.
 */
export class WindowSummaries {
  /** Made with the first summary: most registries never write one. */
  private features: CoreFeatureExtractor | undefined;

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
