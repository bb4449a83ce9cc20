import type { CircuitOpenError } from '../errors/CircuitOpenError';
import type { TimeoutError } from '../errors/TimeoutError';
import type { CircuitBreakerOptions, ResolvedOptions } from '../options';
import type { StateChange } from '../state';

/** What a guarded async function receives after its own arguments. */
export interface CallContext {
  /**
   * The call's own signal (listeners added to it go with the call): aborted with a TimeoutError
   * when the breaker's `timeout` passes; never aborted without one.
   */
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

/** Structured-cloneable: post it to a worker and attach there with CircuitBreaker.fromHandle(). */
export interface BreakerHandle {
  readonly kind: 'breakwater.breaker';
  readonly version: 2;
  /** The breaker's memory; null for a breaker of a host arena, whose file `host` names (a worker maps it itself). */
  readonly buffer: SharedArrayBuffer | null;
  /** The host arena's file, for a breaker of a host arena. */
  readonly host?: string;
  readonly slot: number;
  /** The slot's epoch when the handle was made: once its breaker is disposed, the handle is stale. */
  readonly epoch: number;
  readonly options: Omit<ResolvedOptions, 'labels'> & { labels: Record<string, string> };
}

/**
 * What fromHandle() takes besides the handle. Functions can't cross threads: the attaching side
 * passes its own. `timeout` is the view's own too (the owner's when left out): a call's timer runs
 * in the thread that makes the call. Any other option is refused: the owner's, in the shared slot,
 * govern every thread.
 */
export type LocalOptions = Pick<CircuitBreakerOptions, 'isFailure' | 'fallback' | 'timeout'>;

/** What execute() calls: the caller's arguments, then the CallContext. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the public overloads carry the types
export type GuardedFunction = (...args: any[]) => unknown;
