import { AttachedManualClock, realTimers } from '../clock';
import { generationOfWord, isLaterGeneration, stateOfWord } from '../core/codec';
import { MAX_PERIOD_MS, Outcome, State } from '../core/layout';
import { monotonicPool, type SlotRef } from '../core/pool';
import { readHistory, readSlot, type SlotReading, type TransitionReading } from '../core/readings';
import { core } from '../core/select';
import { show } from '../error-message';
import type { Disposer } from '../events';
import { readMetrics, type BreakerMetrics } from '../metrics';
import {
  coreConfig,
  profileWithConfig,
  type BreakerProfile,
  resolveName,
  resolveProfile,
  type CircuitBreakerOptions,
  type ResolvedOptions,
} from '../options';
import { executeWithRetries, type RetryOptions } from '../retry';
import { fromSnapshot, toSnapshot, type BreakerSnapshot } from '../snapshot';
import { effectiveStateName, isDeadlineMove, reasonName, stateName, type StateChange, type StateName } from '../state';
import { notAFunction } from './guarded-calls';
import { UntimedContext } from './untimed-context';
import { ATTACHMENT, attachmentOf, handleOf, type Attachment } from './handle';
import { knownEvent } from './event-names';
import { reconfiguredProfile, type ReconfigurableOptions } from './reconfigure';
import { SyncCalls } from './sync-calls';
import type { BreakerEvents, BreakerHandle, CallContext, GuardedFunction, LocalOptions } from './types';

/**
 * @internal What a registry watches on its breakers: one field per breaker instead of an emitter
 * and listeners each.
 */
export interface BreakerObserver {
  transition(breaker: CircuitBreaker, change: StateChange): void;
  reconfigured(breaker: CircuitBreaker, before: ResolvedOptions, after: ResolvedOptions): void;
  /** The breaker was disposed: whoever holds it must let it go (a registry forgets it). */
  disposed(breaker: CircuitBreaker): void;
}

/**
 * A circuit breaker. The decision state lives in a slot of a shared arena, run by the native core
 * (or the reference core); this class validates, times, and emits events. On a closed circuit a
 * guarded call costs a load and a compare: successes are counted here and folded into the shared
 * window before any decision reads it (on a failure, every 256th synchronous call, and on the shared
 * tick, which also picks one async call per tick to time). The fast path's binding to the slot is
 * in slot-binding.ts, guarded calls with their timeouts and events in guarded-calls.ts.
 */
export class CircuitBreaker extends SyncCalls {
  /** @internal Set by the registry that holds this breaker. */
  observer: BreakerObserver | undefined;
  /** `options`, made on first read. */
  private resolvedOptions: ResolvedOptions | undefined;

  constructor(options?: CircuitBreakerOptions) {
    const attach = (options as { [ATTACHMENT]?: Attachment } | undefined)?.[ATTACHMENT];
    if (attach !== undefined) {
      const timers = attach.ref.arena.manualClock ? new AttachedManualClock(attach.ref.arena) : realTimers;
      super(attach.name, attach.profile, timers, undefined, attach.epoch, attach.local);
      this.useSlot(attach.ref);
      this.refresh();
    } else {
      const clock = options?.clock;
      const pool = clock ? clock.pool : monotonicPool;
      const profile = resolveProfile(options); // first: it names a wrong option (`name: null` included) best
      super(resolveName(options), profile, clock ?? realTimers, pool, -1, options ?? {});
    }
  }

  /** The options in force, after defaults (one frozen object until reconfigure() changes them). */
  get options(): ResolvedOptions {
    return (this.resolvedOptions ??= Object.freeze({ name: this.name, ...this.profile }));
  }

  /** Free-form key/values carried into metrics. */
  get labels(): Readonly<Record<string, string>> {
    return this.profile.labels;
  }

  /**
   * Attaches to a breaker created in another thread (or this one) from its `handle`; `local` sets
   * only this view's isFailure, fallback and timeout (any other option is refused).
   */
  static fromHandle(handle: BreakerHandle, local?: LocalOptions): CircuitBreaker {
    return new CircuitBreaker({ [ATTACHMENT]: attachmentOf(handle, local) } as CircuitBreakerOptions);
  }

  /** @internal A view of a slot that no breaker of this thread owns (a host arena's breaker). */
  static attachedTo(attachment: Attachment): CircuitBreaker {
    return new CircuitBreaker({ [ATTACHMENT]: attachment } as CircuitBreakerOptions);
  }

  /** Rebuilds a breaker from toJSON(): an open circuit resumes with its remaining open time. */
  static fromJSON(snapshot: BreakerSnapshot, options: CircuitBreakerOptions = {}): CircuitBreaker {
    const breaker = new CircuitBreaker({ ...(snapshot?.options ?? {}), ...options });
    breaker.restore(snapshot);
    return breaker;
  }

  /**
   * Everything a worker needs to share this breaker (its memory, slot and the slot's epoch). A
   * breaker whose handle was taken keeps its slot until dispose(), even once unreachable here:
   * views in other threads may still use it.
   */
  get handle(): BreakerHandle {
    if (this.disposed) throw this.disposedError();
    const ref = this.slot();
    this.pool?.keepWhenUnreachable(this);
    return handleOf(ref, this.options);
  }

  /**
   * Runs fn(...args, context) through the breaker and returns its promise. The context carries an
   * AbortSignal that aborts when `timeout` passes. A refused call rejects with CircuitOpenError
   * (or resolves to the fallback's value).
   */
  execute<T>(fn: (context: CallContext) => T | PromiseLike<T>): Promise<T>;

  execute<A extends unknown[], T>(fn: (...args: [...A, CallContext]) => T | PromiseLike<T>, ...args: A): Promise<T>;

  execute<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Promise<T>;

  execute(fn: GuardedFunction): Promise<unknown> {
    // arguments.length, not a rest parameter: the common call has no arguments and must not allocate.
    // eslint-disable-next-line prefer-rest-params
    if (arguments.length !== 1) return this.executeWithArguments(fn, Array.prototype.slice.call(arguments, 1));
    if (this.words[this.stateIndex] === this.asyncWord) {
      let result: unknown;
      try {
        result = fn(new UntimedContext());
      } catch (error) {
        if (typeof fn !== 'function') return Promise.reject(notAFunction(fn));
        return this.failedAsync(error, this.admitGeneration, -1, []);
      }
      this.inFlight++;
      return (result instanceof Promise ? result : Promise.resolve(result)).then(
        this.onFastSuccess,
        this.onFastFailure,
      );
    }
    return this.executeSlow(fn, []);
  }

  /** execute() with arguments: the fast path when no fallback needs them, else the slow one. */
  private executeWithArguments(fn: GuardedFunction, args: unknown[]): Promise<unknown> {
    if (this.words[this.stateIndex] === this.asyncWord && this.fallback === undefined) {
      let result: unknown;
      try {
        result = fn(...args, new UntimedContext());
      } catch (error) {
        if (typeof fn !== 'function') return Promise.reject(notAFunction(fn));
        return this.failedAsync(error, this.admitGeneration, -1, args);
      }
      this.inFlight++;
      return Promise.resolve(result).then(this.onFastSuccess, this.onFastFailure);
    }
    return this.executeSlow(fn, args);
  }

  /** Alias of execute(). */
  call<T>(fn: (context: CallContext) => T | PromiseLike<T>): Promise<T>;

  call<A extends unknown[], T>(fn: (...args: [...A, CallContext]) => T | PromiseLike<T>, ...args: A): Promise<T>;

  call<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Promise<T>;

  call(fn: GuardedFunction, ...args: unknown[]): Promise<unknown> {
    return this.execute(fn, ...args);
  }

  /** A function that runs fn through this breaker (fn gets its arguments, then a CallContext). */
  wrap<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>): (...args: A) => Promise<T> {
    if (typeof fn !== 'function') throw notAFunction(fn); // here, not at every call far from the mistake
    return (...args: A) => this.execute(fn as GuardedFunction, ...args) as Promise<T>;
  }

  /**
   * execute() with retries: failures are retried after `retryDelay` (fixed or exponential, with
   * jitter), never into an open circuit: a refused attempt fails fast, or with `whenOpen: 'wait'`
   * waits until the circuit admits a probe.
   */
  executeWithRetries<T>(fn: (context: CallContext) => T | PromiseLike<T>, options: RetryOptions = {}): Promise<T> {
    // A mistake, not an outage: refused before the first attempt, never retried.
    if (typeof fn !== 'function') return Promise.reject(notAFunction(fn));
    return executeWithRetries(
      {
        attempt: () => this.executeSlow(fn as GuardedFunction, [], false) as Promise<T>,
        fallBackOrThrow: (error) => this.fallBackOrThrow(error, []) as T,
        countsAsFailure: (error) => this.countsAsFailure(error),
        sleep: (ms) => new Promise((resolve) => this.timers.setTimeout(resolve, ms)),
      },
      options,
    );
  }

  /**
   * Asks for one call's admission when the call runs elsewhere and its outcome comes back through
   * recordSuccess()/recordFailure() (resilience4j's tryAcquirePermission). False when the circuit
   * refuses it (counted as a rejection); on an open circuit past its deadline it admits the probe.
   */
  tryAcquirePermission(): boolean {
    return this.admit() >= 0;
  }

  /** Records a success observed outside execute() (e.g. from a callback API). */
  recordSuccess(latencyMs?: number): void {
    this.flush();
    const generation = generationOfWord(this.words[this.stateIndex]);
    this.record(generation, Outcome.success, 1, latencyUs(latencyMs));
    this.afterOperation(() => this.emit('success', { latencyMs: latencyMs ?? NaN }));
  }

  /** Records a failure observed outside execute(). */
  recordFailure(error?: unknown, latencyMs?: number): void {
    this.flush();
    const generation = generationOfWord(this.words[this.stateIndex]);
    this.record(generation, Outcome.failure, 1, latencyUs(latencyMs));
    this.afterOperation(() => this.emit('failure', { error, latencyMs: latencyMs ?? NaN }));
  }

  /**
   * The state the next call meets: an OPEN circuit whose open period is over reads 'half-open'
   * (the next call is admitted as a probe), as its retryAfterMs reads 0.
   */
  getState(): StateName {
    if (this.disposed) throw this.disposedError();
    if (this.ref !== undefined) this.checkEpoch();
    const word = this.words[this.stateIndex];
    const state = stateOfWord(word);
    // Ask the core how long is left only when JS can't tell the deadline is ahead.
    if (state !== State.OPEN || this.openDeadlineAhead(word)) return stateName(state);
    return effectiveStateName(state, this.retryAfterMs());
  }

  /** Counts, rates, latency percentiles and recent transitions (folds this thread's counts first). */
  getMetrics(): BreakerMetrics {
    this.flush();
    return readMetrics(this.slot(), this.name, this.labels, this.wallNow());
  }

  /**
   * @internal The slot's state and window in one crossing (this thread's counts folded first):
   * getMetrics() without the history and the object it builds, for a loop over thousands of breakers.
   */
  reading(): SlotReading {
    this.flush();
    return readSlot(this.slot());
  }

  /**
   * @internal Why the circuit last moved to open, from the slot's history (undefined when it never
   * did). The latest by generation, not by place in the ring: a winner that stalled before taking
   * its place there writes its entry after later transitions.
   */
  lastOpenReason(): string | undefined {
    let latest: TransitionReading | undefined;
    for (const transition of readHistory(this.slot()))
      if (
        transition.to === State.OPEN &&
        (latest === undefined || isLaterGeneration(transition.newGeneration, latest.newGeneration))
      )
        latest = transition;
    return latest === undefined ? undefined : reasonName(latest.reason);
  }

  /** Opens the circuit until close() or reset(): every call is refused. */
  forceOpen(): void {
    this.manual((arena, slot) => core.forceOpen(arena, slot));
  }

  /**
   * Opens a CLOSED circuit now, for `periodMs` (default `recoveryTimeout`), because a trip is
   * predicted; recovery then runs as after a trip, and the transition's reason is 'predicted'.
   * Returns whether it opened (a circuit that is not CLOSED is left alone).
   */
  preOpen(periodMs: number = this.profile.recoveryTimeout): boolean {
    if (typeof periodMs !== 'number' || !(periodMs >= 0 && periodMs <= MAX_PERIOD_MS)) {
      throw new RangeError(
        `breakwater: preOpen(periodMs) needs a number of ms from 0 to ${MAX_PERIOD_MS}, got ${show(periodMs)}`,
      );
    }
    let opened = false;
    this.manual((arena, slot) => {
      opened = core.preOpen(arena, slot, Math.round(periodMs)) === 1;
      return 0;
    });
    return opened;
  }

  /**
   * @internal The cluster's decision (breakwater/cluster): open for `periodMs` (a fresh deadline,
   * from closed, open or half-open) or close; reason 'cluster'. A circuit forced open or disabled
   * is left alone. Returns whether the state moved.
   */
  clusterMove(to: 'open' | 'closed', periodMs = 0): boolean {
    let moved = false;
    this.manual((arena, slot) => {
      moved = core.clusterMove(arena, slot, to === 'open' ? State.OPEN : State.CLOSED, Math.round(periodMs)) === 1;
      return 0;
    });
    return moved;
  }

  /**
   * Sheds `share` (0..1) of the calls of a closed circuit, spread evenly: a softer answer to a
   * predicted failure than opening. Shed calls are refused like calls on an open circuit (state
   * 'shedding' in the CircuitOpenError) and counted as rejections. 0 stops shedding, and so does
   * the circuit leaving closed (a trip, a pre-open, forced open): shedding answers a failure that
   * has not come yet, so a circuit that recovers from it serves every call again.
   */
  shed(share: number): void {
    if (this.disposed) throw this.disposedError();
    if (typeof share !== 'number' || !(share >= 0 && share <= 1))
      throw new RangeError(`breakwater: shed(share) needs a number from 0 to 1, got ${show(share)}`);
    this.shedShare = share;
    if (share === 0) this.shedCredit = 0;
    this.refresh();
  }

  /** The share of calls shed now (see shed()). */
  get sheddingShare(): number {
    return this.shedShare;
  }

  /** Admits every call and never trips, while still recording outcomes. */
  disable(): void {
    this.manual((arena, slot) => core.disable(arena, slot));
  }

  /** Closes the circuit (from any state), clearing the window and the backoff. */
  close(): void {
    this.manual((arena, slot) => core.close(arena, slot));
  }

  /** close(), and zeroes the lifetime totals: the breaker starts afresh with its options. */
  reset(): void {
    if (this.ref !== undefined && this.ref.lane >= 0) this.ref.folded[this.ref.slot] = this.lanes[this.lane]; // the reset zeroes what they counted
    this.pendingRejections = 0;
    this.manual((arena, slot) => core.reset(arena, slot));
  }

  /**
   * Changes thresholds, timeouts or the window of a live breaker; its state and totals stay (a
   * changed window starts empty). A window can't grow past the bucket count its slot was made for.
   */
  reconfigure(changes: ReconfigurableOptions): void {
    if (this.disposed) throw this.disposedError();
    const profile = reconfiguredProfile(this.name, this.profile, changes, this.ref?.arena.maxBuckets ?? Infinity);
    this.takeProfile(profile, () => {
      if (this.ref === undefined) return;
      this.flush();
      this.writeCoreConfig();
      this.afterOperation();
    });
  }

  /**
   * @internal A host breaker's rules as a process of the host last configured them (its slot has
   * them already): this view takes them, so its options, its fast paths (which time a call only
   * when a slow-call rule is on) and what reads them agree with the shared core.
   */
  followConfig(config: Float64Array): void {
    if (this.disposed) return;
    const { profile } = profileWithConfig(this.profile, config);
    if (profile !== this.profile) this.takeProfile(profile, () => this.refresh());
  }

  /** @internal Writes its rules into its slot (again, after a host arena file cut under the slot left it zeros). */
  writeCoreConfig(): void {
    if (this.ref !== undefined && !this.disposed)
      core.configure(this.ref.arenaId, this.ref.slot, coreConfig(this.profile));
  }

  /** Puts `profile` in force (`apply` brings the core and the fast paths to it) and says so: a 'reconfigure' event. */
  private takeProfile(profile: Readonly<BreakerProfile>, apply: () => void): void {
    const before = this.options;
    this.profile = profile;
    this.resolvedOptions = undefined;
    apply();
    const after = this.options;
    this.emit('reconfigure', { before, after });
    this.observer?.reconfigured(this, before, after);
  }

  /** Async calls this breaker started in this thread that have not settled (or timed out) yet. */
  get inFlightCalls(): number {
    if (this.disposed) throw this.disposedError();
    return this.inFlight;
  }

  /** @internal The breaker's core slot; undefined until its first use. */
  get coreSlot(): SlotRef | undefined {
    return this.ref;
  }

  /** @internal Whether the breaker holds a core slot (it has been used). */
  get active(): boolean {
    return this.ref !== undefined;
  }

  /**
   * @internal Calls and rejections so far, as a number that changes when either does (the low
   * words of the lifetime totals, read from the slot without a crossing); 0 before first use.
   */
  activity(): number {
    if (this.ref === undefined) return 0;
    this.flush();
    return this.ref.arena.activity(this.ref.slot);
  }

  /** Subscribes to an event; returns the function that unsubscribes. An unknown event name is a TypeError. */
  on<K extends keyof BreakerEvents & string>(event: K, listener: (payload: BreakerEvents[K]) => void): Disposer {
    return this.events().on(knownEvent(event), listener);
  }

  once<K extends keyof BreakerEvents & string>(event: K, listener: (payload: BreakerEvents[K]) => void): Disposer {
    return this.events().once(knownEvent(event), listener);
  }

  /** A plain snapshot to persist: state, remaining open time, backoff and options. */
  toJSON(): BreakerSnapshot {
    this.flush();
    return toSnapshot(this.slot(), this.options, this.wallNow(), this.timers === realTimers ? 'wall' : 'manual');
  }

  /** Restores state saved by toJSON(); an open circuit keeps the open time it had left. */
  restore(snapshot: BreakerSnapshot): void {
    this.flush();
    const { state, remainingMs, reopens } = fromSnapshot(
      snapshot,
      this.wallNow(),
      this.timers === realTimers ? 'wall' : 'manual',
      this.options.maxRecoveryTimeout,
    );
    const ref = this.slot();
    core.restore(ref.arenaId, ref.slot, state, remainingMs, reopens);
    this.afterOperation();
  }

  /**
   * Gives the breaker's slot back for reuse by a later breaker. Afterwards every call on this
   * breaker throws; a breaker shared with workers must not be used by them any more either. On a
   * breaker attached with fromHandle() it only retires this view (the creator owns the slot).
   */
  dispose(): void {
    if (this.disposed) return;
    if (!this.isStale()) this.flush();
    this.retire();
    this.pool?.keepWhenUnreachable(this);
    if (this.ref !== undefined) this.pool?.release(this.ref);
    const observer = this.observer;
    this.observer = undefined;
    observer?.disposed(this);
  }

  protected emitTransition(
    from: number,
    to: number,
    reason: number,
    generation: number,
    madeElsewhereAt?: number,
  ): void {
    if (isDeadlineMove(from, to, reason)) return; // not an 'open' again to listeners, sinks or the history
    if (to !== State.CLOSED && to !== State.DISABLED && this.shedShare > 0) {
      // Before, a share set while closed outlived the trip, and a circuit that closed again went on
      // refusing calls of a recovered service.
      this.shedShare = 0;
      this.shedCredit = 0;
    }
    const change: StateChange = {
      from: stateName(from),
      to: stateName(to),
      reason: reasonName(reason),
      generation,
      at: madeElsewhereAt ?? this.wallNow(),
      ...(madeElsewhereAt !== undefined && { madeElsewhere: true as const }),
    };
    this.emit('stateChange', change);
    this.observer?.transition(this, change);
    if (to === State.OPEN) this.emit('open', { ...change, retryAfterMs: this.retryAfterMs() });
    else if (to === State.CLOSED) this.emit('close', change);
    else if (to === State.HALF_OPEN) this.emit('halfOpen', change);
  }
}

function latencyUs(latencyMs: number | undefined): number {
  if (latencyMs === undefined) return -1;
  // Bounded as slowCallDuration is: a latency of 1e300 ms is a unit or arithmetic mistake, not a call.
  if (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs <= MAX_PERIOD_MS)) {
    throw new RangeError(
      `breakwater: latencyMs must be a number of ms from 0 to ${MAX_PERIOD_MS}, got ${show(latencyMs)}`,
    );
  }
  return Math.floor(latencyMs * 1000);
}
