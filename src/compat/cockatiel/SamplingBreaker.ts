import type { CircuitState, IBreaker, ISamplingBreakerOptions } from './cockatiel-types';
import { MAX_BUCKETS, MAX_PERIOD_MS } from '../../core/layout';
import { CircuitStateValue } from './circuit-state';
import { exceeds, strictlyAbove } from './rate';
import { CoreSlot, U32_MAX } from './slot';
import { checkCount, checkIndex, checkRecord, checkRing, checkThreshold } from './validate';

const NAME = 'SamplingBreaker';

/** One of cockatiel's sampling windows. */
export interface SamplingWindow {
  startedAt: number;
  failures: number;
  successes: number;
}

/** cockatiel's serialised SamplingBreaker state. */
export interface SamplingBreakerState {
  windows: SamplingWindow[];
  currentWindow: number;
  currentFailures: number;
  currentSuccesses: number;
}

/**
 * A sampling breaker's slot runs on virtual time: before every operation it sets its arena's
 * manual clock to its own window number, so a core bucket is exactly one cockatiel window.
 * One window is 1 ms of virtual time.
 */
const VIRTUAL_WINDOW_US = 1000;

/**
 * cockatiel's SamplingBreaker on the breakwater core: opens when more than `threshold` of the calls
 * in the last `duration` ms failed, given at least `minimumRps` calls per second on average.
 *
 * cockatiel keeps max(5, ceil(duration / 1000)) windows that start at the first call after the
 * previous one ran out (by `Date.now()`), and rotates one window per call. That timing is kept
 * here; the counts and the trip are the core's time window, one bucket per cockatiel window, on
 * virtual time that moves one bucket per rotation. Durations above 64 s need more than 64 buckets
 * and are counted here (docs/cockatiel-compat.md).
 */
export class SamplingBreaker implements IBreaker {
  private readonly threshold: number;
  private readonly minimumRpms: number;
  /** The sampled duration after rounding to whole windows, as cockatiel computes it. */
  private readonly duration: number;
  private readonly windowSize: number;
  /** At least this many calls in the windows before the rate applies. */
  private readonly minimumCalls: number;
  /** The core's window, or undefined when it needs more than 64 buckets. */
  private readonly slot: CoreSlot | undefined;
  /** Rotations so far: the virtual time of the current window, in windows. */
  private epoch = 0;
  private windows: SamplingWindow[];
  private currentWindow = 0;
  private currentFailures = 0;
  private currentSuccesses = 0;

  constructor({ threshold, duration, minimumRps }: ISamplingBreakerOptions) {
    this.threshold = checkThreshold(NAME, threshold);
    // Capped: one window is kept per second of it, and 1e12 ms ran the process out of memory.
    if (typeof duration !== 'number' || !(duration > 0 && duration <= MAX_PERIOD_MS)) {
      throw new RangeError(
        `breakwater/cockatiel: SamplingBreaker duration must be a number of ms > 0 and at most ${MAX_PERIOD_MS} (12.4 days), got ${String(duration)}`,
      );
    }
    if (
      minimumRps !== undefined &&
      (typeof minimumRps !== 'number' || !Number.isFinite(minimumRps) || minimumRps < 0)
    ) {
      throw new RangeError(
        `breakwater/cockatiel: SamplingBreaker minimumRps must be a finite number >= 0 (0: the default guess), got ${String(minimumRps)}`,
      );
    }
    const windowCount = Math.max(5, Math.ceil(duration / 1000));
    this.windows = Array.from({ length: windowCount }, () => ({ startedAt: 0, failures: 0, successes: 0 }));
    this.windowSize = Math.round(duration / windowCount);
    this.duration = this.windowSize * windowCount;
    // Without minimumRps, cockatiel asks for enough calls for 5 failures a second.
    this.minimumRpms = minimumRps ? minimumRps / 1000 : 5 / (threshold * 1000);
    this.minimumCalls = Math.min(U32_MAX, Math.ceil(this.duration * this.minimumRpms));
    this.slot =
      windowCount <= MAX_BUCKETS
        ? new CoreSlot(
            {
              window: { type: 'time', buckets: windowCount, size: (windowCount * VIRTUAL_WINDOW_US) / 1000 },
              failureThreshold: 0,
              minimumCalls: this.minimumCalls,
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

  /** The windows in cockatiel's shape (a copy: serialise it or keep it, it won't change). */
  get state(): SamplingBreakerState {
    return {
      windows: this.windows.map((w) => ({ ...w })),
      currentWindow: this.currentWindow,
      currentFailures: this.currentFailures,
      currentSuccesses: this.currentSuccesses,
    };
  }

  /** Restores windows saved from `state` (ours or cockatiel's) for a breaker of the same duration. */
  set state(value: unknown) {
    const state = checkRecord(NAME, value, 'an object from SamplingBreaker.state');
    const windows = checkRing(NAME, 'windows', state.windows, this.windows.length).map((w, i) => {
      const window = checkRecord(NAME, w, `an object whose windows[${i}] is { startedAt, failures, successes }`);
      if (typeof window.startedAt !== 'number' || !Number.isFinite(window.startedAt)) {
        throw new RangeError(
          `breakwater/cockatiel: SamplingBreaker state.windows[${i}].startedAt must be a finite time in ms, got ${String(window.startedAt)}`,
        );
      }
      return {
        startedAt: window.startedAt,
        failures: checkCount(NAME, `windows[${i}].failures`, window.failures),
        successes: checkCount(NAME, `windows[${i}].successes`, window.successes),
      };
    });
    this.windows = windows;
    this.currentWindow = checkIndex(NAME, 'currentWindow', state.currentWindow, windows.length);
    this.currentFailures = windows.reduce((sum, w) => sum + w.failures, 0);
    this.currentSuccesses = windows.reduce((sum, w) => sum + w.successes, 0);
    if (this.slot) {
      // Fresh virtual time, oldest window first, so the current window ends on this.epoch.
      this.slot.reset();
      this.epoch += windows.length;
      for (let age = windows.length - 1; age >= 0; age--) {
        const window = windows[(this.currentWindow - age + windows.length) % windows.length];
        this.slot.setTimeUs((this.epoch - age) * VIRTUAL_WINDOW_US);
        if (window.successes > 0) this.slot.success(window.successes);
        for (let i = 0; i < window.failures; i++) this.slot.failure();
      }
    }
  }

  /** Counts a success; one that closes a half-open circuit starts afresh. */
  success(state: CircuitState): void {
    if (state === CircuitStateValue.HalfOpen) {
      this.currentFailures = 0;
      this.currentSuccesses = 0;
      for (const window of this.windows) {
        window.failures = 0;
        window.successes = 0;
        window.startedAt = 0;
      }
      this.slot?.reset();
    }
    this.push(true);
    this.slot?.success();
  }

  /** Counts a failure; true when the circuit should open (always, unless it is closed). */
  failure(state: CircuitState): boolean {
    this.push(false);
    if (!this.slot)
      return (
        state !== CircuitStateValue.Closed ||
        exceeds(this.currentFailures, this.currentSuccesses, this.minimumCalls, this.threshold)
      );
    const deciding = this.slot.closed;
    const tripped = this.slot.failure();
    if (state !== CircuitStateValue.Closed) return true;
    if (deciding) return tripped;
    // The slot tripped earlier and only counts now; cockatiel still answers from the windows.
    const window = this.slot.read();
    return exceeds(window.failures, window.successes, this.minimumCalls, this.threshold);
  }

  /** Counts a call in the current window, rotating first when it has run out, and sets the slot's time. */
  private push(success: boolean): void {
    const now = Date.now();
    let window = this.windows[this.currentWindow];
    if (now - window.startedAt >= this.windowSize) {
      const next = (this.currentWindow + 1) % this.windows.length;
      this.currentFailures -= this.windows[next].failures;
      this.currentSuccesses -= this.windows[next].successes;
      window = this.windows[next] = { startedAt: now, failures: 0, successes: 0 };
      this.currentWindow = next;
      this.epoch++;
    }
    if (success) {
      window.successes++;
      this.currentSuccesses++;
    } else {
      window.failures++;
      this.currentFailures++;
    }
    this.slot?.setTimeUs(this.epoch * VIRTUAL_WINDOW_US);
  }
}
