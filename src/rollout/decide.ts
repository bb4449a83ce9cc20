import type { ResolvedRolloutOptions } from './options';
import type { VersionMetrics } from './version-window';

/** What an evaluation decides. */
export type RolloutAction = 'advance' | 'maintain' | 'rollback';

/** The watchdog's verdict on the current phase, before the controller acts on it. */
export interface Verdict {
  action: RolloutAction;
  reason: string;
  /** Whether this evaluation counts towards `consecutiveGoodEvaluations`. */
  good: boolean;
}

/** Where the phase stands, besides the two windows. */
export interface PhaseProgress {
  /** Time spent in the current phase. */
  msInPhase: number;
  /** Good evaluations in a row before this one. */
  goodStreak: number;
}

const fmt = (value: number): string => String(+value.toFixed(4));

/**
 * The watchdog. Rollback is immediate (no minimum time, no streak) when the new version is below
 * `rollbackThreshold`, over a latency limit, or (with the comparison on) worse than the old version
 * by more than the allowed margin, significantly (one-sided, 1%); it even comes before `minSamplesPerPhase` calls when the failures
 * already seen make a completion rate at or above `rollbackThreshold` impossible over that many calls.
 * Advancing needs `minSamplesPerPhase` calls, a completion rate at or above `advancementThreshold`,
 * the latency limits met, `consecutiveGoodEvaluations` good evaluations in a row and
 * `minPhaseDurationMs` in the phase. Everything in between maintains. Edges: a value exactly on a
 * threshold passes it (rates compare with <, latencies with >).
 */
export function judge(
  o: ResolvedRolloutOptions,
  fresh: VersionMetrics,
  old: VersionMetrics,
  progress: PhaseProgress,
): Verdict {
  const min = o.minSamplesPerPhase;
  if (fresh.calls < min) {
    // Even if every call still to come succeeded, the phase could not reach the rollback line.
    const bestCase = (fresh.successes + (min - fresh.calls)) / min;
    if (bestCase < o.rollbackThreshold) {
      return rollback(
        `${fresh.failures} failures in the first ${fresh.calls} calls: completion over ${min} calls can be at most ${fmt(bestCase)} < rollbackThreshold ${fmt(o.rollbackThreshold)}`,
      );
    }
    return {
      action: 'maintain',
      reason: `collecting samples: ${fresh.calls} of minSamplesPerPhase ${min}`,
      good: false,
    };
  }
  const rate = fresh.completionRate ?? 0;
  if (rate < o.rollbackThreshold)
    return rollback(`completion ${fmt(rate)} < rollbackThreshold ${fmt(o.rollbackThreshold)}`);
  const latencyBreach = latencyLimitBreached(o, fresh);
  if (latencyBreach !== undefined) return rollback(latencyBreach);
  if (o.compareWithOldVersion !== null) {
    if (old.calls < min)
      return {
        action: 'maintain',
        reason: `waiting for the old version's samples to compare: ${old.calls} of ${min}`,
        good: false,
      };
    const oldRate = old.completionRate ?? 0;
    const { maxCompletionRateDrop, maxLatencyRatio } = o.compareWithOldVersion;
    // A tiny epsilon: 0.9 - 0.05 is 0.8500000000000001 in binary, and an exact edge must pass.
    if (rate < oldRate - maxCompletionRateDrop - 1e-12) {
      const gap = `completion ${fmt(rate)} is more than maxCompletionRateDrop ${fmt(maxCompletionRateDrop)} below the old version's ${fmt(oldRate)}`;
      const z = shortfallZ(fresh, old);
      if (z >= SIGNIFICANT_Z) return rollback(`${gap} (significant: z ${fmt(z)} >= ${SIGNIFICANT_Z})`);
      return {
        action: 'maintain',
        reason: `${gap}, not yet significant (z ${fmt(z)} < ${SIGNIFICANT_Z}): holding`,
        good: false,
      };
    }
    if (
      fresh.meanLatencyMs !== null &&
      old.meanLatencyMs !== null &&
      fresh.meanLatencyMs > old.meanLatencyMs * maxLatencyRatio
    ) {
      return rollback(
        `mean latency ${fmt(fresh.meanLatencyMs)} ms > maxLatencyRatio ${fmt(maxLatencyRatio)} x the old version's ${fmt(old.meanLatencyMs)} ms`,
      );
    }
  }
  if (rate < o.minTaskCompletionRate) {
    return {
      action: 'maintain',
      reason: `completion ${fmt(rate)} < minTaskCompletionRate ${fmt(o.minTaskCompletionRate)}: holding`,
      good: false,
    };
  }
  if (rate < o.advancementThreshold) {
    return {
      action: 'maintain',
      reason: `completion ${fmt(rate)} < advancementThreshold ${fmt(o.advancementThreshold)}: holding`,
      good: false,
    };
  }
  const streak = progress.goodStreak + 1;
  if (streak < o.consecutiveGoodEvaluations) {
    return {
      action: 'maintain',
      reason: `good evaluation ${streak} of consecutiveGoodEvaluations ${o.consecutiveGoodEvaluations}`,
      good: true,
    };
  }
  if (progress.msInPhase < o.minPhaseDurationMs) {
    return {
      action: 'maintain',
      reason: `healthy, phase has lasted ${fmt(progress.msInPhase)} of minPhaseDurationMs ${fmt(o.minPhaseDurationMs)} ms`,
      good: true,
    };
  }
  return {
    action: 'advance',
    reason: `healthy: completion ${fmt(rate)} >= advancementThreshold ${fmt(o.advancementThreshold)} over ${fresh.calls} calls`,
    good: true,
  };
}

/**
 * The one-sided z for a 1% significance level. Each new-version failure and each evaluation tests
 * again, so one test's level must be small for a healthy version to survive a whole rollout.
 */
const SIGNIFICANT_Z = 2.326;

/**
 * How many standard errors the new version's completion rate lies below the old one's: the
 * Agresti-Caffo difference (one success and one failure added to each side), which stays honest
 * with the handful of failures a phase starts with, where the plain two-proportion test would call
 * one failure in 12 calls significant against an old version at 0.99.
 */
function shortfallZ(fresh: VersionMetrics, old: VersionMetrics): number {
  const freshRate = (fresh.successes + 1) / (fresh.calls + 2);
  const oldRate = (old.successes + 1) / (old.calls + 2);
  const variance = (freshRate * (1 - freshRate)) / (fresh.calls + 2) + (oldRate * (1 - oldRate)) / (old.calls + 2);
  return (oldRate - freshRate) / Math.sqrt(variance);
}

function rollback(reason: string): Verdict {
  return { action: 'rollback', reason, good: false };
}

/** The first latency limit the new version's window is over, as a reason; undefined when none. */
function latencyLimitBreached(o: ResolvedRolloutOptions, fresh: VersionMetrics): string | undefined {
  const limits: Array<[string, number | null, number]> = [
    ['mean latency', fresh.meanLatencyMs, o.maxLatencyMs],
    ['p90 latency', fresh.p90LatencyMs, o.maxP90LatencyMs],
    ['p99 latency', fresh.p99LatencyMs, o.maxP99LatencyMs],
  ];
  const option = ['maxLatencyMs', 'maxP90LatencyMs', 'maxP99LatencyMs'];
  for (let i = 0; i < limits.length; i++) {
    const [what, value, limit] = limits[i];
    if (limit > 0 && value !== null && value > limit) return `${what} ${fmt(value)} ms > ${option[i]} ${fmt(limit)} ms`;
  }
  return undefined;
}
