import { resolveProfile, type BreakerProfile, type CircuitBreakerOptions } from '../options';
import { show } from '../error-message';

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
 * The profile after `changes` to a live breaker's `profile`: only reconfigurable options, limits
 * that default from another option following it, and a window no wider than the `maxBuckets` its
 * slot was made for. Throws, naming the option, on anything else.
 */
export function reconfiguredProfile(
  name: string,
  profile: Readonly<BreakerProfile>,
  changes: ReconfigurableOptions,
  maxBuckets: number,
): Readonly<BreakerProfile> {
  if (changes === null || typeof changes !== 'object')
    throw new TypeError(`breakwater: reconfigure() needs an object of options, got ${show(changes)}`);
  for (const key of Object.keys(changes)) {
    if (!RECONFIGURABLE.has(key))
      throw new TypeError(
        `breakwater: option "${key}" can't change on a live breaker (reconfigurable: ${[...RECONFIGURABLE].join(', ')})`,
      );
  }
  // An option given as undefined keeps its value, as one left out does: spread over the profile it
  // read as the default, and a recoveryTimeout given so made its limit NaN, an error naming
  // maxRecoveryTimeout, which the caller never gave.
  const given: ReconfigurableOptions = Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  );
  const merged: CircuitBreakerOptions = { ...profile, ...given };
  // Limits that default from another option follow it when it grows past them.
  if (given.maxRecoveryTimeout === undefined)
    merged.maxRecoveryTimeout = Math.max(profile.maxRecoveryTimeout, Number(merged.recoveryTimeout));
  // A count window's buckets and minimum calls can't pass its size: they follow it down.
  if (profile.slidingWindowType === 'count' && given.slidingWindowSize !== undefined) {
    const size = Number(given.slidingWindowSize);
    if (given.slidingWindowBuckets === undefined)
      merged.slidingWindowBuckets = Math.min(profile.slidingWindowBuckets, size);
    if (given.minimumCalls === undefined) merged.minimumCalls = Math.min(profile.minimumCalls, size);
  }
  if (given.halfOpenMaxCalls === undefined)
    merged.halfOpenMaxCalls = Math.max(profile.halfOpenMaxCalls, Number(merged.halfOpenSuccessThreshold));
  const next = resolveProfile(merged);
  if (next.slidingWindowBuckets > maxBuckets) {
    throw new RangeError(
      `breakwater: option "slidingWindowBuckets" can be at most ${maxBuckets} on breaker "${name}" (its slot was made for that many), got ${next.slidingWindowBuckets}`,
    );
  }
  return next;
}
