/**
 * Shed calls never reach the service, so they never count in the breaker's window. A window of
 * many buckets then holds the buckets of an onset with fewer calls than the healthy ones before
 * them, and its failure rate crosses the threshold later than it would have without shedding: a
 * breaker with a 60 s window shedding a quarter of its calls tripped 3 s after the static breaker
 * in a run of `npm run bench:early-warning -- --seeds 16` (2026-12-07, trouble-ends, seed 30014),
 * its half-open round then met a service still failing, and it stayed open one period more (16.7
 * points of that run's client success). Shedding must never make the breaker's own rule trip later.
 * The failure-rate rule only: counting shed calls against the slow-call rule as well cost a run
 * of dependency-hangs 0.91 points (the family -0.15 against -0.02), tripping it 2-3 s before the
 * static breaker, since a slow call counts when it completes and a shed one would count at once.
 */

/** The window counts the rule reads (CircuitBreaker.getMetrics().window). */
export interface WindowCounts {
  readonly successes: number;
  readonly failures: number;
  /** Calls refused while closed: the ones shed (a close clears the window of the open period's). */
  readonly rejections: number;
}

/**
 * Whether the breaker's failure-rate rule trips on its window once the calls it shed count as
 * sent, each failing at the recent failure share (`recentFailureShare`, the share they would most
 * likely have met): the trip shedding held back. `failureRateThreshold` in percent (0: the rule is off).
 */
export function tripsCountingShed(
  window: WindowCounts,
  recentFailureShare: number,
  failureRateThreshold: number,
  minimumCalls: number,
): boolean {
  if (!(failureRateThreshold > 0) || !(window.rejections > 0) || !(recentFailureShare >= 0)) return false;
  const calls = window.successes + window.failures + window.rejections;
  if (calls < minimumCalls) return false;
  const failures = window.failures + window.rejections * Math.min(1, recentFailureShare);
  return (100 * failures) / calls >= failureRateThreshold;
}
