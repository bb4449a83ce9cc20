/** How many of a breaker's latest learnt windows its baseline is read from. */
const WINDOWS_KEPT = 32;
/** The median absolute deviation of normal noise times this is its standard deviation. */
const MAD_TO_SIGMA = 1.4826;
/** A window this many spreads (or sampling errors) above the baseline is a failure starting. */
const STANDS_OUT = 4;

/**
 * A breaker's usual window failure rate, read robustly: the median of its last 32 learnt windows,
 * with their scaled median absolute deviation as the spread. A window that stands out above the
 * baseline by more than 4 spreads (or its own sampling error, if larger) is a failure starting,
 * and is not learnt. Read as a mean and variance instead, each window a failure's slow rise let
 * in raised the next one's bar: errors growing by a few points a round walked the baseline up
 * with them, and the threshold over it, so the breaker no longer tripped (an outside evaluation:
 * a 60% threshold raised to 89% over bursts from 20% to 80%, 805 failing calls let through
 * instead of 511). The median moves only once more than half the windows kept have moved.
 */
export class FailureBaseline {
  private readonly rates: number[] = [];
  private oldest = 0;
  /** Windows learnt so far (those that stood out are not counted). */
  samples = 0;
  /** The median failure rate of the windows kept. */
  median = 0;
  /** Their spread: the median absolute deviation from the median, scaled to a standard deviation. */
  spread = 0;

  /** Learns a window's failure rate read on `calls` decided calls, unless it stands out (see above). */
  add(rate: number, calls: number): void {
    if (this.samples > 0) {
      const samplingError = Math.sqrt((Math.max(this.median, 1 / calls) * (1 - this.median)) / calls);
      if (rate > this.median + STANDS_OUT * Math.max(this.spread, samplingError)) return;
    }
    if (this.rates.length < WINDOWS_KEPT) this.rates.push(rate);
    else {
      this.rates[this.oldest] = rate;
      this.oldest = (this.oldest + 1) % WINDOWS_KEPT;
    }
    this.samples++;
    this.median = medianOf(this.rates);
    this.spread = MAD_TO_SIGMA * medianOf(this.rates.map((r) => Math.abs(r - this.median)));
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
