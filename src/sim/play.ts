import type { BucketSeries } from './measures';
import type { SimulationClock } from './simulation-clock';

/** Width of the buckets outcomes are counted in, ms. */
export const BUCKET_MS = 1_000;
/** Points per success-rate chart. */
const CHART_POINTS = 240;

/**
 * Plays virtual time to `durationMs`, reporting the share done about 50 times. Shared by every kind
 * of run (breaker scenarios, rollouts, pools) so they step time the same way.
 */
export async function playUntil(
  clock: SimulationClock,
  durationMs: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  let reported = 0;
  // Simulated failures are values, never shown with a stack: capturing one for each of the
  // thousands of errors a run makes would cost more than the rest of the run.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await clock.runUntil(durationMs, (now) => {
      if (onProgress !== undefined && now - reported >= durationMs / 50) {
        reported = now;
        onProgress(now / durationMs);
      }
    });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** The success rate in CHART_POINTS buckets over the run (null where nothing finished). */
export function successTimeline(
  series: BucketSeries,
  durationMs: number,
): { bucketMs: number; successRate: Array<number | null> } {
  const per = Math.max(1, Math.ceil(durationMs / series.bucketMs / CHART_POINTS));
  const successRate: Array<number | null> = [];
  for (let start = 0; start * series.bucketMs < durationMs; start += per) {
    let requests = 0;
    let successes = 0;
    for (let b = start; b < start + per && b < series.requests.length; b++) {
      requests += series.requests[b];
      successes += series.successes[b];
    }
    successRate.push(requests === 0 ? null : Math.round((successes / requests) * 10_000) / 10_000);
  }
  return { bucketMs: per * series.bucketMs, successRate };
}
