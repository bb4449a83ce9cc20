import type { Timers } from '../clock';
import type { ArenaPool } from '../core/pool';
import type { BreakerProfile } from '../options';
import { CircuitOpenError } from '../errors/CircuitOpenError';
import { TimeoutError } from '../errors/TimeoutError';
import { Emitter } from '../events';
import type { StateName } from '../state';
import { Outcome, State } from '../core/layout';
import { SAMPLE_EVERY, SlotBinding } from './slot-binding';
import type { BreakerEvents, GuardedFunction, LocalOptions, Rejection } from './types';
import { generationOfWord, pageNowMs32, stateOfWord } from '../core/codec';
import { UntimedContext } from './untimed-context';
import { RepeatedFailure } from '../repeated-failure';
import { show } from '../error-message';

const everything = (): boolean => true;
const SETTLED = Promise.resolve();

class BreakerEmitter extends Emitter<BreakerEvents> {
  constructor(private readonly onListenersChanged: () => void) {
    super();
  }
  protected override changed(): void {
    this.onListenersChanged();
  }
}

/**
 * Guarded calls on the slot binding: timed calls and their timeouts, outcomes counted or ignored
 * (isFailure), fallbacks, refusals, and the events each of them announces.
 */
export abstract class GuardedCalls extends SlotBinding {
  protected readonly isFailure: (error: unknown) => boolean;
  protected readonly fallback: ((error: unknown, ...args: unknown[]) => unknown) | undefined;
  /** Created with the first listener: most breakers never have one. */
  protected emitter: BreakerEmitter | undefined;
  protected rejectionObject: Rejection | undefined;
  protected inFlight = 0;

  constructor(
    name: string,
    profile: Readonly<BreakerProfile>,
    timers: Timers,
    pool: ArenaPool | undefined,
    attachedEpoch: number,
    local: LocalOptions,
  ) {
    super(name, profile, timers, pool, attachedEpoch);
    this.isFailure = local.isFailure ?? everything;
    this.fallback = local.fallback;
  }

  /** The state the next call meets (the public API's getState()). */
  abstract getState(): StateName;

  protected runTimedSync<T>(fn: () => T, generation: number): T {
    const start = this.timers.now();
    let value: T;
    try {
      value = fn();
    } catch (error) {
      return this.failed(error, generation, this.elapsedUs(start), []) as T;
    }
    this.succeeded(generation, this.elapsedUs(start));
    return value;
  }

  protected executeSlow(fn: GuardedFunction, args: unknown[], useFallback = true): Promise<unknown> {
    if (this.countdown <= 0) this.countdown = SAMPLE_EVERY;
    if (this.onFastSuccess === undefined) this.bindAsync();
    if (typeof fn !== 'function') return Promise.reject(notAFunction(fn));
    let generation: number;
    try {
      generation = this.admit();
    } catch (error) {
      return Promise.reject(error); // a disposed breaker: an async API rejects, never throws
    }
    if (generation < 0) {
      const error = this.refusal();
      if (this.fallback === undefined || !useFallback) return rejectedSoon(error);
      try {
        return Promise.resolve(this.fallback(error, ...args));
      } catch (thrown) {
        return Promise.reject(thrown);
      }
    }
    const start = this.timers.now();
    if (this.profile.timeout > 0) return this.executeWithTimeout(fn, args, generation, start, useFallback);
    let result: unknown;
    try {
      result = fn(...args, new UntimedContext());
    } catch (error) {
      return this.failedAsync(error, generation, this.elapsedUs(start), args, useFallback);
    }
    this.inFlight++;
    return Promise.resolve(result).then(
      (value) => {
        this.inFlight--;
        this.succeeded(generation, this.elapsedUs(start));
        return value;
      },
      (error) => {
        this.inFlight--;
        return this.failed(error, generation, this.elapsedUs(start), args, useFallback);
      },
    );
  }

  protected executeWithTimeout(
    fn: GuardedFunction,
    args: unknown[],
    generation: number,
    start: number,
    useFallback: boolean,
  ): Promise<unknown> {
    const timeoutMs = this.profile.timeout;
    const controller = new AbortController();
    this.inFlight++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => unknown) => {
        try {
          resolve(outcome());
        } catch (error) {
          reject(error);
        }
      };
      const timer = this.timers.setTimeout(() => {
        if (settled) return;
        settled = true;
        this.inFlight--;
        const error = new TimeoutError(this.name, timeoutMs);
        controller.abort(error);
        this.flushPending();
        const latency = this.elapsedUs(start);
        this.record(generation, Outcome.timeout, 1, latency);
        this.afterOperation(() => {
          this.emit('timeout', { error });
          this.emit('failure', { error, latencyMs: latency / 1000 });
        });
        settle(() => this.fallBackOrThrow(error, args, useFallback));
      }, timeoutMs);
      let result: unknown;
      try {
        result = fn(...args, { signal: controller.signal });
      } catch (error) {
        result = Promise.reject(error);
      }
      Promise.resolve(result).then(
        (value) => {
          if (settled) return;
          settled = true;
          this.inFlight--;
          this.timers.clearTimeout(timer);
          this.succeeded(generation, this.elapsedUs(start));
          resolve(value);
        },
        (error) => {
          if (settled) return;
          settled = true;
          this.inFlight--;
          this.timers.clearTimeout(timer);
          settle(() => this.failed(error, generation, this.elapsedUs(start), args, useFallback));
        },
      );
    });
  }

  protected succeeded(generation: number, latency: number): void {
    if (this.ref!.lane >= 0 && this.tally.generation === generation) {
      // Counted in the lane with the unfolded ones, which this call's record folds.
      this.lanes[this.lane]++;
      const folded = this.takePending();
      // Nothing to fold: the lane was written outside the core; the call counts as a plain success.
      if (folded > 0) this.record(generation, Outcome.countedSuccess, folded, latency);
      else this.record(generation, Outcome.success, 1, latency);
    } else {
      this.flushPending();
      this.record(generation, Outcome.success, 1, latency);
    }
    this.afterOperation(this.has('success') ? () => this.emit('success', { latencyMs: latency / 1000 }) : undefined);
  }

  /** Records an error in the core (a failure, or ignored by isFailure) and announces a failure; whether it counted. */
  protected noteFailure(error: unknown, generation: number, latency: number): boolean {
    const counts = this.countsAsFailure(error);
    this.flushPending();
    this.record(generation, counts ? Outcome.failure : Outcome.ignored, 1, latency);
    this.afterOperation(
      counts && this.has('failure') ? () => this.emit('failure', { error, latencyMs: latency / 1000 }) : undefined,
    );
    return counts;
  }

  /** Records fn's error (a failure, or ignored when isFailure says so), then falls back or throws. */
  protected failed(error: unknown, generation: number, latency: number, args: unknown[], useFallback = true): unknown {
    if (!this.noteFailure(error, generation, latency)) throw error;
    return this.fallBackOrThrow(error, args, useFallback);
  }

  protected failedAsync<T>(
    error: unknown,
    generation: number,
    latency: number,
    args: unknown[],
    useFallback = true,
  ): Promise<T> {
    if (!this.noteFailure(error, generation, latency) || this.fallback === undefined || !useFallback)
      return rejectedSoon(error);
    try {
      return Promise.resolve(this.fallback(error, ...args) as T);
    } catch (thrown) {
      return rejectedSoon(thrown);
    }
  }

  protected countsAsFailure(error: unknown): boolean {
    try {
      const verdict: unknown = this.isFailure(error);
      if (typeof (verdict as PromiseLike<unknown> | null)?.then === 'function') return isFailureAsync(this, verdict);
      return verdict !== false;
    } catch (thrown) {
      isFailureWarning(this, 'threw', thrown);
      return true;
    }
  }

  protected events(): BreakerEmitter {
    return (this.emitter ??= new BreakerEmitter(() => this.refresh()));
  }

  protected emit<K extends keyof BreakerEvents & string>(event: K, payload: BreakerEvents[K]): void {
    this.emitter?.emit(event, payload);
  }

  protected has(event: keyof BreakerEvents & string): boolean {
    return this.emitter !== undefined && this.emitter.has(event);
  }

  /** attempt()'s answer on a refused call: one object per breaker, made on the first refusal. */
  protected rejection(): Rejection {
    if (this.rejectionObject === undefined) {
      const breaker = this;
      this.rejectionObject = Object.freeze({
        ok: false as const,
        breaker: this.name,
        get retryAfterMs() {
          return breaker.retryAfterMs();
        },
      });
    }
    return this.rejectionObject;
  }

  protected openError(): CircuitOpenError {
    const word = this.words[this.stateIndex];
    const state = stateOfWord(word);
    if (this.shedShare > 0 && (state === State.CLOSED || state === State.DISABLED))
      return CircuitOpenError.refusal(this.name, 0, 'shedding');
    // The usual refusal: an open circuit whose deadline JS can read off the clock page, no crossing.
    if (state === State.OPEN && this.openDeadlineAhead(word)) {
      return CircuitOpenError.refusal(
        this.name,
        (this.words[this.stateIndex + 1] - pageNowMs32(this.clockWords)) | 0,
        'open',
      );
    }
    return CircuitOpenError.refusal(this.name, this.retryAfterMs(), this.getState());
  }

  /** A refused call's error, announced to 'reject' listeners. */
  protected refusal(): CircuitOpenError {
    const error = this.openError();
    this.emit('reject', { error });
    return error;
  }

  protected fallBackOrThrow(error: unknown, args: unknown[], useFallback = true): unknown {
    if (this.fallback === undefined || !useFallback) throw error;
    return this.fallback(error, ...args);
  }

  /** The fast async reactions for the current tally (a breaker used only synchronously never needs them). */
  protected bindAsync(): void {
    const tally = this.tally;
    const generation = tally.generation;
    this.onFastSuccess = (value) => {
      this.inFlight--;
      // The slot may have moved on meanwhile (another thread's transition, or a release for a new
      // owner): then the core records it, in its generation, or drops it for a disposed breaker.
      if (tally.retired || generationOfWord(this.words[this.stateIndex]) !== generation)
        this.recordLateSuccess(generation);
      else this.lanes[this.lane]++;
      return value;
    };
    this.onFastFailure = (error) => {
      this.inFlight--;
      if (this.noteFailure(error, generation, -1) && this.fallback !== undefined) return this.fallback(error);
      throw error; // here, not deeper: V8 charges each frame it unwinds
    };
  }
}

/**
 * A promise that rejects with `error` in the next microtask: by then the caller's await or catch is
 * attached, so Node's unhandled-rejection tracking (a few microseconds for a promise rejected
 * before it has a handler) never sees it, and nothing is thrown to unwind.
 */
export function rejectedSoon(error: unknown): Promise<never> {
  return new Promise((_, reject) => void SETTLED.then(() => reject(error)));
}

/** A caller's mistake, not a failure of what the breaker guards: never recorded. */
export function notAFunction(fn: unknown): TypeError {
  return new TypeError(`breakwater: the guarded call must be a function, got ${show(fn)}`);
}

/** Each breaker's throwing isFailure: one warning for many of the same (kept off the breaker, which most never need). */
const isFailureFailures = new WeakMap<GuardedCalls, RepeatedFailure>();

/**
 * An isFailure that throws (err.response.status on an error without one), or answers with a
 * promise, counts the error as a failure, with a warning.
 */
function isFailureWarning(breaker: GuardedCalls, what: string, thrown: unknown): void {
  let failures = isFailureFailures.get(breaker);
  if (failures === undefined) isFailureFailures.set(breaker, (failures = new RepeatedFailure()));
  const warning = failures.failed(thrown, performance.now());
  if (warning !== undefined)
    process.emitWarning(
      `breakwater: isFailure of breaker "${breaker.name}" ${what} (the error counts as a failure): ${warning}`,
      { code: 'BREAKWATER_LISTENER_ERROR' },
    );
}

/**
 * An async isFailure: the call's outcome is recorded now, so its promise is no answer. Read as
 * truthy it counted every error, unannounced; and one that rejected, unhandled, ended a process
 * run with Node's defaults. Its rejection is handled here.
 */
function isFailureAsync(breaker: GuardedCalls, verdict: unknown): true {
  Promise.resolve(verdict).catch(() => undefined);
  isFailureWarning(
    breaker,
    'answered with a promise',
    new TypeError('isFailure must answer at once with true or false, not a promise'),
  );
  return true;
}
