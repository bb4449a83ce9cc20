import { CircuitOpenError } from './errors/CircuitOpenError';
import { knownOptions } from './options-object';
import { show } from './error-message';

export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Delay before the first retry, ms. Default 100. */
  retryDelay?: number;
  /** 'exponential' doubles the delay each retry; 'fixed' keeps it. Default 'exponential'. */
  backoff?: 'fixed' | 'exponential';
  /** Upper bound of a delay, ms. Default 30000. */
  maxDelay?: number;
  /** Randomises each delay by up to this fraction (0..1) so clients don't retry in step. Default 0. */
  jitter?: number;
  /**
   * When an attempt finds the circuit open: 'fail' (default) rejects at once with CircuitOpenError;
   * 'wait' waits until the circuit admits a probe and tries then (each wait uses up a retry).
   */
  whenOpen?: 'fail' | 'wait';
  /** Which errors are worth retrying. Default: every error the breaker counts as a failure. */
  shouldRetry?: (error: unknown) => boolean;
}

interface Resolved {
  maxRetries: number;
  retryDelay: number;
  backoff: 'fixed' | 'exponential';
  maxDelay: number;
  jitter: number;
  whenOpen: 'fail' | 'wait';
  shouldRetry: (error: unknown) => boolean;
}

function resolve(options: RetryOptions): Resolved {
  knownOptions(options, 'breakwater: retry options', {
    maxRetries: true,
    retryDelay: true,
    backoff: true,
    maxDelay: true,
    jitter: true,
    whenOpen: true,
    shouldRetry: true,
  });
  const check = (name: keyof RetryOptions, value: unknown, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
      throw new RangeError(
        `breakwater: retry option "${name}" must be a number from ${min} to ${max}, got ${show(value)}`,
      );
    }
    return value;
  };
  const backoff = options.backoff ?? 'exponential';
  if (backoff !== 'fixed' && backoff !== 'exponential')
    throw new TypeError(`breakwater: retry option "backoff" must be "fixed" or "exponential", got ${show(backoff)}`);
  const whenOpen = options.whenOpen ?? 'fail';
  if (whenOpen !== 'fail' && whenOpen !== 'wait')
    throw new TypeError(`breakwater: retry option "whenOpen" must be "fail" or "wait", got ${show(whenOpen)}`);
  if (options.shouldRetry !== undefined && typeof options.shouldRetry !== 'function')
    throw new TypeError('breakwater: retry option "shouldRetry" must be a function');
  return {
    maxRetries: Math.floor(check('maxRetries', options.maxRetries, 0, 1000, 3)),
    retryDelay: check('retryDelay', options.retryDelay, 0, 2 ** 31 - 1, 100),
    backoff,
    maxDelay: check('maxDelay', options.maxDelay, 0, 2 ** 31 - 1, 30_000),
    jitter: check('jitter', options.jitter, 0, 1, 0),
    whenOpen,
    shouldRetry: options.shouldRetry ?? (() => true),
  };
}

/** The delay before retry number `retry` (0-based). */
export function retryDelay(
  options: Pick<Resolved, 'retryDelay' | 'backoff' | 'maxDelay' | 'jitter'>,
  retry: number,
  random: number,
): number {
  const base = options.backoff === 'exponential' ? options.retryDelay * 2 ** retry : options.retryDelay;
  return Math.min(options.maxDelay, base) * (1 - options.jitter * random);
}

/**
 * Runs fn through the breaker with retries. The breaker's fallback, if any, applies once, after the
 * last attempt; errors the breaker does not count as failures are not retried.
 */
export async function executeWithRetries<T>(host: RetryHost<T>, options: RetryOptions): Promise<T> {
  const o = resolve(options);
  for (let attempt = 0; ; attempt++) {
    try {
      return await host.attempt();
    } catch (error) {
      const last = attempt >= o.maxRetries;
      if (error instanceof CircuitOpenError) {
        if (last || o.whenOpen === 'fail') return host.fallBackOrThrow(error);
        await host.sleep(Math.max(error.retryAfterMs, 0));
        continue;
      }
      if (last || !host.countsAsFailure(error) || !o.shouldRetry(error)) return host.fallBackOrThrow(error);
      await host.sleep(retryDelay(o, attempt, Math.random()));
    }
  }
}

/** What the breaker lends the retry loop (kept off its public surface). */
export interface RetryHost<T> {
  /** One guarded attempt, without the fallback (it applies once, after the last attempt). */
  attempt(): Promise<T>;
  fallBackOrThrow(error: unknown): T;
  countsAsFailure(error: unknown): boolean;
  /** A delay on the breaker's clock (a manual clock fires it when advanced past it). */
  sleep(ms: number): Promise<void>;
}
