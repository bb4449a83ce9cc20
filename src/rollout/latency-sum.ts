/**
 * The sum of latencies over a rolling time window, in buckets. The core's windows keep counts,
 * rates and latency percentiles but no latency sum, and the watchdog's `maxLatencyMs` is on the
 * mean; this ring keeps just the sum and its count, with the same window length and bucket count
 * as the version's breaker. Fixed typed arrays: recording allocates nothing.
 */
export class LatencySum {
  private readonly bucketMs: number;
  private readonly epochs: Float64Array;
  private readonly sums: Float64Array;
  private readonly counts: Float64Array;

  constructor(windowMs: number, buckets: number) {
    this.bucketMs = windowMs / buckets;
    this.epochs = new Float64Array(buckets).fill(-1);
    this.sums = new Float64Array(buckets);
    this.counts = new Float64Array(buckets);
  }

  /** Adds one latency observed at `nowMs`. */
  add(latencyMs: number, nowMs: number): void {
    const epoch = Math.floor(nowMs / this.bucketMs);
    const slot = epoch % this.epochs.length;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.sums[slot] = 0;
      this.counts[slot] = 0;
    }
    this.sums[slot] += latencyMs;
    this.counts[slot]++;
  }

  /** The mean latency over the window ending at `nowMs`, or null when it holds none. */
  mean(nowMs: number): number | null {
    const current = Math.floor(nowMs / this.bucketMs);
    let sum = 0;
    let count = 0;
    for (let slot = 0; slot < this.epochs.length; slot++) {
      if (this.epochs[slot] > current - this.epochs.length) {
        sum += this.sums[slot];
        count += this.counts[slot];
      }
    }
    return count > 0 ? sum / count : null;
  }

  /** Forgets everything (a new phase is judged on its own traffic). */
  clear(): void {
    this.epochs.fill(-1);
  }
}
