import type { ManualClock } from './clock';
import { decodeConfig, encodeConfig } from './core/codec';
import { MAX_BUCKETS, MAX_PERIOD_MS } from './core/layout';
import { show } from './error-message';

/** Everything a CircuitBreaker can be told. Every option is optional; times are milliseconds. */
export interface CircuitBreakerOptions {
  /** Shown in errors, events and metrics. Default `breaker-N`. */
  name?: string;
  /** 'time': the last `slidingWindowSize` ms; 'count': the last `slidingWindowSize` calls. Default 'time'. */
  slidingWindowType?: 'time' | 'count';
  /** Window length: ms for time windows (default 10000), calls for count windows (default 100). */
  slidingWindowSize?: number;
  /** Buckets the window is kept in (1..64). Default 10 (at most the window size for count windows). */
  slidingWindowBuckets?: number;
  /** Trip after this many consecutive failures; 0 turns the rule off. Default 5. */
  failureThreshold?: number;
  /** Trip when the window's failure rate reaches this percentage (0..100]; 0 = off. Default 0. */
  failureRateThreshold?: number;
  /** Calls the window must hold before the rate rules apply. Default 10. */
  minimumCalls?: number;
  /** Trip when the share of slow calls reaches this percentage; 0 = off. Default 0. */
  slowCallRateThreshold?: number;
  /** A call at least this long is slow; needed by slowCallRateThreshold. 0 = no call is slow. */
  slowCallDuration?: number;
  /** How long the circuit stays open before probing. Default 60000. */
  recoveryTimeout?: number;
  /** Cap of the open period as reopens grow it. Default max(300000, recoveryTimeout). */
  maxRecoveryTimeout?: number;
  /** Each consecutive reopen multiplies the open period by this (>= 1). Default 1. */
  backoffFactor?: number;
  /** Shortens each open period by up to this fraction (0..1), so breakers don't probe in step. Default 0. */
  jitter?: number;
  /** Probes admitted while half-open. Default max(1, halfOpenSuccessThreshold). */
  halfOpenMaxCalls?: number;
  /** Successful probes that close the circuit. Default 1. */
  halfOpenSuccessThreshold?: number;
  /** Reopen when half-open this long without enough successful probes; 0 = never. Default 60000. */
  halfOpenTimeout?: number;
  /** Per-call timeout for execute(); the call's AbortSignal aborts when it passes. 0 = none. */
  timeout?: number;
  /** Which errors count as failures; others count as neither success nor failure. Default: all. */
  isFailure?: (error: unknown) => boolean;
  /** Called instead of failing: with the error (CircuitOpenError, TimeoutError or the call's) and the args. */
  fallback?: (error: unknown, ...args: unknown[]) => unknown;
  /** A ManualClock for deterministic tests; default the monotonic clock. */
  clock?: ManualClock;
  /** Free-form key/values carried into metrics, e.g. `{ hardware: 'gpu' }`. */
  labels?: Record<string, string>;
  /**
   * Keep a latency histogram in each window bucket (percentiles, slow-call rules still work
   * without it). false makes the breaker's slot 512 + 32 bytes per bucket instead of 512 + 240:
   * for registries of very many breakers. Default true.
   */
  latencyHistogram?: boolean;
}

/** Options after defaults and validation. */
export interface ResolvedOptions extends BreakerProfile {
  name: string;
}

/**
 * Everything of the resolved options but the name. Breakers created with equal options share one
 * frozen profile, so a million breakers don't hold a million copies.
 */
export interface BreakerProfile {
  slidingWindowType: 'time' | 'count';
  slidingWindowSize: number;
  slidingWindowBuckets: number;
  failureThreshold: number;
  failureRateThreshold: number;
  minimumCalls: number;
  slowCallRateThreshold: number;
  slowCallDuration: number;
  recoveryTimeout: number;
  maxRecoveryTimeout: number;
  backoffFactor: number;
  jitter: number;
  halfOpenMaxCalls: number;
  halfOpenSuccessThreshold: number;
  halfOpenTimeout: number;
  timeout: number;
  labels: Readonly<Record<string, string>>;
  latencyHistogram: boolean;
}

/** Every option, with what it accepts (null is never a default: it is refused with this text). */
const ACCEPTED: Record<keyof CircuitBreakerOptions, string> = {
  name: 'a non-empty string',
  slidingWindowType: '"time" or "count"',
  slidingWindowSize: 'a number',
  slidingWindowBuckets: 'an integer from 1 to 64',
  failureThreshold: 'an integer',
  failureRateThreshold: 'a number from 0 to 100',
  minimumCalls: 'an integer',
  slowCallRateThreshold: 'a number from 0 to 100',
  slowCallDuration: 'a number of ms',
  recoveryTimeout: 'a number of ms',
  maxRecoveryTimeout: 'a number of ms',
  backoffFactor: 'a number from 1 to 1000',
  jitter: 'a number from 0 to 1',
  halfOpenMaxCalls: 'an integer',
  halfOpenSuccessThreshold: 'an integer',
  halfOpenTimeout: 'a number of ms',
  timeout: 'a number of ms',
  isFailure: 'a function',
  fallback: 'a function',
  clock: 'a ManualClock',
  labels: 'an object of string values',
  latencyHistogram: 'true or false',
};
const KNOWN = new Set(Object.keys(ACCEPTED));

const U32_MAX = 0xffffffff;
/** The longest delay a Node timer takes (ms). */
export const TIMER_MAX_MS = 2 ** 31 - 1;
let unnamed = 0;

/** Throws, naming the option, unless `clock` is undefined or has a ManualClock's `now` and `advance` (read by shape, as before). */
export function checkClockOption(clock: unknown): asserts clock is ManualClock | undefined {
  const given = clock as { advance?: unknown; now?: unknown } | null;
  if (
    given !== undefined &&
    (given === null ||
      typeof given !== 'object' ||
      typeof given.advance !== 'function' ||
      typeof given.now !== 'function')
  )
    fail('clock', 'a ManualClock', clock, 'type');
}

function fail(option: string, expected: string, value: unknown, kind: 'type' | 'range' = 'range'): never {
  const message = `breakwater: option "${option}" must be ${expected}, got ${show(value)}`;
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

function number(
  options: CircuitBreakerOptions,
  option: keyof CircuitBreakerOptions,
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  const value = options[option];
  if (value === undefined) return fallback;
  const range = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  if (typeof value !== 'number' || Number.isNaN(value)) fail(option, range, value, 'type');
  if ((integer && !Number.isInteger(value)) || value < min || value > max) fail(option, range, value);
  return value;
}

/** Validates options and fills in defaults; errors name the option, the value and the accepted range. */
export function resolveOptions(options: CircuitBreakerOptions = {}): ResolvedOptions {
  const profile = resolveProfile(options);
  return { name: resolveName(options), ...profile };
}

/** The breaker's name: options.name, or `breaker-N`. */
export function resolveName(options: CircuitBreakerOptions = {}): string {
  // undefined only: a null name is a mistake to report, not a request for the default.
  const name = options.name === undefined ? `breaker-${++unnamed}` : options.name;
  if (typeof name !== 'string' || name.length === 0) fail('name', 'a non-empty string', name, 'type');
  return name;
}

/** resolveOptions() but the name: the options in force, shared with breakers created alike. */
export function resolveProfile(options: CircuitBreakerOptions = {}): Readonly<BreakerProfile> {
  if (options === null || typeof options !== 'object') fail('options', 'an object', options, 'type');
  let onlyName = true;
  for (const key in options) {
    if (!KNOWN.has(key)) throw new TypeError(`breakwater: unknown option "${key}" (known: ${[...KNOWN].join(', ')})`);
    const value = options[key as keyof CircuitBreakerOptions];
    if (value === null)
      fail(key, `${ACCEPTED[key as keyof CircuitBreakerOptions]} (or left out for the default)`, null, 'type');
    if (key !== 'name' && value !== undefined) onlyName = false;
  }
  return onlyName ? (DEFAULT_PROFILE ??= buildProfile({})) : buildProfile(options);
}

let DEFAULT_PROFILE: Readonly<BreakerProfile> | undefined;

function buildProfile(options: CircuitBreakerOptions): Readonly<BreakerProfile> {
  const type = options.slidingWindowType ?? 'time';
  if (type !== 'time' && type !== 'count') fail('slidingWindowType', '"time" or "count"', type, 'type');
  const size =
    type === 'time'
      ? number(options, 'slidingWindowSize', 10_000, 1, MAX_PERIOD_MS, false)
      : number(options, 'slidingWindowSize', 100, 1, U32_MAX, true);
  const buckets = number(
    options,
    'slidingWindowBuckets',
    type === 'count' ? Math.min(size, 10) : 10,
    1,
    MAX_BUCKETS,
    true,
  );
  if (type === 'count' && buckets > size)
    fail('slidingWindowBuckets', `at most slidingWindowSize (${size}) for a count window`, buckets);
  // A count window never holds more calls than its size, so a larger minimum would keep every rate
  // rule from ever tripping: refused when given, and the default (10) is the size when that is smaller.
  const minimumCalls = number(options, 'minimumCalls', type === 'count' ? Math.min(size, 10) : 10, 1, U32_MAX, true);
  if (type === 'count' && minimumCalls > size)
    fail(
      'minimumCalls',
      `at most slidingWindowSize (${size}) for a count window, which never holds more calls (no rate rule could trip)`,
      minimumCalls,
    );
  const recoveryTimeout = number(options, 'recoveryTimeout', 60_000, 0, MAX_PERIOD_MS, false);
  const maxRecoveryTimeout = number(
    options,
    'maxRecoveryTimeout',
    Math.max(300_000, recoveryTimeout),
    recoveryTimeout,
    MAX_PERIOD_MS,
    false,
  );
  const halfOpenSuccessThreshold = number(options, 'halfOpenSuccessThreshold', 1, 1, 0xffff, true);
  const halfOpenMaxCalls = number(options, 'halfOpenMaxCalls', halfOpenSuccessThreshold, 1, 0xffff, true);
  if (halfOpenSuccessThreshold > halfOpenMaxCalls) {
    fail(
      'halfOpenSuccessThreshold',
      `at most halfOpenMaxCalls (${halfOpenMaxCalls}), or no half-open round could close the circuit`,
      halfOpenSuccessThreshold,
    );
  }
  const slowCallRateThreshold = number(options, 'slowCallRateThreshold', 0, 0, 100, false);
  const slowCallDuration = number(options, 'slowCallDuration', 0, 0, MAX_PERIOD_MS, false);
  if (slowCallRateThreshold > 0 && slowCallDuration === 0) {
    fail('slowCallDuration', 'a duration > 0 ms when slowCallRateThreshold is set', slowCallDuration);
  }
  for (const fn of ['isFailure', 'fallback'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') fail(fn, 'a function', options[fn], 'type');
  }
  checkClockOption(options.clock);
  const latencyHistogram = options.latencyHistogram ?? true;
  if (typeof latencyHistogram !== 'boolean') fail('latencyHistogram', 'true or false', latencyHistogram, 'type');
  const labels = options.labels ?? {};
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels))
    fail('labels', 'an object of string values', labels, 'type');
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== 'string') fail(`labels.${key}`, 'a string', value, 'type');
  }
  return intern({
    slidingWindowType: type,
    slidingWindowSize: size,
    slidingWindowBuckets: buckets,
    failureThreshold: number(options, 'failureThreshold', 5, 0, U32_MAX, true),
    failureRateThreshold: number(options, 'failureRateThreshold', 0, 0, 100, false),
    minimumCalls,
    slowCallRateThreshold,
    slowCallDuration,
    recoveryTimeout,
    maxRecoveryTimeout,
    backoffFactor: number(options, 'backoffFactor', 1, 1, 1000, false),
    jitter: number(options, 'jitter', 0, 0, 1, false),
    halfOpenMaxCalls,
    halfOpenSuccessThreshold,
    halfOpenTimeout: number(options, 'halfOpenTimeout', 60_000, 0, MAX_PERIOD_MS, false),
    timeout: number(options, 'timeout', 0, 0, TIMER_MAX_MS, false),
    labels: isEmpty(labels) ? NO_LABELS : Object.freeze({ ...labels }),
    latencyHistogram,
  });
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
/** The last profile handed out: breakers are mostly created in runs with the same options. */
let lastProfile: Readonly<BreakerProfile> | undefined;

function intern(profile: BreakerProfile): Readonly<BreakerProfile> {
  if (lastProfile !== undefined && sameProfile(lastProfile, profile)) return lastProfile;
  return (lastProfile = Object.freeze(profile));
}

// Spelled out, not a loop over keys: keyed loads of many names are megamorphic and cost more than
// the creation they would save.
function sameProfile(a: BreakerProfile, b: BreakerProfile): boolean {
  return (
    a.slidingWindowType === b.slidingWindowType &&
    a.slidingWindowSize === b.slidingWindowSize &&
    a.slidingWindowBuckets === b.slidingWindowBuckets &&
    a.failureThreshold === b.failureThreshold &&
    a.failureRateThreshold === b.failureRateThreshold &&
    a.minimumCalls === b.minimumCalls &&
    a.slowCallRateThreshold === b.slowCallRateThreshold &&
    a.slowCallDuration === b.slowCallDuration &&
    a.recoveryTimeout === b.recoveryTimeout &&
    a.maxRecoveryTimeout === b.maxRecoveryTimeout &&
    a.backoffFactor === b.backoffFactor &&
    a.jitter === b.jitter &&
    a.halfOpenMaxCalls === b.halfOpenMaxCalls &&
    a.halfOpenSuccessThreshold === b.halfOpenSuccessThreshold &&
    a.halfOpenTimeout === b.halfOpenTimeout &&
    a.timeout === b.timeout &&
    a.latencyHistogram === b.latencyHistogram &&
    sameLabels(a.labels, b.labels)
  );
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

/**
 * `profile` with the rules of a configure() record written by another process (a host arena's
 * breaker keeps the rules it was created with), and the options where the two differ.
 */
export function profileWithConfig(
  profile: Readonly<BreakerProfile>,
  config: Float64Array,
): { profile: Readonly<BreakerProfile>; differences: string[] } {
  // Rates round-trip through /100 and *100: compare the records, not the floats, to decide.
  const asked = coreConfig(profile);
  if (asked.every((value, i) => value === config[i])) return { profile, differences: [] };
  const rules = decodeConfig(config);
  const own = decodeConfig(asked);
  const kept: Readonly<BreakerProfile> = Object.freeze({
    ...profile,
    slidingWindowType: rules.windowType,
    slidingWindowBuckets: rules.buckets,
    slidingWindowSize: rules.windowSize,
    failureThreshold: rules.failureThreshold,
    minimumCalls: rules.minimumCalls,
    failureRateThreshold:
      rules.failureRate === own.failureRate ? profile.failureRateThreshold : percentOf(rules.failureRate),
    slowCallRateThreshold:
      rules.slowCallRate === own.slowCallRate ? profile.slowCallRateThreshold : percentOf(rules.slowCallRate),
    slowCallDuration: rules.slowCallDurationMs,
    recoveryTimeout: rules.recoveryTimeoutMs,
    maxRecoveryTimeout: rules.maxRecoveryTimeoutMs,
    backoffFactor: rules.backoffFactor,
    jitter: rules.jitter,
    halfOpenMaxCalls: rules.halfOpenMaxCalls,
    halfOpenSuccessThreshold: rules.halfOpenSuccessThreshold,
    halfOpenTimeout: rules.halfOpenTimeoutMs,
  });
  const differences: string[] = [];
  for (const key of Object.keys(kept) as (keyof BreakerProfile)[]) {
    if (key !== 'labels' && kept[key] !== profile[key]) {
      differences.push(`${key} ${String(kept[key])} (asked ${String(profile[key])})`);
    }
  }
  return { profile: kept, differences };
}

/** A rate of the core's record as the percentage it was given as: 0.55 is 55, not 55.00000000000001. */
function percentOf(fraction: number): number {
  const short = Number((fraction * 100).toPrecision(12));
  return short / 100 === fraction ? short : fraction * 100;
}

/** The core's configure() record for resolved options. */
export function coreConfig(o: BreakerProfile): Float64Array {
  return encodeConfig({
    windowType: o.slidingWindowType,
    buckets: o.slidingWindowBuckets,
    windowSize: o.slidingWindowSize,
    failureThreshold: o.failureThreshold,
    minimumCalls: o.minimumCalls,
    failureRate: o.failureRateThreshold / 100,
    slowCallRate: o.slowCallRateThreshold / 100,
    slowCallDurationMs: o.slowCallDuration,
    recoveryTimeoutMs: o.recoveryTimeout,
    maxRecoveryTimeoutMs: o.maxRecoveryTimeout,
    backoffFactor: o.backoffFactor,
    jitter: o.jitter,
    halfOpenMaxCalls: o.halfOpenMaxCalls,
    halfOpenSuccessThreshold: o.halfOpenSuccessThreshold,
    halfOpenTimeoutMs: o.halfOpenTimeout,
    probeTimeoutMs: o.timeout,
  });
}
