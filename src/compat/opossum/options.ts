import type { EventEmitter } from 'node:events';
import type { ManualClock } from '../../clock';
import type { CacheTransport, MemoryCache } from './cache';
import type { Stats, Status } from './status';

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
