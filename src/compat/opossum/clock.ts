import { demandPageTime, pageNowMs32, pageParked } from '../../core/codec';
import { core } from '../../core/select';

const page = core.clockPage();
let lastMs = -Infinity;
let last32 = 0;

/**
 * Monotonic milliseconds (the core's clock) for latencies, bucket rotation and deadlines. Read
 * from the clock page the native clock thread refreshes every millisecond, so a guarded call does
 * not pay for Date.now(); when the page is parked (idle, or the reference core) it asks the core.
 * Whole milliseconds, like the Date.now() differences opossum reports.
 */
export function monotonicMs(): number {
  demandPageTime(page);
  if (!pageParked(page) && lastMs !== -Infinity) {
    const now32 = pageNowMs32(page);
    // The page holds the low 32 bits: add the (wrapping) step since the last read.
    const step = (now32 - last32) | 0;
    if (step > 0) {
      lastMs += step;
      last32 = now32;
    }
    return lastMs;
  }
  return freshMonotonicMs();
}

/**
 * monotonicMs() asked of the core itself (~40 ns), for the rare moments a stale page would show:
 * the clock thread may not have run for a while on a starved machine, and a call that timed out
 * must not report a latency shorter than its timeout. Later page reads never go back behind it.
 */
export function freshMonotonicMs(): number {
  const ms = Math.floor(core.monotonicNowUs() / 1000); // also wakes the clock page
  if (ms > lastMs) {
    lastMs = ms;
    last32 = ms | 0;
  }
  return lastMs;
}
