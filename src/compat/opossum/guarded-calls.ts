import { EventEmitter } from 'node:events';
import { TIMED_OUT, type CallTimeouts } from './call-timeouts';
import { CoreCircuit, NO_TRANSITION, Outcome, State } from './core-circuit';
import { buildError, openRefusal, type OpossumError } from './errors';
import { checkPeriod, withDefaults, type OpossumOptions, type ResolvedOptions } from './options';
import { manualScheduler, realScheduler, type Scheduler } from './scheduler';
import { createSemaphore, type Semaphore } from './semaphore';
import { Status, type CounterName } from './status';
import { RepeatedFailure } from '../../repeated-failure';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- actions take and return anything, as in opossum
export type Action = (...args: any[]) => any;

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

/**
 * The arguments of a call without any: shared, so the common call allocates no array for them.
 * Frozen, and never handed to a listener: events get a fresh empty array instead (own()).
 */
const NO_ARGUMENTS: unknown[] = Object.freeze([]) as unknown as unknown[];

/** The arguments as listeners get them: an array of the call's own. */
function own(args: unknown[]): unknown[] {
  return args === NO_ARGUMENTS ? [] : args;
}

/**
 * The guarded call of opossum's CircuitBreaker, on the breakwater core: admission, the action,
 * its timeout, its outcome in the core slot and in `status`, the events with opossum's order and
 * arguments, fallbacks and caches. CircuitBreaker (breaker.ts) adds the public API around it:
 * transitions, their timing, health checks and saved state.
 *
 * The closed-circuit success path allocates the returned promise and two reactions sharing one
 * context, and nothing else: no timer (a ticket in a shared ring), no arguments array for a call
 * without arguments, no event emitted nobody listens to, one clock-page read at each end.
 */
export abstract class GuardedCalls extends EventEmitter {
  /** The options object passed in, with the defaults written into it (as opossum does). */
  readonly options: ResolvedOptions;
  /** Limits concurrent calls to `capacity`. */
  readonly semaphore: Semaphore;
  /** The guarded function (a non-function action is wrapped to resolve to itself). */
  action: Action;

  protected readonly circuit: CoreCircuit;
  protected readonly scheduler: Scheduler;
  protected readonly statusObject: Status;
  /** Whether `status` runs on this breaker's clock, so one reading serves both. */
  private readonly statusOnOwnClock: boolean;
  /** A throwing errorFilter's failures: one warning for many of the same. */
  private filterFailures: RepeatedFailure | undefined;
  protected readonly volume: number;
  protected isEnabled: boolean;
  protected warming: boolean;
  /** opossum's SHUTDOWN state: set by shutdown(), left again only by a later open() or close(). */
  protected down = false;
  /** Shut down once: stats, scheduling and listeners are gone for good (opossum removed its own listeners). */
  protected retired = false;
  /** The half-open generation whose single trial call the next fire() may take; -1 once taken. */
  protected trialGeneration = -1;
  protected fallbackFunction: Action | null = null;
  /** The call timeouts this breaker used last (one per `timeout` value, shared by the thread's breakers). */
  private timeouts: CallTimeouts | undefined;

  /** Validates and completes the options and sets up the core slot, the stats and the semaphore. */
  constructor(action: unknown, options: OpossumOptions) {
    super();
    this.scheduler = options.clock ? manualScheduler(options.clock) : realScheduler;
    const o = (this.options = withDefaults(options, () => this.scheduler.wallNow()));
    this.semaphore = createSemaphore(o.capacity);
    if (!action)
      throw new TypeError('No action provided. Cannot construct a CircuitBreaker without an invocable action.');
    if (options.autoRenewAbortController && !options.abortController) o.abortController = new AbortController();
    if (o.abortController && typeof o.abortController.abort !== 'function')
      throw new TypeError('AbortController does not contain `abort()` method');
    this.volume = Number.isInteger(options.volumeThreshold) ? (options.volumeThreshold as number) : 0;
    const saved = options.state;
    this.warming = (saved && saved.warmUp) || options.allowWarmUp === true;
    this.isEnabled = saved ? saved.enabled !== false : options.enabled !== false;
    this.statusObject = o.status
      ? o.status instanceof Status
        ? o.status
        : new Status({ stats: o.status }, this.scheduler)
      : new Status(o, this.scheduler);
    this.statusOnOwnClock = this.statusObject.scheduler === this.scheduler;
    this.circuit = new CoreCircuit(
      {
        errorThresholdPercentage: o.errorThresholdPercentage,
        // Status falls back to 10000 for a 0 window; so does the core.
        rollingCountTimeout: checkPeriod(o, 'rollingCountTimeout') || 10000,
        rollingCountBuckets: o.rollingCountBuckets,
        resetTimeout: checkPeriod(o, 'resetTimeout'),
      },
      options.clock,
      this.scheduler,
    );
    this.seedCore();
    this.action = typeof action === 'function' ? (action as Action) : () => Promise.resolve(action);
  }

  /** Opens the circuit and emits 'open' (a failure that trips it after shutdown). */
  abstract open(): void;

  /** After the core opened the circuit: 'open', and the half-open deadline. */
  protected abstract onOpened(): void;

  /** After the circuit closed: the core's window seeded again, and 'close'. */
  protected abstract onClosed(): void;

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
  protected note(event: string, runTime: unknown): void {
    if (this.retired) return;
    const counter = COUNTED.get(event);
    if (counter !== undefined) {
      this.statusObject.increment(counter, runTime as number | undefined);
      // Every fire weighs in the core's failure rate, as in opossum's failures / fires.
      if (counter === 'fires') this.circuit.fired(this.scheduler.now());
    } else if (event === 'open') this.statusObject.open();
    else if (event === 'close') this.statusObject.close();
  }

  /**
   * Whether anyone listens to `event`. EventEmitter keeps its listeners in a dictionary-mode
   * object, so listenerCount() is a hash lookup; `_eventsCount` (how many events have listeners,
   * a plain field since Node 0.x) answers for the common breaker nobody listens to. Should a
   * Node drop the field, the check falls through to listenerCount().
   */
  private listening(event: string): boolean {
    return (this as unknown as { _eventsCount?: number })._eventsCount !== 0 && this.listenerCount(event) !== 0;
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

  /** Runs the action through the breaker with args. */
  fire(...args: unknown[]): Promise<unknown>;
  fire(): Promise<unknown> {
    // `arguments`, not a rest parameter: a call without arguments must not allocate an array.
    // eslint-disable-next-line prefer-rest-params
    return this.invoke(this.action, arguments.length === 0 ? NO_ARGUMENTS : Array.prototype.slice.call(arguments));
  }

  /** Runs the action through the breaker with `this` = context (the first argument is not the function). */
  call(context: unknown, ...rest: unknown[]): Promise<unknown> {
    return this.invoke(context, rest);
  }

  /** fire() and call(), with `rest` the caller's arguments in an array of their own. */
  private invoke(context: unknown, rest: unknown[]): Promise<unknown> {
    if (this.down) return Promise.reject(buildError('The circuit has been shutdown.', 'ESHUTDOWN'));
    const o = this.options;
    // opossum copies the arguments, so a 'fire' listener that changes them cannot change the cache key.
    let args = o.cache || o.coalesce ? rest.slice() : rest;
    const now = this.scheduler.now();
    if (!this.retired) {
      this.statusObject.countFire(this.statusOnOwnClock ? now : this.statusObject.scheduler.now());
      // Every fire weighs in the core's failure rate, as in opossum's failures / fires.
      this.circuit.fired(now);
    }
    const listened = this.listening('fire');
    if (listened) {
      // Later events of this call get the same array, as in opossum.
      args = own(args);
      super.emit('fire', args);
    }
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
      const error = openRefusal();
      this.note('reject', undefined);
      super.emit('reject', error);
      return this.runFallback(error, args) || Promise.reject(error);
    }
    // Half-open: this call is the trial; the next ones are refused until it settles.
    this.trialGeneration = -1;
    // The call starts now, unless listeners ran since (opossum reads its clock after the events).
    const call = this.run(context, args, cacheKey, listened || o.cache || o.coalesce ? this.scheduler.now() : now);
    if (o.coalesce) {
      o.coalesceCache?.set(
        cacheKey,
        call,
        o.coalesceTTL && o.coalesceTTL > 0 ? this.scheduler.wallNow() + o.coalesceTTL : 0,
      );
    }
    return call;
  }

  // --- the admitted call ---------------------------------------------------------------------

  /**
   * The admitted call: semaphore, timeout, action, outcome. Per call it costs the returned promise
   * and two reactions sharing one context; the timeout is a ticket in a shared ring, whose handler
   * is the rejection reaction (called with TIMED_OUT), so no timer and no third closure.
   */
  private run(context: unknown, args: unknown[], cacheKey: string, start: number): Promise<unknown> {
    // Every variable the reactions use lives at this level: V8 then gives the call one context
    // (a variable declared in a block and captured would cost a second one).
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const call = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    if (!this.semaphore.test()) {
      this.semaphoreLocked(args, cacheKey, start, resolve, reject);
      return call;
    }
    const timeout = this.options.timeout;
    let timeouts = this.timeouts;
    let ticket: unknown;
    let timedOut = false;
    let promise: Promise<unknown>;
    const failed = (error: unknown): void => {
      if (timedOut) return;
      if (error === TIMED_OUT) {
        timedOut = true;
        this.timedOut(args, cacheKey, start, resolve, reject);
        return;
      }
      timeouts?.clear(ticket);
      this.semaphore.release();
      this.handleError(error, args, this.scheduler.now() - start, resolve, reject, Outcome.failure);
      this.resetCoalesce(cacheKey, 'error');
    };
    if (timeout) {
      if (timeouts === undefined || timeouts.ms !== timeout || timeouts.retired)
        timeouts = this.timeouts = this.scheduler.callTimeouts(Number(timeout));
      ticket = timeouts.add(failed, start);
    } else {
      timeouts = undefined;
    }
    try {
      // call() where there are no arguments: apply() walks even an empty array (~6 ns).
      const result = args === NO_ARGUMENTS ? this.action.call(context) : this.action.apply(context, args);
      promise = typeof result.then === 'function' ? result : Promise.resolve(result);
      promise.then((value) => {
        if (timedOut) return;
        // opossum's .catch() after its .then() also catches a throwing 'success' listener (or cache
        // transport), which then counts as a failure: one reaction with a try does the same.
        try {
          timeouts?.clear(ticket);
          const now = this.scheduler.now();
          this.succeeded(value, now - start, now);
          this.resetCoalesce(cacheKey, 'success');
          this.semaphore.release();
          resolve(value);
          const o = this.options;
          if (o.cache)
            o.cacheTransport?.set(cacheKey, promise, o.cacheTTL > 0 ? this.scheduler.wallNow() + o.cacheTTL : 0);
        } catch (error) {
          failed(error);
        }
      }, failed);
    } catch (error) {
      failed(error);
    }
    return call;
  }

  /** No semaphore slot: 'semaphoreLocked', then a failure (or its fallback). */
  private semaphoreLocked(
    args: unknown[],
    cacheKey: string,
    start: number,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): void {
    const latency = this.scheduler.now() - start;
    const error = buildError('Semaphore locked', 'ESEMLOCKED');
    this.note('semaphoreLocked', latency);
    super.emit('semaphoreLocked', error, latency);
    this.handleError(error, args, latency, resolve, reject, Outcome.failure);
    this.resetCoalesce(cacheKey);
  }

  /** A call ran out of time: 'timeout', then a failure (or its fallback), and the abortController aborts. */
  private timedOut(
    callArgs: unknown[],
    cacheKey: string,
    start: number,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): void {
    // 'timeout' and 'failure' show the same array, as in opossum.
    const args = own(callArgs);
    const error = buildError(`Timed out after ${String(this.options.timeout)}ms`, 'ETIMEDOUT');
    const latency = this.scheduler.now() - start;
    this.semaphore.release();
    this.note('timeout', latency);
    super.emit('timeout', error, latency, args);
    this.handleError(error, args, latency, resolve, reject, Outcome.timeout);
    this.resetCoalesce(cacheKey, 'timeout');
    this.options.abortController?.abort();
  }

  /** A filtered error is a success; any other fails, then falls back or rejects. */
  private handleError(
    error: unknown,
    args: unknown[],
    latency: number,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
    outcome: typeof Outcome.failure | typeof Outcome.timeout,
  ): void {
    if (this.filtered(error, args)) {
      this.succeeded(error, latency, this.scheduler.now());
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
   * Whether errorFilter lets `error` pass as a success. A filter that throws (`err.response.status`
   * on an error without a response) filters nothing: the call fails as any other, with a warning.
   * opossum 10 lets the throw escape the call's settlement: an unhandled rejection, which crashes
   * the process by default, and a fire() that never settles.
   */
  private filtered(error: unknown, args: unknown[]): boolean {
    try {
      return this.options.errorFilter(error, ...args);
    } catch (filterError) {
      this.filterFailures ??= new RepeatedFailure();
      const warning = this.filterFailures.failed(filterError, performance.now());
      if (warning !== undefined)
        process.emitWarning(`breakwater/opossum: errorFilter threw (the error counts as a failure): ${warning}`, {
          code: 'BREAKWATER_LISTENER_ERROR',
        });
      return false;
    }
  }

  /**
   * A success is already in the core's window (as its fire); only while half-open does the core
   * hear it, which closes the circuit before 'success' listeners run (as opossum's own listener does).
   * `now` is the breaker's clock when the call settled.
   */
  private succeeded(result: unknown, latency: number, now: number): void {
    const closing =
      this.circuit.state === State.HALF_OPEN && this.circuit.record(Outcome.success, latency) === State.CLOSED;
    if (!this.retired)
      this.statusObject.countSuccess(latency, this.statusOnOwnClock ? now : this.statusObject.scheduler.now());
    if (closing) this.onClosed();
    if (this.listening('success')) super.emit('success', result, latency);
  }

  /**
   * Records a failure in the core, emits 'failure', then 'open' if the core tripped. opossum's
   * gates come first: during the warm-up, or below volumeThreshold fires in the window (unless
   * half-open), the failure is only counted.
   */
  private failed(
    error: unknown,
    args: unknown[],
    latency: number,
    outcome: typeof Outcome.failure | typeof Outcome.timeout,
  ): void {
    const gated = this.warming || (!this.halfOpen && this.statusObject.sum('fires') < this.volume);
    let to = NO_TRANSITION;
    if (gated) this.circuit.count(Outcome.failure, 1);
    else to = this.circuit.record(outcome, latency);
    this.note('failure', latency);
    super.emit('failure', error, latency, own(args));
    if (to === State.OPEN) this.onOpened();
    else if (this.retired && !gated && this.circuit.state === State.CLOSED && this.tripsOnStats()) this.open();
  }

  /**
   * After shutdown the slot is gone, and opossum decides a closed circuit's trip on its stats,
   * which no longer count anything: more than errorThresholdPercentage of the fires failed.
   */
  private tripsOnStats(): boolean {
    const fires = this.statusObject.sum('fires');
    return (this.statusObject.sum('failures') / fires) * 100 > this.options.errorThresholdPercentage;
  }

  /**
   * The core's window restarts empty when the circuit closes; opossum's stats don't. Count the
   * stats window's fires and failures into the core again so later decisions see them.
   */
  protected seedCore(): void {
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
    const shared = this.options.coalesceCache;
    if (shared !== undefined && (event === undefined || this.options.coalesceResetOn.includes(event)))
      shared.delete(cacheKey);
  }
}
