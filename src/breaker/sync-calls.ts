import { GuardedCalls, notAFunction } from './guarded-calls';
import { SAMPLE_EVERY } from './slot-binding';
import type { Attempt } from './types';

/**
 * Synchronous guarded calls: executeSync and attempt. Each hands its outcome back from a method
 * that returns (runSync, runAttempt) and throws in its own frame, which does nothing else.
 */
export abstract class SyncCalls extends GuardedCalls {
  /**
   * Runs a synchronous function through the breaker. Throws CircuitOpenError when the circuit
   * refuses (or returns the fallback's value), and rethrows fn's error after recording it.
   */
  executeSync<T>(fn: () => T): T {
    const value = this.runSync(fn);
    if (value !== THROWN) return value;
    // Thrown here, one frame below the caller's catch (V8 charges each frame it unwinds), with
    // nothing else in this frame: V8 spends a function's tiering budget on its returns, so a
    // function that only ever throws (every call to a dependency that is down) is never optimized,
    // nor given type feedback. The work stays in runSync, which returns. The price: an error with a
    // fresh stack, thrown again outside the catch block that caught it, costs V8 more; rethrowing
    // in runSync's catch instead made such a failure cheaper but every refusal dearer, and an open
    // circuit refuses far more calls than fail before it trips (`npm run bench:sync-throws`).
    const error = pending;
    pending = undefined;
    throw error;
  }

  /** Like executeSync, but a refused call returns the breaker's Rejection instead of throwing. */
  attempt<T>(fn: () => T): Attempt<T> {
    const result = this.runAttempt(fn);
    if (result !== THROWN) return result;
    const error = pending; // thrown here for the reasons executeSync gives
    pending = undefined;
    throw error;
  }

  /** executeSync's work: fn's value, the fallback's, or THROWN with what to throw in `pending`. */
  private runSync<T>(fn: () => T): T | typeof THROWN {
    if (this.words[this.stateIndex] === this.syncWord && --this.countdown !== 0) {
      let value: T;
      try {
        value = fn();
      } catch (error) {
        return this.syncFailure(fn, error) as T | typeof THROWN;
      }
      this.lanes[this.lane]++;
      return value;
    }
    return this.executeSyncSlow(fn);
  }

  /** attempt's work: the outcome, or THROWN with fn's error in `pending`. */
  private runAttempt<T>(fn: () => T): Attempt<T> | typeof THROWN {
    if (this.words[this.stateIndex] === this.syncWord && --this.countdown !== 0) {
      let value: T;
      try {
        value = fn();
      } catch (error) {
        const fallback = this.syncFailure(fn, error);
        return fallback === THROWN ? THROWN : { ok: true, value: fallback as T };
      }
      this.lanes[this.lane]++;
      return { ok: true, value };
    }
    if (this.takeFirstSlot()) return this.runAttempt(fn);
    if (this.countdown <= 0) {
      this.countdown = SAMPLE_EVERY;
      if (!this.sampleDue()) return this.runAttempt(fn); // the fast path again, untimed
    }
    if (typeof fn !== 'function') throw notAFunction(fn);
    const generation = this.admit();
    if (generation < 0) {
      if (this.has('reject')) this.emit('reject', { error: this.openError() });
      return this.rejection();
    }
    return { ok: true, value: this.runTimedSync(fn, generation) };
  }

  /** An untimed synchronous call's error, recorded: the fallback's value, or THROWN with it in `pending`. */
  private syncFailure(fn: unknown, error: unknown): unknown {
    if (typeof fn !== 'function') pending = notAFunction(fn);
    else if (this.noteFailure(error, this.admitGeneration, -1) && this.fallback !== undefined)
      return this.fallback(error);
    else pending = error;
    return THROWN;
  }

  /** runSync's slow path: the first call, a sampled (timed) call, or a circuit not simply closed. */
  private executeSyncSlow<T>(fn: () => T): T | typeof THROWN {
    if (this.takeFirstSlot()) return this.runSync(fn);
    if (this.countdown <= 0) {
      this.countdown = SAMPLE_EVERY;
      if (!this.sampleDue()) return this.runSync(fn); // the fast path again, untimed
    }
    if (typeof fn !== 'function') throw notAFunction(fn);
    const generation = this.admit();
    if (generation < 0) {
      const error = this.refusal();
      if (this.fallback !== undefined) return this.fallback(error) as T;
      pending = error;
      return THROWN;
    }
    return this.runTimedSync(fn, generation);
  }
}

/** The answer of runSync and runAttempt when their caller is to throw `pending`. */
const THROWN: unique symbol = Symbol('thrown');
/**
 * What executeSync or attempt is about to throw, held for the one frame between (nothing runs
 * there; a worker has its own module). Kept here, not on the breaker: the throwing frame may run
 * without type feedback, where reading a property is a lookup and reading this is not.
 */
let pending: unknown;
