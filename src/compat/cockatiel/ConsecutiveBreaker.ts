import type { IBreaker } from './cockatiel-types';
import { CoreSlot, U32_MAX } from './slot';

/**
 * cockatiel's ConsecutiveBreaker on the breakwater core: opens after `threshold` consecutive
 * failures. The count and the trip are the core's consecutive-failure rule.
 */
export class ConsecutiveBreaker implements IBreaker {
  private readonly slot: CoreSlot;
  /**
   * Failures after the trip. The core stops counting once its slot opens, while cockatiel keeps
   * counting (and answering true) until a success, so the excess is kept here.
   */
  private beyond = 0;

  /** Opens the circuit on the `threshold`th consecutive failure (an integer from 1 to 2^32 - 1). */
  constructor(private readonly threshold: number) {
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > U32_MAX) {
      throw new RangeError(
        `breakwater/cockatiel: ConsecutiveBreaker threshold must be an integer from 1 to ${U32_MAX}, got ${String(threshold)}`,
      );
    }
    this.slot = new CoreSlot(
      {
        window: { type: 'count', buckets: 1, size: 1 },
        failureThreshold: threshold,
        minimumCalls: 0,
        failureRateThreshold: 0,
      },
      'ConsecutiveBreaker',
    );
  }

  /**
   * Gives the breaker's core slot back now (otherwise that happens when the breaker is garbage
   * collected). A disposed breaker throws on every use.
   */
  dispose(): void {
    this.slot.dispose();
  }

  /** The consecutive failures, as cockatiel serialises them (a number). */
  get state(): number {
    return this.slot.closed ? this.slot.read().consecutiveFailures : this.threshold + this.beyond;
  }

  set state(value: unknown) {
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw new TypeError(
        `breakwater/cockatiel: ConsecutiveBreaker state must be a count of consecutive failures (an integer >= 0), got ${String(value)}`,
      );
    }
    const failures = value as number;
    this.slot.reset();
    // Replayed through the core so that it trips where it would have.
    const replayed = Math.min(failures, this.threshold);
    for (let i = 0; i < replayed; i++) this.slot.failure();
    this.beyond = failures - replayed;
  }

  /** A success ends the run of failures. */
  success(): void {
    if (!this.slot.closed) {
      this.slot.reset();
      this.beyond = 0;
    }
    this.slot.success();
  }

  /** Counts a failure; true once `threshold` failures have run in a row. */
  failure(): boolean {
    if (!this.slot.closed) {
      this.beyond++;
      return true;
    }
    return this.slot.failure();
  }
}
