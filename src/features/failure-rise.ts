import { DecayWeight, follow } from './decay-weight';

/**
 * How fast a breaker's window failure share rises, from two exponential averages of it read at
 * every extraction. An average lags a steady rise by its half-life / ln 2, so the gap between a
 * fast and a slow one over the gap of their lags is the rise per ms. The window share itself is
 * a moving average (noise over its calls), and its rise is the service's: an error rate that grows
 * by 1% a second grows the window's share by 1% a second once the window has filled with it.
 *
 * Why: a service whose errors grow over minutes sits at its breaker's threshold for seconds before
 * it trips, and read at its rate now it is a coin's toss (the recent quarter of a 10 s window
 * differs from the window by noise). Its rise over the last half minute says which way it goes.
 */
const FAST_HALF_LIFE_MS = 5_000;
const SLOW_HALF_LIFE_MS = 20_000;
const LAG_GAP_MS = (SLOW_HALF_LIFE_MS - FAST_HALF_LIFE_MS) / Math.LN2;

/** Slots a FailureRise keeps in a breaker's memory, from the offset it is given. */
export const FAILURE_RISE_SLOTS = 2;

export class FailureRise {
  private readonly fast = new DecayWeight(FAST_HALF_LIFE_MS);
  private readonly slow = new DecayWeight(SLOW_HALF_LIFE_MS);

  /**
   * Takes the window's failure share now and gives its rise per ms (0 when it falls: a recovering
   * service is no more likely to trip). `restarted` says the window started again since the last
   * read (its breaker changed state, and a closed breaker's window starts empty): both averages
   * start again at the share, so a trip and its close read as no rise.
   */
  rise(memory: Float64Array, at: number, share: number, elapsedMs: number, restarted: boolean): number {
    if (restarted) memory[at] = memory[at + 1] = NaN; // follow() starts both at the share
    const fast = follow(memory, at, share, this.fast.of(elapsedMs));
    const slow = follow(memory, at + 1, share, this.slow.of(elapsedMs));
    return Math.max(0, (fast - slow) / LAG_GAP_MS);
  }
}
