import type { CircuitState, IBreaker, ICountBreakerOptions } from './cockatiel-types';
import { MAX_BUCKETS } from '../../core/layout';
import { CircuitStateValue } from './circuit-state';
import { exceeds, strictlyAbove } from './rate';
import { CoreSlot } from './slot';
import { checkIndex, checkRecord, checkRing, checkThreshold } from './validate';

/** The largest window: 2^24 calls, one sample each (about 128 MB). */
const MAX_SIZE = 2 ** 24;

const NAME = 'CountBreaker';

/** cockatiel's serialised CountBreaker state. */
export interface CountBreakerState {
  samples: (boolean | null)[];
  currentSample: number;
  failures: number;
  successes: number;
}

/**
 * cockatiel's CountBreaker on the breakwater core: opens when more than `threshold` of the last
 * `size` calls failed, once the window holds `minimumNumberOfCalls` calls. The window and the trip
 * are the core's count window (one bucket per call, so it is exact) for sizes up to 64; larger
 * windows don't fit a slot's 64 buckets exactly and are counted here (docs/cockatiel-compat.md).
 */
export class CountBreaker implements IBreaker {
  private readonly threshold: number;
  private readonly minimumNumberOfCalls: number;
  /** The core's window, or undefined when the window needs more than 64 buckets. */
  private readonly slot: CoreSlot | undefined;
  /** The calls in cockatiel's order (true: success, false: failure, null: none yet), for `state`. */
  private samples: (boolean | null)[];
  private currentSample = 0;
  private successes = 0;
  private failures = 0;

  constructor({ threshold, size, minimumNumberOfCalls = size }: ICountBreakerOptions) {
    this.threshold = checkThreshold(NAME, threshold);
    // Capped: one sample is kept per call of the window, and an array past 2^32 - 1 cannot exist.
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SIZE) {
      throw new RangeError(
        `breakwater/cockatiel: CountBreaker size must be an integer from 1 to ${MAX_SIZE}, got ${String(size)}`,
      );
    }
    if (!Number.isSafeInteger(minimumNumberOfCalls) || minimumNumberOfCalls < 1 || minimumNumberOfCalls > size) {
      throw new RangeError(
        `breakwater/cockatiel: CountBreaker minimumNumberOfCalls must be an integer from 1 to size (${size}), got ${String(minimumNumberOfCalls)}`,
      );
    }
    this.minimumNumberOfCalls = minimumNumberOfCalls;
    this.samples = new Array<boolean | null>(size).fill(null);
    this.slot =
      size <= MAX_BUCKETS
        ? new CoreSlot(
            {
              window: { type: 'count', buckets: size, size },
              failureThreshold: 0,
              minimumCalls: minimumNumberOfCalls,
              failureRateThreshold: strictlyAbove(threshold),
            },
            NAME,
          )
        : undefined;
  }

  /**
   * Gives the breaker's core slot back now (otherwise that happens when the breaker is garbage
   * collected). A disposed breaker with a slot throws on every use; one whose window is counted
   * here (more than 64 buckets) holds no slot and keeps working.
   */
  dispose(): void {
    this.slot?.dispose();
  }

  /** The window in cockatiel's shape (a copy: serialise it or keep it, it won't change). */
  get state(): CountBreakerState {
    return {
      samples: [...this.samples],
      currentSample: this.currentSample,
      failures: this.failures,
      successes: this.successes,
    };
  }

  /** Restores a window saved from `state` (ours or cockatiel's) for a breaker of the same size. */
  set state(value: unknown) {
    const state = checkRecord(NAME, value, 'an object from CountBreaker.state');
    const samples = checkRing(NAME, 'samples', state.samples, this.samples.length);
    if (!samples.every((s) => s === true || s === false || s === null)) {
      throw new TypeError('breakwater/cockatiel: CountBreaker state.samples entries must be true, false or null');
    }
    this.samples = [...(samples as (boolean | null)[])];
    this.currentSample = checkIndex(NAME, 'currentSample', state.currentSample, samples.length);
    this.successes = samples.filter((s) => s === true).length;
    this.failures = samples.filter((s) => s === false).length;
    if (this.slot) {
      // Replayed oldest first (from currentSample round the ring), so the core drops calls in cockatiel's order.
      this.slot.reset();
      for (let i = 0; i < this.samples.length; i++) {
        const sample = this.samples[(this.currentSample + i) % this.samples.length];
        if (sample === true) this.slot.success();
        else if (sample === false) this.slot.failure();
      }
    }
  }

  /** Counts a success; one that closes a half-open circuit starts a fresh window. */
  success(state: CircuitState): void {
    if (state === CircuitStateValue.HalfOpen) {
      this.samples.fill(null);
      this.successes = 0;
      this.failures = 0;
      this.slot?.reset();
    }
    this.sample(true);
    this.slot?.success();
  }

  /** Counts a failure; true when the circuit should open (always, unless it is closed). */
  failure(state: CircuitState): boolean {
    this.sample(false);
    if (!this.slot)
      return (
        state !== CircuitStateValue.Closed ||
        exceeds(this.failures, this.successes, this.minimumNumberOfCalls, this.threshold)
      );
    const deciding = this.slot.closed;
    const tripped = this.slot.failure();
    if (state !== CircuitStateValue.Closed) return true;
    if (deciding) return tripped;
    // The slot tripped earlier and only counts now; cockatiel still answers from the window.
    const window = this.slot.read();
    return exceeds(window.failures, window.successes, this.minimumNumberOfCalls, this.threshold);
  }

  private sample(success: boolean): void {
    const previous = this.samples[this.currentSample];
    if (previous === true) this.successes--;
    else if (previous === false) this.failures--;
    this.samples[this.currentSample] = success;
    if (success) this.successes++;
    else this.failures++;
    this.currentSample = (this.currentSample + 1) % this.samples.length;
  }
}
