import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { MemoryCache } from './cache';
import { CoreCircuit, MAX_PERIOD_MS, NO_TRANSITION, Outcome, State } from './core-circuit';
import { buildError, isOurError, type OpossumError } from './errors';
import type { OpossumOptions, SavedState } from './options';
import { manualScheduler, realScheduler, type Scheduled, type Scheduler } from './scheduler';
import { createSemaphore, type Semaphore } from './semaphore';
import { Status, type CounterName, type Stats, type StatusOptions } from './status';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- actions take and return anything, as in opossum
type Action = (...args: any[]) => any;

/** Events that count in the status window, and the counter each one bumps (opossum's own listeners). */
const COUNTED = new Map<string, CounterName>([
  ['success', 'successes'],
  ['failure', 'failures'],
  ['fallback', 'fallbacks'],
  ['timeout', 'timeouts'],
  ['fire', 'fires'],
  ['reject', 'rejects'],
  ['cacheHit', 'cacheHits'],
  ['cacheMiss', 'cacheMisses'],
  ['coalesceCacheHit', 'coalesceCacheHits'],
  ['coalesceCacheMiss', 'coalesceCacheMisses'],
  ['semaphoreLocked', 'semaphoreRejections'],
]);

const HEALTH_CHECK_DEFAULT_MS = 5000;

function period(options: OpossumOptions, option: 'resetTimeout' | 'rollingCountTimeout'): number {
  const value = options[option];
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_PERIOD_MS)) {
    const message = `breakwater/opossum: option "${option}" must be a number of ms from 0 to ${MAX_PERIOD_MS}, got ${String(value)}`;
    throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
  }
  return value;
}

/**
 * opossum 10's CircuitBreaker, on the breakwater core: the same constructor, options, methods,
 * properties, events (in the same order, with the same arguments) and errors. The circuit state,
 * its failure-rate window and the trip decision live in a core slot (opossum's warm-up and
 * volumeThreshold gates stay here, as in opossum's fail()); the counters the core has no notion of
 * (fires, fallbacks, cache hits, latencies) live in `status`. No timer per breaker: half-open
 * deadlines, warm-up, snapshots and health checks run on one per-thread scheduler, call timeouts
 * share one timer per thread, and bucket rotation is lazy.
 */
export class CircuitBreaker extends EventEmitter {
  /** Whether error was raised by a breaker (open, timeout, shutdown, semaphore) rather than by the action. */
  static isOurError(error: unknown): boolean {
    return isOurError(error);
  }

  /** A Status (rolling stats) for options, e.g. `{ stats }` saved by toJSON(), to pass as the `status` option. */
  static newStatus(options: StatusOptions): Status {
    return new Status(options);
  }

  /** The options object passed in, with the defaults written into it (as opossum does). */
  readonly options: OpossumOptions & Required<Pick<OpossumOptions, 'timeout' | 'resetTimeout' | 'errorThresholdPercentage' | 'rollingCountTimeout' | 'rollingCountBuckets' | 'capacity' | 'cacheTTL' | 'coalesceTTL'>> & {
    errorFilter: (error: unknown, ...args: unknown[]) => boolean;
    cacheGetKey: (...args: unknown[]) => string;
    coalesceResetOn: string[];
  };
  /** Limits concurrent calls to `capacity`. */
  readonly semaphore: Semaphore;
  /** The guarded function (a non-function action is wrapped to resolve to itself). */
  action: Action;

  private readonly circuit: CoreCircuit;
  private readonly scheduler: Scheduler;
  private readonly statusObject: Status;
  private readonly breakerName: string;
  private readonly groupName: string;
  private readonly volume: number;
  private readonly lastTimerAt: number;
  private isEnabled: boolean;
  private warming: boolean;
  /** opossum's SHUTDOWN state: set by shutdown(), left again only by a later open() or close(). */
  private down = false;
  /** Shut down once: stats, scheduling and listeners are gone for good (opossum removed its own listeners). */
  private retired = false;
  /** The half-open generation whose single trial call the next fire() may take; -1 once taken. */
  private trialGeneration = -1;
  private fallbackFunction: Action | null = null;
  private halfOpenAt: Scheduled | undefined;
  private warmUpEnds: Scheduled | undefined;
  private healthChecks: Scheduled[] = [];

  constructor(action: unknown, options: OpossumOptions = {}) {
    super();
    const o = options as CircuitBreaker['options'];
    this.options = o;
    o.timeout = options.timeout ?? 10000;
    o.resetTimeout = options.resetTimeout ?? 30000;
    o.errorThresholdPercentage = options.errorThresholdPercentage ?? 50;
    o.rollingCountTimeout = options.rollingCountTimeout ?? 10000;
    o.rollingCountBuckets = options.rollingCountBuckets ?? 10;
    o.rollingPercentilesEnabled = options.rollingPercentilesEnabled !== false;
    o.capacity = Number.isInteger(options.capacity) ? (options.capacity as number) : Number.MAX_SAFE_INTEGER;
    o.errorFilter = options.errorFilter || (() => false);
    o.cacheTTL = options.cacheTTL ?? 0;
    o.cacheGetKey = options.cacheGetKey ?? ((...args: unknown[]) => JSON.stringify(args));
    o.enableSnapshots = options.enableSnapshots !== false;
    o.rotateBucketController = options.rotateBucketController;
    o.coalesce = !!options.coalesce;
    o.coalesceTTL = options.coalesceTTL ?? o.timeout;
    o.coalesceResetOn = options.coalesceResetOn?.filter((on) => ['error', 'success', 'timeout'].includes(on)) || [];
    this.scheduler = options.clock ? manualScheduler(options.clock) : realScheduler;
    const now = () => this.scheduler.wallNow();
    if (o.cache) {
      const transport = o.cacheTransport;
      if (transport === undefined) {
        o.cacheTransport = new MemoryCache(options.cacheSize, now);
      } else if (typeof transport !== 'object' || !transport.get || !transport.set || !transport.flush) {
        throw new TypeError('options.cacheTransport should be an object with `get`, `set` and `flush` methods');
      }
    }
    if (o.coalesce) o.coalesceCache = new MemoryCache(options.coalesceSize, now);
    this.semaphore = createSemaphore(o.capacity);
    if (!action) throw new TypeError('No action provided. Cannot construct a CircuitBreaker without an invocable action.');
    if (options.autoRenewAbortController && !options.abortController) o.abortController = new AbortController();
    if (o.abortController && typeof o.abortController.abort !== 'function') throw new TypeError('AbortController does not contain `abort()` method');
    this.volume = Number.isInteger(options.volumeThreshold) ? (options.volumeThreshold as number) : 0;
    this.warming = options.allowWarmUp === true;
    this.statusObject = o.status
      ? o.status instanceof Status
        ? o.status
        : new Status({ stats: o.status }, this.scheduler)
      : new Status(o, this.scheduler);
    const saved = options.state;
    let restore: 'closed' | 'open' | 'halfOpen' | 'shutdown' = 'closed';
    if (saved) {
      this.isEnabled = saved.enabled !== false;
      this.warming = saved.warmUp || this.warming;
      const halfOpen = saved.halfOpen || false;
      const closed = saved.closed !== false;
      restore = saved.shutdown ? 'shutdown' : closed ? 'closed' : halfOpen ? 'halfOpen' : 'open';
    } else {
      this.isEnabled = options.enabled !== false;
    }
    this.breakerName = options.name || (action as { name?: string }).name || randomUUID();
    this.groupName = options.group || this.breakerName;
    this.circuit = new CoreCircuit(
      {
        errorThresholdPercentage: o.errorThresholdPercentage,
        // Status falls back to 10000 for a 0 window; so does the core.
        rollingCountTimeout: period(o, 'rollingCountTimeout') || 10000,
        rollingCountBuckets: o.rollingCountBuckets,
        resetTimeout: period(o, 'resetTimeout'),
      },
      options.clock,
      this.scheduler,
    );
    this.seedCore();
    if (this.warming) this.warmUpEnds = this.scheduler.after(o.rollingCountTimeout, () => (this.warming = false));
    this.action = typeof action === 'function' ? (action as Action) : () => Promise.resolve(action);
    if (options.maxFailures) console.error('options.maxFailures is deprecated. Please use options.errorThresholdPercentage');
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

  /** Counts the event in `status` first (opossum's own listeners come first), then emits it. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (typeof event === 'string') this.note(event, args[1]);
    return super.emit(event, ...args);
  }

  /**
   * What opossum's own listeners did for an event: count it in `status` (outcomes with their
   * latency), and count every fire in the core's window. The breaker's own events call this and
   * then EventEmitter's emit directly, without the rest/spread of emit().
   */
  private note(event: string, runTime: unknown): void {
    if (this.retired) return;
    const counter = COUNTED.get(event);
    if (counter !== undefined) {
      this.statusObject.increment(counter, runTime as number | undefined);
      // Every fire weighs in the core's failure rate, as in opossum's failures / fires.
      if (counter === 'fires') this.circuit.fired();
    } else if (event === 'open') this.statusObject.open();
    else if (event === 'close') this.statusObject.close();
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

  /** Emits 'shutdown', disables the breaker, drops every listener and the cache; calls then fail with ESHUTDOWN. */
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

  /** Half-open with its single trial call not yet taken. */
  get pendingClose(): boolean {
    return this.halfOpen && this.trialGeneration === this.circuit.generation;
  }

  get closed(): boolean {
    return !this.down && this.circuit.state === State.CLOSED;
  }

  get opened(): boolean {
    return !this.down && this.circuit.state === State.OPEN;
  }

  get halfOpen(): boolean {
    return !this.down && this.circuit.state === State.HALF_OPEN;
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

  /** Sets what answers instead of a failure or a refusal: a function (args..., error) or another breaker. */
  fallback(func: Action | CircuitBreaker): this {
    this.fallbackFunction = func instanceof CircuitBreaker ? (...args: unknown[]) => func.fire(...args) : func;
    return this;
  }

  /** Runs the action through the breaker with args. */
  fire(...args: unknown[]): Promise<unknown> {
    return this.call(this.action, ...args);
  }

  /** Runs the action through the breaker with `this` = context (the first argument is not the function). */
  call(context: unknown, ...rest: unknown[]): Promise<unknown> {
    if (this.down) return Promise.reject(buildError('The circuit has been shutdown.', 'ESHUTDOWN'));
    const o = this.options;
    // opossum copies the arguments, so a 'fire' listener that changes them cannot change the cache key.
    const args = o.cache || o.coalesce ? rest.slice() : rest;
    this.note('fire', undefined);
    super.emit('fire', args);
    if (!this.isEnabled) {
      const result = this.action.apply(context, args);
      return typeof result.then === 'function' ? result : Promise.resolve(result);
    }
    const cacheKey = o.cache || o.coalesce ? o.cacheGetKey.apply(this, rest) : '';
    if (o.cache) {
      const cached = (o.cacheTransport as NonNullable<typeof o.cacheTransport>).get(cacheKey);
      if (cached) {
        this.note('cacheHit', undefined);
        super.emit('cacheHit');
        return cached as Promise<unknown>;
      }
      this.note('cacheMiss', undefined);
      super.emit('cacheMiss');
    }
    if (o.coalesce) {
      const shared = o.coalesceCache?.get(cacheKey);
      if (shared) {
        this.note('coalesceCacheHit', undefined);
        super.emit('coalesceCacheHit');
        return shared as Promise<unknown>;
      }
      this.note('coalesceCacheMiss', undefined);
      super.emit('coalesceCacheMiss');
    }
    if (!this.closed && !this.pendingClose) {
      const error = buildError('Breaker is open', 'EOPENBREAKER');
      this.note('reject', undefined);
      super.emit('reject', error);
      return this.runFallback(error, args) || Promise.reject(error);
    }
    // Half-open: this call is the trial; the next ones are refused until it settles.
    this.trialGeneration = -1;
    const call = new Promise<unknown>((resolve, reject) => this.run(context, args, cacheKey, resolve, reject));
    if (o.coalesce) {
      o.coalesceCache?.set(cacheKey, call, o.coalesceTTL && o.coalesceTTL > 0 ? this.scheduler.wallNow() + o.coalesceTTL : 0);
    }
    return call;
  }

  /** Empties the result cache and the coalescing cache. */
  clearCache(): void {
    if (this.options.cache) this.options.cacheTransport?.flush();
    this.options.coalesceCache?.flush();
  }

  /**
   * Runs func (which returns a promise) now and every `interval` ms (default 5000); when it
   * rejects, emits 'healthCheckFailed' and opens the circuit. Runs on the shared scheduler.
   */
  healthCheck(func: (this: CircuitBreaker) => Promise<unknown>, interval?: number): void {
    const every = interval || HEALTH_CHECK_DEFAULT_MS;
    if (typeof func !== 'function') throw new TypeError('Health check function must be a function');
    if (isNaN(every)) throw new TypeError('Health check interval must be a number');
    const slot = this.healthChecks.length;
    const check = (): void => {
      func.apply(this).catch((error: unknown) => {
        super.emit('healthCheckFailed', error);
        this.open();
      });
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

  // --- internals -----------------------------------------------------------------------------

  /** The admitted call: semaphore, timeout, action, outcome. */
  private run(context: unknown, args: unknown[], cacheKey: string, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    const o = this.options;
    const start = this.scheduler.now();
    if (!this.semaphore.test()) {
      const latency = this.scheduler.now() - start;
      const error = buildError('Semaphore locked', 'ESEMLOCKED');
      this.note('semaphoreLocked', latency);
      super.emit('semaphoreLocked', error, latency);
      this.handleError(error, undefined, args, latency, resolve, reject, Outcome.failure);
      this.resetCoalesce(cacheKey);
      return;
    }
    let timer: unknown;
    let timedOut = false;
    if (o.timeout) {
      const timeoutMs = o.timeout;
      timer = this.scheduler.callTimeout(() => {
        timedOut = true;
        const error = buildError(`Timed out after ${timeoutMs}ms`, 'ETIMEDOUT');
        const latency = this.scheduler.now() - start;
        this.semaphore.release();
        this.note('timeout', latency);
        super.emit('timeout', error, latency, args);
        this.handleError(error, timer, args, latency, resolve, reject, Outcome.timeout);
        this.resetCoalesce(cacheKey, 'timeout');
        this.options.abortController?.abort();
      }, timeoutMs);
    }
    try {
      const result = this.action.apply(context, args);
      const promise: Promise<unknown> = typeof result.then === 'function' ? result : Promise.resolve(result);
      const failed = (error: unknown): void => {
        if (timedOut) return;
        this.semaphore.release();
        this.handleError(error, timer, args, this.scheduler.now() - start, resolve, reject, Outcome.failure);
        this.resetCoalesce(cacheKey, 'error');
      };
      promise.then((value) => {
        if (timedOut) return;
        // opossum's .catch() after its .then() also catches a throwing 'success' listener (or cache
        // transport), which then counts as a failure: one reaction with a try does the same.
        try {
          this.scheduler.clearCallTimeout(timer);
          this.succeeded(value, this.scheduler.now() - start);
          this.resetCoalesce(cacheKey, 'success');
          this.semaphore.release();
          resolve(value);
          if (o.cache) o.cacheTransport?.set(cacheKey, promise, o.cacheTTL > 0 ? this.scheduler.wallNow() + o.cacheTTL : 0);
        } catch (error) {
          failed(error);
        }
      }, failed);
    } catch (error) {
      this.semaphore.release();
      this.handleError(error, timer, args, this.scheduler.now() - start, resolve, reject, Outcome.failure);
      this.resetCoalesce(cacheKey, 'error');
    }
  }

  /** A filtered error is a success; any other fails, then falls back or rejects. */
  private handleError(
    error: unknown,
    timer: unknown,
    args: unknown[],
    latency: number,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
    outcome: typeof Outcome.failure | typeof Outcome.timeout,
  ): void {
    this.scheduler.clearCallTimeout(timer);
    if (this.options.errorFilter(error, ...args)) {
      this.succeeded(error, latency);
    } else {
      this.failed(error, args, latency, outcome);
      const fallback = this.runFallback(error, args);
      if (fallback) {
        resolve(fallback);
        return;
      }
    }
    reject(error);
  }

  /**
   * A success is already in the core's window (as its fire); only while half-open does the core
   * hear it, which closes the circuit before 'success' listeners run (as opossum's own listener does).
   */
  private succeeded(result: unknown, latency: number): void {
    if (this.circuit.state === State.HALF_OPEN && this.circuit.record(Outcome.success, latency) === State.CLOSED) {
      this.note('success', latency);
      this.onClosed();
      super.emit('success', result, latency);
      return;
    }
    this.note('success', latency);
    super.emit('success', result, latency);
  }

  /**
   * Records a failure in the core, emits 'failure', then 'open' if the core tripped. opossum's
   * gates come first: during the warm-up, or below volumeThreshold fires in the window (unless
   * half-open), the failure is only counted.
   */
  private failed(error: unknown, args: unknown[], latency: number, outcome: typeof Outcome.failure | typeof Outcome.timeout): void {
    const gated = this.warming || (!this.halfOpen && this.statusObject.sum('fires') < this.volume);
    let to = NO_TRANSITION;
    if (gated) this.circuit.count(Outcome.failure, 1);
    else to = this.circuit.record(outcome, latency);
    this.note('failure', latency);
    super.emit('failure', error, latency, args);
    if (to === State.OPEN) this.onOpened();
  }

  /**
   * The core's window restarts empty when the circuit closes; opossum's stats don't. Count the
   * stats window's fires and failures into the core again so later decisions see them.
   */
  private seedCore(): void {
    this.circuit.count(Outcome.success, this.statusObject.sum('fires'));
    this.circuit.count(Outcome.failure, this.statusObject.sum('failures'));
  }

  private runFallback(error: OpossumError | unknown, args: unknown[]): Promise<unknown> | undefined {
    const fallback = this.fallbackFunction;
    if (!fallback) return undefined;
    try {
      const result = fallback.apply(fallback, [...args, error]);
      this.note('fallback', error);
      super.emit('fallback', result, error);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (thrown) {
      return Promise.reject(thrown);
    }
  }

  private resetCoalesce(cacheKey: string, event?: 'error' | 'success' | 'timeout'): void {
    if (event === undefined || this.options.coalesceResetOn.includes(event)) this.options.coalesceCache?.delete(cacheKey);
  }

  /** After the core opened the circuit: 'open', and the half-open deadline on the shared scheduler. */
  private onOpened(): void {
    this.down = false;
    // After shutdown opossum has no reset timer left: the circuit stays open.
    if (!this.retired) this.scheduleHalfOpen();
    this.note('open', undefined);
    super.emit('open');
  }

  private onClosed(): void {
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
    if (o.autoRenewAbortController && o.abortController && o.abortController.signal.aborted) o.abortController = new AbortController();
  }
}

