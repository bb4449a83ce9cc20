import { AttachedManualClock, realTimers, type Timers } from './clock';
import { Arena } from './core/arena';
import { ClockWord, GENERATION_MASK, MAX_PERIOD_MS, Outcome, Scratch, State } from './core/layout';
import { adoptFoldMark, ArenaPool, monotonicPool, slotRef, type SlotRef } from './core/pool';
import { core } from './core/select';
import { CircuitOpenError } from './errors/CircuitOpenError';
import { TimeoutError } from './errors/TimeoutError';
import { Emitter, type Disposer } from './events';
import { readMetrics, type BreakerMetrics } from './metrics';
import {
  coreConfig,
  resolveName,
  resolveProfile,
  type BreakerProfile,
  type CircuitBreakerOptions,
  type ResolvedOptions,
} from './options';
import { executeWithRetries, type RetryOptions } from './retry';
import { fromSnapshot, toSnapshot, type BreakerSnapshot } from './snapshot';
import { effectiveStateName, reasonName, stateName, type StateChange, type StateName } from './state';
import { FastGeneration } from './fast-generation';
import { joinTick, leaveTick, type Ticking } from './tick';

/** What a guarded async function receives after its own arguments. */
export interface CallContext {
  /** Aborted with a TimeoutError when the breaker's `timeout` passes; never aborted without one. */
  readonly signal: AbortSignal;
}

/** The answer of attempt(): the value, or the breaker's rejection (never thrown). */
export type Attempt<T> = { readonly ok: true; readonly value: T } | Rejection;

/** attempt()'s answer when the circuit refuses the call. One object per breaker, reused. */
export interface Rejection {
  readonly ok: false;
  readonly breaker: string;
  /** Milliseconds until the circuit admits a probe (computed when read). */
  readonly retryAfterMs: number;
}

export interface BreakerEvents {
  stateChange: StateChange;
  open: StateChange & { retryAfterMs: number };
  close: StateChange;
  halfOpen: StateChange;
  success: { latencyMs: number };
  failure: { error: unknown; latencyMs: number };
  reject: { error: CircuitOpenError };
  timeout: { error: TimeoutError };
  /** reconfigure() changed the options in force. */
  reconfigure: { before: ResolvedOptions; after: ResolvedOptions };
}

/** Options a live breaker can change with reconfigure(). */
export type ReconfigurableOptions = Omit<
  CircuitBreakerOptions,
  'name' | 'clock' | 'isFailure' | 'fallback' | 'labels' | 'slidingWindowType'
>;

const RECONFIGURABLE = new Set([
  'slidingWindowSize',
  'slidingWindowBuckets',
  'failureThreshold',
  'failureRateThreshold',
  'minimumCalls',
  'slowCallRateThreshold',
  'slowCallDuration',
  'recoveryTimeout',
  'maxRecoveryTimeout',
  'backoffFactor',
  'jitter',
  'halfOpenMaxCalls',
  'halfOpenSuccessThreshold',
  'halfOpenTimeout',
  'timeout',
]);

/**
 * @internal What a registry watches on its breakers: one field per breaker instead of an emitter
 * and listeners each.
 */
export interface BreakerObserver {
  transition(breaker: CircuitBreaker, change: StateChange): void;
  reconfigured(breaker: CircuitBreaker, before: ResolvedOptions, after: ResolvedOptions): void;
}

/** Structured-cloneable: post it to a worker and attach there with CircuitBreaker.fromHandle(). */
export interface BreakerHandle {
  readonly kind: 'breakwater.breaker';
  readonly version: 2;
  readonly buffer: SharedArrayBuffer;
  readonly slot: number;
  /** The slot's epoch when the handle was made: once its breaker is disposed, the handle is stale. */
  readonly epoch: number;
  readonly options: Omit<ResolvedOptions, 'labels'> & { labels: Record<string, string> };
}

/** Functions can't cross threads: the attaching side passes its own. */
export type LocalOptions = Pick<CircuitBreakerOptions, 'isFailure' | 'fallback'>;

/** What execute() calls: the caller's arguments, then the CallContext. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the public overloads carry the types
type GuardedFunction = (...args: any[]) => unknown;

/** The low state word never takes this value (state bits 15), so comparing against it never admits. */
const NO_FAST_PATH = 0x0f;
/** One synchronous call in this many is timed, for the latency histogram, and folds the JS-side counts. */
const SAMPLE_EVERY = 256;
const NEVER_ABORTED: CallContext = Object.freeze({ signal: new AbortController().signal });
const everything = (): boolean => true;
let attaching:
  { ref: SlotRef; epoch: number; name: string; profile: Readonly<BreakerProfile>; local: LocalOptions } | undefined;
/** What a breaker reads before its first call takes a slot: a CLOSED state word of generation 0, as a fresh slot holds. */
const NO_SLOT_YET: Int32Array = new Int32Array(2);
/** Before the first generation starts (the fast paths open with a generation). */
const NO_GENERATION_YET = new FastGeneration(-1);
/** What a breaker counts into before its first call takes a slot, or without a lane (never: the fast paths are shut). */
const NO_LANES: Float64Array = new Float64Array(1);
/** Eras (2^20 ms each) for which a deadline the core confirmed may be compared in JS: ~6 days, well inside the 2^31 ms of serial arithmetic. */
const TRUSTED_ERAS = 512;
/** This thread's coarse clock page, fetched once (the core returns the same page every time). */
let monotonicClockWords: Int32Array | undefined;

class BreakerEmitter extends Emitter<BreakerEvents> {
  constructor(private readonly onListenersChanged: () => void) {
    super();
  }
  protected override changed(): void {
    this.onListenersChanged();
  }
}

/**
 * A circuit breaker. The decision state lives in a slot of a shared arena, run by the native core
 * (or the reference core); this class validates, times, and emits events. On a closed circuit a
 * guarded call costs a load and a compare: successes are counted here and folded into the shared
 * window before any decision reads it (on a failure, every 256th synchronous call, and on the shared
 * tick, which also picks one async call per tick to time).
 */
export class CircuitBreaker implements Ticking {
  readonly name: string;
  /** The options in force after defaults, but the name: shared by breakers created alike. */
  private profile: Readonly<BreakerProfile>;
  /** @internal Set by the registry that holds this breaker. */
  observer: BreakerObserver | undefined;
  /** `options`, made on first read. */
  private resolvedOptions: ResolvedOptions | undefined;

  /** The breaker's slot, taken on first use: a breaker that was never called costs no core memory. */
  private ref: SlotRef | undefined;
  /** The pool this breaker's slot comes from; undefined when attached from a handle (not the owner). */
  private readonly pool: ArenaPool | undefined;
  /** A view attached from a handle: the slot's epoch it was made for (-1 for the owner). */
  private readonly attachedEpoch: number;
  private disposed = false;
  private words = NO_SLOT_YET;
  private stateIndex = 0;
  private clockWords = NO_SLOT_YET;
  private readonly timers: Timers;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly fallback: ((error: unknown, ...args: unknown[]) => unknown) | undefined;
  /** Created with the first listener: most breakers never have one. */
  private emitter: BreakerEmitter | undefined;
  private rejectionObject: Rejection | undefined;
  /** The refusal executeSync is about to throw (held for the one frame between). */
  private refusedError: CircuitOpenError | undefined;

  /** The state word when the circuit admits everything (CLOSED or DISABLED), else NO_FAST_PATH. */
  private admitWord = NO_FAST_PATH;
  private admitGeneration = 0;
  /** admitWord when calls may skip timing and events (sync / async), else NO_FAST_PATH. */
  private syncWord = NO_FAST_PATH;
  private asyncWord = NO_FAST_PATH;
  private countdown = SAMPLE_EVERY;
  /** The generation the fast paths count in. */
  private tally = NO_GENERATION_YET;
  /** This thread's lanes view and the index of its lane in this slot (LAYOUT.md "Lanes"); fast successes count there. */
  private lanes = NO_LANES;
  private lane = 0;
  /** An OPEN state word the core confirmed ahead of its deadline, and the clock era then: JS may compare that deadline itself. */
  private verifiedOpenWord = NO_FAST_PATH;
  private verifiedEra = 0;
  private pendingRejections = 0;
  private inFlight = 0;
  /** Share of calls refused while closed (shed()), and the credit that spreads them evenly. */
  private shedShare = 0;
  private shedCredit = 0;
  /** Whether the breaker is on this thread's tick; idle breakers leave it and lose the fast path until their next call. */
  private ticking = false;
  private idleTicks = 0;
  /** Whether fast-path counts were folded since the last tick (the breaker was busy). */
  private foldedSinceTick = false;
  /** Reactions of fast async calls, bound to the current generation's tally; made on first async use. */
  private onFastSuccess: ((value: unknown) => unknown) | undefined;
  private onFastFailure: ((error: unknown) => unknown) | undefined;

  constructor(options?: CircuitBreakerOptions) {
    const attach = attaching;
    attaching = undefined;
    const local: LocalOptions = attach?.local ?? options ?? {};
    this.profile = attach?.profile ?? resolveProfile(options);
    this.name = attach?.name ?? resolveName(options);
    this.isFailure = local.isFailure ?? everything;
    this.fallback = local.fallback;
    if (attach) {
      this.pool = undefined;
      this.attachedEpoch = attach.epoch;
      this.timers = attach.ref.arena.manualClock ? new AttachedManualClock(attach.ref.arena) : realTimers;
      this.useSlot(attach.ref);
      this.refresh();
    } else {
      const clock = options?.clock;
      this.attachedEpoch = -1;
      this.pool = clock ? clock.pool : monotonicPool;
      this.timers = clock ?? realTimers;
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

  /** Attaches to a breaker created in another thread (or this one) from its `handle`. */
  static fromHandle(handle: BreakerHandle, local: LocalOptions = {}): CircuitBreaker {
    if (handle === null || typeof handle !== 'object' || handle.kind !== 'breakwater.breaker') {
      throw new TypeError('breakwater: fromHandle() needs the `handle` of a CircuitBreaker');
    }
    if (handle.version !== 2)
      throw new RangeError(
        `breakwater: breaker handle version ${String(handle.version)} is not supported (expected 2)`,
      );
    const arena = Arena.from(handle.buffer, 'handle.buffer');
    if (!Number.isInteger(handle.slot) || handle.slot < 0 || handle.slot >= arena.capacity) {
      throw new RangeError(
        `breakwater: handle slot ${String(handle.slot)} is outside its arena (0..${arena.capacity - 1})`,
      );
    }
    const options = { ...handle.options, ...local };
    if (handle.epoch !== arena.epochOf(handle.slot))
      throw staleHandleError(resolveName(options), handle.epoch, arena.epochOf(handle.slot));
    attaching = {
      ref: slotRef(arena, handle.slot),
      epoch: handle.epoch,
      name: resolveName(options),
      profile: resolveProfile(options),
      local,
    };
    return new CircuitBreaker();
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
    const options = { ...this.options, labels: { ...this.labels } };
    return {
      kind: 'breakwater.breaker',
      version: 2,
      buffer: ref.arena.buffer,
      slot: ref.slot,
      epoch: ref.arena.epochOf(ref.slot),
      options,
    };
  }

  // --- guarded calls -------------------------------------------------------------------------

  /**
   * Runs a synchronous function through the breaker. Throws CircuitOpenError when the circuit
   * refuses (or returns the fallback's value), and rethrows fn's error after recording it.
   */
  executeSync<T>(fn: () => T): T {
    if (this.words[this.stateIndex] === this.syncWord && --this.countdown !== 0) {
      let value: T;
      try {
        value = fn();
      } catch (error) {
        if (typeof fn !== 'function') throw notAFunction(fn);
        // Rethrown here, one frame below the caller's catch: V8 charges each frame it unwinds.
        if (this.noteFailure(error, this.admitGeneration, -1) && this.fallback !== undefined)
          return this.fallback(error) as T;
        throw error;
      }
      this.lanes[this.lane]++;
      return value;
    }
    const value = this.executeSyncSlow(fn);
    if (value !== REFUSED) return value as T;
    // Thrown here, one frame below the caller's catch: V8 spends ~200 ns on each frame it unwinds.
    const error = this.refusedError!;
    this.refusedError = undefined;
    throw error;
  }

  /** Like executeSync, but a refused call returns the breaker's Rejection instead of throwing. */
  attempt<T>(fn: () => T): Attempt<T> {
    if (this.words[this.stateIndex] === this.syncWord && --this.countdown !== 0) {
      let value: T;
      try {
        value = fn();
      } catch (error) {
        if (typeof fn !== 'function') throw notAFunction(fn);
        return { ok: true, value: this.failed(error, this.admitGeneration, -1, []) as T };
      }
      this.lanes[this.lane]++;
      return { ok: true, value };
    }
    if (this.takeFirstSlot()) return this.attempt(fn);
    if (this.countdown <= 0) this.countdown = SAMPLE_EVERY;
    if (typeof fn !== 'function') throw notAFunction(fn);
    const generation = this.admit();
    if (generation < 0) {
      if (this.has('reject')) this.emit('reject', { error: this.openError() });
      return this.rejection();
    }
    return { ok: true, value: this.runTimedSync(fn, generation) };
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
        result = fn(NEVER_ABORTED);
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
        result = fn(...args, NEVER_ABORTED);
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
    return (...args: A) => this.execute(fn as GuardedFunction, ...args) as Promise<T>;
  }

  /**
   * execute() with retries: failures are retried after `retryDelay` (fixed or exponential, with
   * jitter), never into an open circuit: a refused attempt fails fast, or with `whenOpen: 'wait'`
   * waits until the circuit admits a probe.
   */
  executeWithRetries<T>(fn: (context: CallContext) => T | PromiseLike<T>, options: RetryOptions = {}): Promise<T> {
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

  // --- outcomes observed elsewhere -----------------------------------------------------------

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
    const generation = (this.words[this.stateIndex] >>> 4) & GENERATION_MASK;
    this.record(generation, Outcome.success, 1, latencyUs(latencyMs));
    this.afterOperation(() => this.emit('success', { latencyMs: latencyMs ?? NaN }));
  }

  /** Records a failure observed outside execute(). */
  recordFailure(error?: unknown, latencyMs?: number): void {
    this.flush();
    const generation = (this.words[this.stateIndex] >>> 4) & GENERATION_MASK;
    this.record(generation, Outcome.failure, 1, latencyUs(latencyMs));
    this.afterOperation(() => this.emit('failure', { error, latencyMs: latencyMs ?? NaN }));
  }

  // --- state ---------------------------------------------------------------------------------

  /**
   * The state the next call meets: an OPEN circuit whose open period is over reads 'half-open'
   * (the next call is admitted as a probe), as its retryAfterMs reads 0.
   */
  getState(): StateName {
    if (this.disposed) throw this.disposedError();
    if (this.ref !== undefined) this.checkEpoch();
    const word = this.words[this.stateIndex];
    const state = word & 0xf;
    // Ask the core how long is left only when JS can't tell the deadline is ahead.
    if (state !== State.OPEN || this.openDeadlineAhead(word)) return stateName(state);
    return effectiveStateName(state, this.retryAfterMs());
  }

  /** Counts, rates, latency percentiles and recent transitions (folds this thread's counts first). */
  getMetrics(): BreakerMetrics {
    this.flush();
    return readMetrics(this.slot(), this.name, this.labels, this.wallNow());
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
        `breakwater: preOpen(periodMs) needs a number of ms from 0 to ${MAX_PERIOD_MS}, got ${String(periodMs)}`,
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
   * Sheds `share` (0..1) of the calls of a closed circuit, spread evenly: a softer answer to a
   * predicted failure than opening. Shed calls are refused like calls on an open circuit (state
   * 'shedding' in the CircuitOpenError) and counted as rejections. 0 stops shedding.
   */
  shed(share: number): void {
    if (this.disposed) throw this.disposedError();
    if (typeof share !== 'number' || !(share >= 0 && share <= 1))
      throw new RangeError(`breakwater: shed(share) needs a number from 0 to 1, got ${String(share)}`);
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
    if (changes === null || typeof changes !== 'object')
      throw new TypeError(
        `breakwater: reconfigure() needs an object of options, got ${changes === null ? 'null' : typeof changes}`,
      );
    for (const key of Object.keys(changes)) {
      if (!RECONFIGURABLE.has(key))
        throw new TypeError(
          `breakwater: option "${key}" can't change on a live breaker (reconfigurable: ${[...RECONFIGURABLE].join(', ')})`,
        );
    }
    const before = this.options;
    const merged: CircuitBreakerOptions = { ...this.profile, ...changes };
    // Limits that default from another option follow it when it grows past them.
    if (changes.maxRecoveryTimeout === undefined)
      merged.maxRecoveryTimeout = Math.max(this.profile.maxRecoveryTimeout, Number(merged.recoveryTimeout));
    if (changes.halfOpenMaxCalls === undefined)
      merged.halfOpenMaxCalls = Math.max(this.profile.halfOpenMaxCalls, Number(merged.halfOpenSuccessThreshold));
    const profile = resolveProfile(merged);
    const maxBuckets = this.ref?.arena.maxBuckets ?? profile.slidingWindowBuckets;
    if (profile.slidingWindowBuckets > maxBuckets) {
      throw new RangeError(
        `breakwater: option "slidingWindowBuckets" can be at most ${maxBuckets} on breaker "${this.name}" (its slot was made for that many), got ${profile.slidingWindowBuckets}`,
      );
    }
    this.profile = profile;
    this.resolvedOptions = undefined;
    if (this.ref !== undefined) {
      this.flush();
      core.configure(this.ref.arenaId, this.ref.slot, coreConfig(profile));
      this.afterOperation();
    }
    const after = this.options;
    this.emit('reconfigure', { before, after });
    this.observer?.reconfigured(this, before, after);
  }

  /** Async calls this breaker started in this thread that have not settled (or timed out) yet. */
  get inFlightCalls(): number {
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

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof BreakerEvents & string>(event: K, listener: (payload: BreakerEvents[K]) => void): Disposer {
    return this.events().on(event, listener);
  }

  once<K extends keyof BreakerEvents & string>(event: K, listener: (payload: BreakerEvents[K]) => void): Disposer {
    return this.events().once(event, listener);
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
  }

  /** Shuts every path and leaves the tick: the breaker is disposed, or its slot was given back. */
  private retire(): void {
    this.disposed = true;
    this.tally.retired = true; // fast async calls still in flight must not count in a lane of a slot given back
    this.admitWord = this.syncWord = this.asyncWord = NO_FAST_PATH;
    if (this.ticking) leaveTick(this);
    this.ticking = false;
  }

  /** Folds the successes and rejections counted in this thread into the shared core. */
  flush(): void {
    if (this.disposed) throw this.disposedError();
    if (this.ref !== undefined) this.checkEpoch();
    this.flushPending();
    if (this.pendingRejections > 0) {
      core.rejected(this.ref!.arenaId, this.ref!.slot, this.pendingRejections);
      this.pendingRejections = 0;
    }
  }

  // --- internals -----------------------------------------------------------------------------

  /** fn's value, the fallback's, or REFUSED with the refusal in refusedError (for executeSync to throw). */
  private executeSyncSlow<T>(fn: () => T): T | typeof REFUSED {
    if (this.takeFirstSlot()) return this.executeSync(fn);
    if (this.countdown <= 0) this.countdown = SAMPLE_EVERY;
    if (typeof fn !== 'function') throw notAFunction(fn);
    const generation = this.admit();
    if (generation < 0) {
      const error = this.refusal();
      if (this.fallback !== undefined) return this.fallback(error) as T;
      this.refusedError = error;
      return REFUSED;
    }
    return this.runTimedSync(fn, generation);
  }

  private runTimedSync<T>(fn: () => T, generation: number): T {
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

  private executeSlow(fn: GuardedFunction, args: unknown[], useFallback = true): Promise<unknown> {
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
      result = fn(...args, NEVER_ABORTED);
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

  private executeWithTimeout(
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

  /** On a breaker's first call: takes its slot and opens the fast paths, so the call can take them. */
  private takeFirstSlot(): boolean {
    if (this.ref !== undefined || this.disposed) return false;
    this.slot();
    this.refresh();
    return true;
  }

  /** The breaker's slot, taken (and configured) on first use. */
  private slot(): SlotRef {
    if (this.ref !== undefined) {
      this.checkEpoch();
      return this.ref;
    }
    if (this.disposed) throw this.disposedError();
    const pool = this.pool!;
    const ref = pool.allocate(this.profile.slidingWindowBuckets, this.profile.latencyHistogram);
    core.configure(ref.arenaId, ref.slot, coreConfig(this.profile));
    this.useSlot(ref);
    pool.releaseWhenUnreachable(this, ref);
    return ref;
  }

  /** Whether this is a view attached from a handle whose breaker has since been disposed (its slot given back). */
  private isStale(): boolean {
    return (
      this.attachedEpoch >= 0 && this.ref !== undefined && this.ref.arena.epochOf(this.ref.slot) !== this.attachedEpoch
    );
  }

  /** A view of a disposed breaker fails instead of touching the slot's next owner. */
  private checkEpoch(): void {
    if (!this.isStale()) return;
    this.retire();
    throw staleHandleError(this.name, this.attachedEpoch, this.ref!.arena.epochOf(this.ref!.slot));
  }

  private useSlot(ref: SlotRef): void {
    const arena = ref.arena;
    this.ref = ref;
    this.words = arena.words;
    this.stateIndex = arena.stateIndex(ref.slot);
    // A thread without a lane keeps the dummy: its fast paths stay shut, and nothing could count into the arena.
    if (ref.lane >= 0) {
      this.lanes = arena.lanes;
      this.lane = arena.laneIndex(ref.slot, ref.lane);
    }
    adoptFoldMark(ref, this.attachedEpoch >= 0 ? this.attachedEpoch : arena.epochOf(ref.slot));
    this.clockWords = arena.manualClock ? arena.manualClockWords() : (monotonicClockWords ??= core.clockPage());
  }

  /**
   * Decides whether a call may run: the generation it runs under, or -1 when refused. Rejections
   * on an open circuit whose deadline is still ahead are decided here on the clock words, without
   * a crossing; everything else asks the core.
   */
  private admit(): number {
    if (this.disposed) throw this.disposedError();
    const word = this.words[this.stateIndex];
    const state = word & 0xf;
    // Shedding refuses only calls a closed (or disabled) circuit would admit: refusals of such a
    // circuit are the shed ones (openError() tells them apart by the state).
    if (
      this.shedShare > 0 &&
      (state === State.CLOSED || state === State.DISABLED) &&
      (this.shedCredit += this.shedShare) >= 1
    ) {
      this.shedCredit -= 1;
      if (this.pendingRejections++ === 0 && !this.ticking) this.joinTick();
      return -1;
    }
    if (word === this.admitWord) return this.admitGeneration;
    this.flushPending();
    if (state === State.FORCED_OPEN || (state === State.OPEN && this.openDeadlineAhead(word))) {
      if (this.pendingRejections++ === 0 && !this.ticking) this.joinTick();
      return -1;
    }
    const ref = this.slot();
    const admitted = core.admit(ref.arenaId, ref.slot);
    const generation = core.scratch[Scratch.generation];
    this.afterOperation();
    if (admitted === 0) this.verifyOpenWord();
    return admitted === 1 ? generation : -1;
  }

  /**
   * Whether an OPEN circuit's deadline is still ahead, decided on the clock words without a
   * crossing. Serial 32-bit arithmetic is exact only for 2^31 ms, so JS compares only a state
   * word the core confirmed ahead less than TRUSTED_ERAS eras ago: after any idle period the core
   * decides again, on full-width time.
   */
  private openDeadlineAhead(word: number): boolean {
    const clock = this.clockWords;
    if (clock[ClockWord.parked] !== 0) return false;
    if (clock[ClockWord.demand] === 0) clock[ClockWord.demand] = 1;
    if (word !== this.verifiedOpenWord || (clock[ClockWord.era] - this.verifiedEra) >>> 0 >= TRUSTED_ERAS) return false;
    return (
      ((this.words[this.stateIndex + 1] - clock[ClockWord.nowMs32]) | 0) > 0 && this.words[this.stateIndex] === word
    );
  }

  /** After the core refused a call: an OPEN state word is one JS may now compare itself (see openDeadlineAhead). */
  private verifyOpenWord(): void {
    const word = this.words[this.stateIndex];
    if ((word & 0xf) !== State.OPEN) return;
    this.verifiedOpenWord = word;
    this.verifiedEra = this.clockWords[ClockWord.era];
  }

  /** @internal Called by the tick: folds this thread's counts; leaves the tick after two idle ticks. */
  tick(): boolean {
    if (this.disposed) return false;
    if (this.isStale()) {
      this.retire();
      return false;
    }
    const busy = this.pendingSuccesses() !== 0 || this.pendingRejections !== 0 || this.foldedSinceTick;
    this.flush();
    this.foldedSinceTick = false;
    if (busy) {
      this.idleTicks = 0;
      // Async code yields to the event loop, so the tick can pick its latency sample: the next
      // execute() takes the timed path (which re-arms the fast one), and the fast path counts nothing.
      this.asyncWord = NO_FAST_PATH;
      return true;
    }
    if (++this.idleTicks < 2) return true;
    // Off the tick, nothing would fold a count: the next call takes the slow path, which re-arms.
    this.ticking = false;
    this.syncWord = this.asyncWord = NO_FAST_PATH;
    return false;
  }

  private joinTick(): void {
    this.ticking = true;
    this.idleTicks = 0;
    joinTick(this);
  }

  private flushPending(): void {
    this.fold(this.tally.generation);
  }

  /** Successes this thread counted in its lane that the window has not seen yet. */
  private pendingSuccesses(): number {
    const ref = this.ref;
    return ref === undefined || ref.lane < 0 ? 0 : this.lanes[this.lane] - ref.folded[ref.slot];
  }

  /** Takes the lane's unfolded successes: the caller records them (they are in the totals already). */
  private takePending(): number {
    const pending = this.pendingSuccesses();
    if (pending > 0) this.ref!.folded[this.ref!.slot] += pending;
    return pending;
  }

  /** Folds this thread's lane into the window, under the generation its successes ran in. */
  private fold(generation: number): void {
    const count = this.takePending();
    if (count <= 0) return;
    this.foldedSinceTick = true;
    this.record(generation, Outcome.countedSuccess, count, -1);
    this.afterOperation();
  }

  private succeeded(generation: number, latency: number): void {
    if (this.ref!.lane >= 0 && this.tally.generation === generation) {
      // Counted in the lane with the unfolded ones, which this call's record folds.
      this.lanes[this.lane]++;
      this.record(generation, Outcome.countedSuccess, this.takePending(), latency);
    } else {
      this.flushPending();
      this.record(generation, Outcome.success, 1, latency);
    }
    this.afterOperation(this.has('success') ? () => this.emit('success', { latencyMs: latency / 1000 }) : undefined);
  }

  /** Records fn's error (a failure, or ignored when isFailure says so), then falls back or throws. */
  /** Records an error in the core (a failure, or ignored by isFailure) and announces a failure; whether it counted. */
  private noteFailure(error: unknown, generation: number, latency: number): boolean {
    const counts = this.countsAsFailure(error);
    this.flushPending();
    this.record(generation, counts ? Outcome.failure : Outcome.ignored, 1, latency);
    this.afterOperation(
      counts && this.has('failure') ? () => this.emit('failure', { error, latencyMs: latency / 1000 }) : undefined,
    );
    return counts;
  }

  private failed(error: unknown, generation: number, latency: number, args: unknown[], useFallback = true): unknown {
    if (!this.noteFailure(error, generation, latency)) throw error;
    return this.fallBackOrThrow(error, args, useFallback);
  }

  private failedAsync<T>(
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

  private countsAsFailure(error: unknown): boolean {
    try {
      return this.isFailure(error) !== false;
    } catch {
      return true;
    }
  }

  private events(): BreakerEmitter {
    return (this.emitter ??= new BreakerEmitter(() => this.refresh()));
  }

  private emit<K extends keyof BreakerEvents & string>(event: K, payload: BreakerEvents[K]): void {
    this.emitter?.emit(event, payload);
  }

  private has(event: keyof BreakerEvents & string): boolean {
    return this.emitter !== undefined && this.emitter.has(event);
  }

  /** attempt()'s answer on a refused call: one object per breaker, made on the first refusal. */
  private rejection(): Rejection {
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

  /**
   * Records an outcome in the core. A call still in flight when its breaker was disposed settles
   * without recording: the slot may already belong to another breaker.
   */
  private record(generation: number, outcome: number, count: number, latencyUs: number): void {
    if (this.disposed || this.isStale()) return;
    const ref = this.slot();
    core.record(ref.arenaId, ref.slot, generation, outcome, count, latencyUs);
  }

  private disposedError(): TypeError {
    return new TypeError(`breakwater: breaker "${this.name}" was disposed; create a new one`);
  }

  private openError(): CircuitOpenError {
    const word = this.words[this.stateIndex];
    const state = word & 0xf;
    if (this.shedShare > 0 && (state === State.CLOSED || state === State.DISABLED))
      return CircuitOpenError.refusal(this.name, 0, 'shedding');
    // The usual refusal: an open circuit whose deadline JS can read off the clock page, no crossing.
    if (state === State.OPEN && this.openDeadlineAhead(word)) {
      return CircuitOpenError.refusal(
        this.name,
        (this.words[this.stateIndex + 1] - this.clockWords[ClockWord.nowMs32]) | 0,
        'open',
      );
    }
    return CircuitOpenError.refusal(this.name, this.retryAfterMs(), this.getState());
  }

  /** A refused call's error, announced to 'reject' listeners. */
  private refusal(): CircuitOpenError {
    const error = this.openError();
    this.emit('reject', { error });
    return error;
  }

  private fallBackOrThrow(error: unknown, args: unknown[], useFallback = true): unknown {
    if (this.fallback === undefined || !useFallback) throw error;
    return this.fallback(error, ...args);
  }

  /** Starts a new fast-path generation (folding the old one's successes) and the fast reactions bound to it. */
  private startGeneration(generation: number): void {
    const old = this.tally;
    old.retired = true;
    this.tally = new FastGeneration(generation);
    if (this.onFastSuccess !== undefined) this.bindAsync();
    if (old !== NO_GENERATION_YET) this.fold(old.generation);
  }

  /** The fast async reactions for the current tally (a breaker used only synchronously never needs them). */
  private bindAsync(): void {
    const tally = this.tally;
    const generation = tally.generation;
    this.onFastSuccess = (value) => {
      this.inFlight--;
      // The slot may have moved on meanwhile (another thread's transition, or a release for a new
      // owner): then the core records it, in its generation, or drops it for a disposed breaker.
      if (tally.retired || ((this.words[this.stateIndex] >>> 4) & GENERATION_MASK) !== generation)
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

  /** A fast async call that succeeded after its generation ended: counted, moves nothing. */
  private recordLateSuccess(generation: number): void {
    this.record(generation, Outcome.success, 1, -1);
    this.afterOperation();
  }

  private manual(operation: (arena: number, slot: number) => number): void {
    this.flush();
    const ref = this.slot();
    operation(ref.arenaId, ref.slot);
    this.afterOperation();
  }

  /**
   * Re-reads the state word and emits the transition the last operation reported, if any, after
   * the outcome's own event (a failure is reported before the open it caused).
   */
  private afterOperation(outcomeEvent?: () => void): void {
    const scratch = core.scratch;
    const transitioned = scratch[Scratch.transitioned] === 1;
    scratch[Scratch.transitioned] = 0;
    const from = scratch[Scratch.from];
    const to = scratch[Scratch.to];
    const reason = scratch[Scratch.reason];
    const generation = scratch[Scratch.newGeneration];
    this.refresh();
    outcomeEvent?.();
    if (transitioned) this.emitTransition(from, to, reason, generation);
  }

  private emitTransition(from: number, to: number, reason: number, generation: number): void {
    const change: StateChange = {
      from: stateName(from),
      to: stateName(to),
      reason: reasonName(reason),
      generation,
      at: this.wallNow(),
    };
    this.emit('stateChange', change);
    this.observer?.transition(this, change);
    if (to === State.OPEN) this.emit('open', { ...change, retryAfterMs: this.retryAfterMs() });
    else if (to === State.CLOSED) this.emit('close', change);
    else if (to === State.HALF_OPEN) this.emit('halfOpen', change);
  }

  /** Re-reads the state word and decides which paths may skip the core. */
  private refresh(): void {
    if (this.disposed || this.ref === undefined) return;
    const word = this.words[this.stateIndex];
    const state = word & 0xf;
    if (state !== State.CLOSED && state !== State.DISABLED) {
      this.admitWord = this.syncWord = this.asyncWord = NO_FAST_PATH;
      return;
    }
    this.admitWord = word;
    this.admitGeneration = (word >>> 4) & GENERATION_MASK;
    if (this.tally.generation !== this.admitGeneration) this.startGeneration(this.admitGeneration);
    if (!this.ticking) this.joinTick();
    // Without a lane of its own (more threads than lanes) a thread records every call through the core.
    const untimed = this.profile.slowCallDuration === 0 && !this.has('success') && this.ref.lane >= 0;
    if (this.shedShare > 0) {
      // Every call asks admit(), which sheds its share.
      this.admitWord = this.syncWord = this.asyncWord = NO_FAST_PATH;
      return;
    }
    this.syncWord = untimed ? word : NO_FAST_PATH;
    // The async fast path opens once execute() has been used (its first call takes the slow path).
    this.asyncWord = untimed && this.profile.timeout === 0 && this.onFastSuccess !== undefined ? word : NO_FAST_PATH;
  }

  /** Ms until an OPEN circuit admits a probe (the core decides, on full-width time); 0 in any other state. */
  private retryAfterMs(): number {
    if ((this.words[this.stateIndex] & 0xf) !== State.OPEN) return 0;
    return core.remainingMs(this.ref!.arenaId, this.ref!.slot);
  }

  private elapsedUs(start: number): number {
    return Math.max(0, Math.floor((this.timers.now() - start) * 1000));
  }

  /** Wall-clock ms (or the manual clock's ms), for timestamps users read. */
  private wallNow(): number {
    return this.timers === realTimers ? Date.now() : this.timers.now();
  }
}

/** executeSyncSlow's answer for a refused call without a fallback. */
const REFUSED: unique symbol = Symbol('refused');
const SETTLED = Promise.resolve();

/**
 * A promise that rejects with `error` in the next microtask: by then the caller's await or catch is
 * attached, so Node's unhandled-rejection tracking (a few microseconds for a promise rejected
 * before it has a handler) never sees it, and nothing is thrown to unwind.
 */
function rejectedSoon(error: unknown): Promise<never> {
  return new Promise((_, reject) => void SETTLED.then(() => reject(error)));
}

function staleHandleError(name: string, handleEpoch: number, slotEpoch: number): TypeError {
  return new TypeError(
    `breakwater: breaker "${name}" was disposed by its owner (its slot was given back: handle epoch ${handleEpoch}, slot epoch ${slotEpoch}); attach to a live breaker's handle`,
  );
}

/** A caller's mistake, not a failure of what the breaker guards: never recorded. */
function notAFunction(fn: unknown): TypeError {
  return new TypeError(`breakwater: the guarded call must be a function, got ${fn === null ? 'null' : typeof fn}`);
}

function latencyUs(latencyMs: number | undefined): number {
  if (latencyMs === undefined) return -1;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`breakwater: latencyMs must be a finite number >= 0, got ${String(latencyMs)}`);
  }
  return Math.floor(latencyMs * 1000);
}
