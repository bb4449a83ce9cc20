import { randomUUID } from 'node:crypto';
import { State } from './core-circuit';
import { isOurError } from './errors';
import { GuardedCalls, type Action } from './guarded-calls';
import type { OpossumOptions, SavedState } from './options';
import type { Scheduled } from './scheduler';
import { Status, type Stats, type StatusOptions } from './status';
import { show } from '../../error-message';

const HEALTH_CHECK_DEFAULT_MS = 5000;

/**
 * opossum 10's CircuitBreaker, on the breakwater core: the same constructor, options, methods,
 * properties, events (in the same order, with the same arguments) and errors. The circuit state,
 * its failure-rate window and the trip decision live in a core slot (opossum's warm-up and
 * volumeThreshold gates stay here, as in opossum's fail()); the counters the core has no notion of
 * (fires, fallbacks, cache hits, latencies) live in `status`. No timer per breaker: half-open
 * deadlines, warm-up, snapshots and health checks run on one per-thread scheduler, call timeouts
 * share one timer per thread, and bucket rotation is lazy. The guarded call itself is
 * GuardedCalls' (guarded-calls.ts); this class adds the transitions, their timing and the rest of
 * opossum's API.
 */
export class CircuitBreaker extends GuardedCalls {
  /** Whether error was raised by a breaker (open, timeout, shutdown, semaphore) rather than by the action. */
  static isOurError(error: unknown): boolean {
    return isOurError(error);
  }

  /** A Status (rolling stats) for options, e.g. `{ stats }` saved by toJSON(), to pass as the `status` option. */
  static newStatus(options: StatusOptions): Status {
    return new Status(options);
  }

  private readonly breakerName: string;
  private readonly groupName: string;
  private readonly lastTimerAt: number;
  private halfOpenAt: Scheduled | undefined;
  private warmUpEnds: Scheduled | undefined;
  private healthChecks: Scheduled[] = [];

  constructor(action: unknown, options: OpossumOptions = {}) {
    super(action, options);
    const o = this.options;
    const saved = options.state;
    let restore: 'closed' | 'open' | 'halfOpen' | 'shutdown' = 'closed';
    if (saved) {
      const halfOpen = saved.halfOpen || false;
      const closed = saved.closed !== false;
      restore = saved.shutdown ? 'shutdown' : closed ? 'closed' : halfOpen ? 'halfOpen' : 'open';
    }
    this.breakerName = options.name || (action as { name?: string }).name || randomUUID();
    this.groupName = options.group || this.breakerName;
    if (this.warming) this.warmUpEnds = this.scheduler.after(o.rollingCountTimeout, () => (this.warming = false));
    if (options.maxFailures)
      console.error('options.maxFailures is deprecated. Please use options.errorThresholdPercentage');
    // opossum stamps this once, when it builds its reset-timer listener, and toJSON() reports it.
    this.lastTimerAt = this.scheduler.wallNow();
    if (restore === 'shutdown') {
      this.shutdown();
    } else if (restore === 'open') {
      const lastTimerAt = saved?.lastTimerAt;
      if (lastTimerAt !== undefined && this.scheduler.wallNow() - lastTimerAt > o.resetTimeout) {
        this.circuit.open(0);
        this.halfOpenNow();
      } else {
        this.open();
      }
    } else if (restore === 'halfOpen') {
      // Half-open with the trial call still available, and no event (as opossum restores it).
      this.circuit.open(0);
      this.trialGeneration = this.circuit.enterHalfOpen();
    }
  }

  // --- state ---------------------------------------------------------------------------------

  /** Closes the circuit (from open or half-open) and emits 'close'. */
  close(): void {
    if (!this.down && this.circuit.state === State.CLOSED) return;
    this.trialGeneration = -1;
    this.circuit.close();
    this.onClosed();
  }

  /** Opens the circuit and emits 'open'; it half-opens after resetTimeout. */
  open(): void {
    if (this.opened) return;
    this.trialGeneration = -1;
    this.circuit.open(this.options.resetTimeout);
    this.onOpened();
  }

  /**
   * Emits 'shutdown', disables the breaker, drops every listener and the cache, and gives the
   * breaker's core slot back for the next breaker; calls then fail with ESHUTDOWN.
   */
  shutdown(): void {
    super.emit('shutdown');
    this.disable();
    this.removeAllListeners();
    this.scheduler.cancel(this.halfOpenAt);
    this.scheduler.cancel(this.warmUpEnds);
    for (const check of this.healthChecks) this.scheduler.cancel(check);
    this.healthChecks = [];
    this.statusObject.shutdown();
    this.down = this.retired = true;
    this.clearCache();
    this.circuit.release();
  }

  get isShutdown(): boolean {
    return this.down;
  }

  get name(): string {
    return this.breakerName;
  }

  get group(): string {
    return this.groupName;
  }

  /** The rolling stats window. */
  get status(): Status {
    return this.statusObject;
  }

  /** The window's totals (status.stats). */
  get stats(): Stats {
    return this.statusObject.stats;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** Whether the breaker is still in its warm-up (allowWarmUp) and cannot open. */
  get warmUp(): boolean {
    return this.warming;
  }

  get volumeThreshold(): number {
    return this.volume;
  }

  /** What the `state` and `status` options restore from. */
  toJSON(): { state: Required<SavedState>; status: Stats } {
    return {
      state: {
        name: this.name,
        enabled: this.enabled,
        closed: this.closed,
        open: this.opened,
        halfOpen: this.halfOpen,
        warmUp: this.warmUp,
        shutdown: this.isShutdown,
        lastTimerAt: this.lastTimerAt,
      },
      status: this.statusObject.stats,
    };
  }

  /**
   * Sets what answers instead of a failure or a refusal: a function (args..., error) or another
   * breaker; a falsy value sets none (as opossum). Anything else is refused here, not when a call
   * fails and there is no caller to tell.
   */
  fallback(func: Action | CircuitBreaker): this {
    if (func instanceof CircuitBreaker) this.fallbackFunction = (...args: unknown[]) => func.fire(...args);
    else if (!func) this.fallbackFunction = null;
    else if (typeof func !== 'function')
      throw new TypeError(`breakwater/opossum: fallback(func) needs a function or a CircuitBreaker, got ${show(func)}`);
    else this.fallbackFunction = func;
    return this;
  }

  /** Empties the result cache and the coalescing cache. */
  clearCache(): void {
    if (this.options.cache) this.options.cacheTransport?.flush();
    this.options.coalesceCache?.flush();
  }

  /**
   * Runs func (which returns a promise) now and every `interval` ms (default 5000); when it
   * rejects, emits 'healthCheckFailed' and opens the circuit. Runs on the shared scheduler. A func
   * that throws, or returns no promise, fails the check too (opossum throws from its timer then,
   * where nothing catches it and the process ends).
   */
  healthCheck(func: (this: CircuitBreaker) => Promise<unknown>, interval?: number): void {
    const every = interval || HEALTH_CHECK_DEFAULT_MS;
    if (typeof func !== 'function') throw new TypeError('Health check function must be a function');
    if (isNaN(every)) throw new TypeError('Health check interval must be a number');
    const slot = this.healthChecks.length;
    const failed = (error: unknown): void => {
      super.emit('healthCheckFailed', error);
      this.open();
    };
    const check = (): void => {
      let result: unknown;
      try {
        result = func.apply(this);
      } catch (error) {
        return failed(error);
      }
      if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function')
        return failed(
          new TypeError(`breakwater/opossum: the health check function must return a promise, got ${show(result)}`),
        );
      Promise.resolve(result).catch(failed);
    };
    const next = (): void => {
      if (this.retired) return;
      this.healthChecks[slot] = this.scheduler.after(every, () => {
        next();
        check();
      });
    };
    next();
    check();
  }

  /** Guards calls again (and follows the rotateBucketController again). */
  enable(): void {
    this.isEnabled = true;
    this.statusObject.startListeneningForRotateEvent();
  }

  /** Lets every call through unguarded (only 'fire' is emitted) and stops following the rotateBucketController. */
  disable(): void {
    this.isEnabled = false;
    this.statusObject.removeRotateBucketControllerListener();
  }

  /** The abortController's signal, if one was given. */
  getSignal(): AbortSignal | undefined {
    return this.options.abortController?.signal || undefined;
  }

  getAbortController(): AbortController | undefined {
    return this.options.abortController;
  }

  // --- transitions ---------------------------------------------------------------------------

  /** After the core opened the circuit: 'open', and the half-open deadline on the shared scheduler. */
  protected onOpened(): void {
    this.down = false;
    // After shutdown opossum has no reset timer left: the circuit stays open.
    if (!this.retired) this.scheduleHalfOpen();
    this.note('open', undefined);
    super.emit('open');
  }

  protected onClosed(): void {
    this.down = false;
    this.seedCore();
    this.scheduler.cancel(this.halfOpenAt);
    this.halfOpenAt = undefined;
    this.renewAbortController();
    this.note('close', undefined);
    super.emit('close');
  }

  private scheduleHalfOpen(): void {
    this.scheduler.cancel(this.halfOpenAt);
    this.halfOpenAt = this.scheduler.after(this.circuit.remainingMs(), () => {
      this.halfOpenAt = undefined;
      if (!this.retired && this.circuit.state === State.OPEN) this.halfOpenNow();
    });
  }

  /** The open deadline passed: half-open, holding the single trial call for the next fire(). */
  private halfOpenNow(): void {
    // The schedule decides, as opossum's timer does: a timer that fires a millisecond before the
    // core's clock reaches the deadline still half-opens (the deadline is moved to now).
    if (this.circuit.remainingMs() > 0) this.circuit.open(0);
    this.trialGeneration = this.circuit.enterHalfOpen();
    if (this.trialGeneration < 0 && this.circuit.state !== State.HALF_OPEN) return;
    this.renewAbortController();
    super.emit('halfOpen', this.options.resetTimeout);
  }

  private renewAbortController(): void {
    const o = this.options;
    if (o.autoRenewAbortController && o.abortController && o.abortController.signal.aborted)
      o.abortController = new AbortController();
  }
}
