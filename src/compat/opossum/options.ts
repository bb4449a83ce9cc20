import type { EventEmitter } from 'node:events';
import type { ManualClock } from '../../clock';
import { MAX_PERIOD_MS } from '../../core/layout';
import { MemoryCache, type CacheTransport } from './cache';
import { rotationController, type Stats, type Status } from './status';
import { show } from '../../error-message';

/** opossum's `state` option: what toJSON().state saved. */
export interface SavedState {
  name?: string;
  enabled?: boolean;
  closed?: boolean;
  open?: boolean;
  halfOpen?: boolean;
  warmUp?: boolean;
  shutdown?: boolean;
  lastTimerAt?: number;
}

/**
 * opossum 10's options, every one optional. Like opossum, the breaker keeps this very object as
 * `options` and writes the defaults into it.
 */
export interface OpossumOptions {
  /** ms before a call fails with ETIMEDOUT; false or 0 = never. Default 10000. */
  timeout?: number | false;
  /** ms open before the circuit half-opens. Default 30000. */
  resetTimeout?: number;
  /** % of failed fires in the window above which the circuit opens. Default 50. */
  errorThresholdPercentage?: number;
  /** The window's length in ms. Default 10000. */
  rollingCountTimeout?: number;
  /** Buckets the window is kept in. Default 10. */
  rollingCountBuckets?: number;
  /** Whether stats compute latency percentiles. Default true. */
  rollingPercentilesEnabled?: boolean;
  /** Concurrent calls allowed; more fail with ESEMLOCKED. Default unlimited. */
  capacity?: number;
  /** Errors it returns true for count as successes and skip the fallback. */
  errorFilter?: (error: unknown, ...args: unknown[]) => boolean;
  /** Fires the window must hold before the circuit may open. Default 0. */
  volumeThreshold?: number;
  /** Don't open during the first rollingCountTimeout ms. Default false. */
  allowWarmUp?: boolean;
  /** false: every call runs unguarded. Default true. */
  enabled?: boolean;
  name?: string;
  group?: string;
  /** Cache the first successful result (per cacheGetKey). */
  cache?: boolean;
  /** ms a cached result lives; 0 = forever. */
  cacheTTL?: number;
  /** Entries of the default in-memory cache. */
  cacheSize?: number;
  cacheGetKey?: (...args: unknown[]) => string;
  cacheTransport?: CacheTransport;
  /** Share one in-flight call among identical fires. */
  coalesce?: boolean;
  /** ms a coalesced call is shared. Default timeout. */
  coalesceTTL?: number | false;
  coalesceSize?: number;
  /** Settlements that end the sharing early: 'error', 'success', 'timeout'. */
  coalesceResetOn?: Array<'error' | 'success' | 'timeout'>;
  /** @internal opossum keeps the coalescing cache in the options. */
  coalesceCache?: MemoryCache;
  /** Aborted when a call times out. */
  abortController?: AbortController;
  /** Replace an aborted abortController when the circuit half-opens or closes. */
  autoRenewAbortController?: boolean;
  /** A state saved by toJSON().state. */
  state?: SavedState;
  /** A Status, or stats saved by toJSON().status. */
  status?: Status | Partial<Stats>;
  /** Emit 'snapshot' from `status` every bucket period. Default true. */
  enableSnapshots?: boolean;
  /** Rotate buckets on this emitter's 'rotate' events instead of time. */
  rotateBucketController?: EventEmitter;
  /** Deprecated in opossum; only logs. */
  maxFailures?: number;
  /** breakwater extension: a ManualClock for deterministic tests (not an opossum option). */
  clock?: ManualClock;
}

/** The options once the breaker wrote its defaults into them. */
export type ResolvedOptions = OpossumOptions &
  Required<
    Pick<
      OpossumOptions,
      | 'timeout'
      | 'resetTimeout'
      | 'errorThresholdPercentage'
      | 'rollingCountTimeout'
      | 'rollingCountBuckets'
      | 'capacity'
      | 'cacheTTL'
      | 'coalesceTTL'
    >
  > & {
    errorFilter: (error: unknown, ...args: unknown[]) => boolean;
    cacheGetKey: (...args: unknown[]) => string;
    coalesceResetOn: string[];
  };

/**
 * Writes opossum's defaults into `options` itself (opossum keeps and mutates the caller's object),
 * and makes the caches: `wallNow` is the breaker's wall clock, for their expiries.
 */
export function withDefaults(options: OpossumOptions, wallNow: () => number): ResolvedOptions {
  const o = options as ResolvedOptions;
  o.timeout = options.timeout ?? 10000;
  o.resetTimeout = options.resetTimeout ?? 30000;
  o.errorThresholdPercentage = options.errorThresholdPercentage ?? 50;
  o.rollingCountTimeout = options.rollingCountTimeout ?? 10000;
  o.rollingCountBuckets = bucketCount(options.rollingCountBuckets);
  o.rollingPercentilesEnabled = options.rollingPercentilesEnabled !== false;
  o.capacity = Number.isInteger(options.capacity) ? (options.capacity as number) : Number.MAX_SAFE_INTEGER;
  o.errorFilter = optionalFunction(options, 'errorFilter') ?? (() => false);
  o.cacheTTL = options.cacheTTL ?? 0;
  o.cacheGetKey = optionalFunction(options, 'cacheGetKey') ?? ((...args: unknown[]) => JSON.stringify(args));
  o.enableSnapshots = options.enableSnapshots !== false;
  o.rotateBucketController = rotationController(options.rotateBucketController);
  o.coalesce = !!options.coalesce;
  o.coalesceTTL = options.coalesceTTL ?? o.timeout;
  o.coalesceResetOn = options.coalesceResetOn?.filter((on) => ['error', 'success', 'timeout'].includes(on)) || [];
  if (o.cache) {
    const transport = o.cacheTransport;
    if (transport === undefined) {
      o.cacheTransport = new MemoryCache(options.cacheSize, wallNow);
    } else if (typeof transport !== 'object' || !transport.get || !transport.set || !transport.flush) {
      throw new TypeError('options.cacheTransport should be an object with `get`, `set` and `flush` methods');
    }
  }
  if (o.coalesce) o.coalesceCache = new MemoryCache(options.coalesceSize, wallNow);
  return o;
}

/** The most rolling buckets: the statistics keep an array per bucket (the core caps its own at 64). */
const MAX_ROLLING_BUCKETS = 10_000;

/** rollingCountBuckets: 10 when left out; 0 kept as given (opossum stores it, and its counts then use 10); else an integer in range, or an error naming it. */
function bucketCount(value: unknown): number {
  if (value === undefined) return 10;
  if (value === 0) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_ROLLING_BUCKETS) {
    const message = `breakwater/opossum: option "rollingCountBuckets" must be an integer from 1 to ${MAX_ROLLING_BUCKETS}, got ${String(value)}`;
    throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
  }
  return value;
}

/**
 * A function option, or undefined when left out (opossum's falsy values too). Checked here: called
 * later, from a call's settlement, a non-function would throw where no caller can catch it, and
 * the call's promise would never settle.
 */
function optionalFunction<K extends 'errorFilter' | 'cacheGetKey'>(
  options: OpossumOptions,
  option: K,
): NonNullable<OpossumOptions[K]> | undefined {
  const value = options[option];
  if (!value) return undefined;
  if (typeof value !== 'function')
    throw new TypeError(`breakwater/opossum: option "${option}" must be a function, got ${show(value)}`);
  return value as NonNullable<OpossumOptions[K]>;
}

/** A period the core holds (resetTimeout, rollingCountTimeout): ms from 0 to 2^30 - 1, or an error naming the option. */
export function checkPeriod(options: OpossumOptions, option: 'resetTimeout' | 'rollingCountTimeout'): number {
  const value = options[option];
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_PERIOD_MS)) {
    const message = `breakwater/opossum: option "${option}" must be a number of ms from 0 to ${MAX_PERIOD_MS}, got ${String(value)}`;
    throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
  }
  return value;
}
