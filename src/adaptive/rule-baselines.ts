import { CORE_FEATURES, USUAL_FAILURE_RATE_THRESHOLD, coreColumn as column } from '../features/core-features';
import type { TrainingSet } from './dataset';

/** A rule an early-warning model must beat, as a score per row: it acts at 1 and above. */
export interface RuleBaseline {
  readonly name: string;
  readonly description: string;
  /** One score per row of a set laid out as CORE_FEATURES. */
  scores(set: TrainingSet): Float64Array;
}

const WINDOW = column('failure_rate');
const RECENT = column('failure_rate_recent');
const RECENT_TO_THRESHOLD = column('failure_rate_recent_to_threshold');
const CONSECUTIVE_TO_THRESHOLD = column('consecutive_failures_to_threshold');
const WINDOW_CALLS_TO_MINIMUM = column('window_calls_to_minimum');
const SLOW_RECENT_TO_THRESHOLD = column('slow_call_rate_recent_to_threshold');
const SLOW_WINDOW_TO_THRESHOLD = column('slow_call_rate_to_threshold');

/** A rule's reading of the rate now from the recent quarter's and the window's (shares, or ratios to a threshold). */
type RateEstimate = (recent: number, window: number) => number;

/**
 * Scores per row from a rate estimate: failures over the breaker's threshold, slow calls over the
 * slow-call rule's (for a breaker with that rule), or its consecutive-failure ratio, the highest.
 */
function scoreRows(set: TrainingSet, estimate: RateEstimate): Float64Array {
  if (set.featureList.name !== CORE_FEATURES.name || set.featureList.version !== CORE_FEATURES.version) {
    throw new RangeError(
      `breakwater/adaptive: rule baselines score ${CORE_FEATURES.name}@${CORE_FEATURES.version} rows, got ${set.featureList.name}@${set.featureList.version}`,
    );
  }
  const width = CORE_FEATURES.features.length;
  const scores = new Float64Array(set.rowCount);
  const f = set.features;
  for (let i = 0; i < set.rowCount; i++) {
    const at = i * width;
    // Rates are 0 until the window holds minimumCalls: the rate rule cannot trip before that.
    const ready = f[at + WINDOW_CALLS_TO_MINIMUM] >= 1 ? 1 : f[at + WINDOW_CALLS_TO_MINIMUM];
    // 1 / the breaker's threshold, read back from a ratio column; both estimates are 0 when the recent rate is.
    const perThreshold = Number.isNaN(f[at + RECENT_TO_THRESHOLD])
      ? 1 / USUAL_FAILURE_RATE_THRESHOLD
      : f[at + RECENT] > 0
        ? f[at + RECENT_TO_THRESHOLD] / f[at + RECENT]
        : 0;
    const rate = estimate(f[at + RECENT], f[at + WINDOW]) * perThreshold * ready;
    const slow = estimate(f[at + SLOW_RECENT_TO_THRESHOLD], f[at + SLOW_WINDOW_TO_THRESHOLD]) * ready;
    const consecutive = f[at + CONSECUTIVE_TO_THRESHOLD];
    scores[i] = Math.max(orZero(rate), orZero(slow), orZero(consecutive));
  }
  return scores;
}

/** A rule that is off (NaN) scores nothing. */
const orZero = (score: number): number => (Number.isNaN(score) ? 0 : score);

/** The one-line rule: the recent quarter's failure rate over the breaker's threshold. */
export const RECENT_QUARTER_RULE: RuleBaseline = {
  name: 'recent-quarter rule',
  description: "recent-quarter failure (or slow-call) rate / the breaker's threshold (acts at >= 1)",
  scores: (set) => scoreRows(set, (recent) => recent),
};

/** Extrapolates the trend: the recent rate plus its rise over the window, one more quarter ahead. */
export const TREND_RULE: RuleBaseline = {
  name: 'trend-extrapolation rule',
  description:
    "recent rate + (recent - window rate), failures or slow calls, over the breaker's threshold (acts at >= 1)",
  scores: (set) => scoreRows(set, (recent, window) => Math.max(0, 2 * recent - window)),
};

export const RULE_BASELINES: readonly RuleBaseline[] = [RECENT_QUARTER_RULE, TREND_RULE];
