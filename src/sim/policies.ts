import type { CircuitBreakerOptions } from '../options';
import { BreakerEdge, UnguardedEdge } from './guards';
import type { Policy } from './policy';

/**
 * The static breaker's settings: the defaults most circuit breakers ship with (opossum's 50% of a
 * 10 s rolling window and 30 s reset; resilience4j's 50% threshold), one probe when half-open.
 */
export const STATIC_BREAKER_OPTIONS: Readonly<Omit<CircuitBreakerOptions, 'clock' | 'timeout' | 'name'>> =
  Object.freeze({
    slidingWindowType: 'time',
    slidingWindowSize: 10_000,
    failureRateThreshold: 50,
    minimumCalls: 20,
    failureThreshold: 0,
    recoveryTimeout: 30_000,
    halfOpenMaxCalls: 1,
    halfOpenSuccessThreshold: 1,
  });

/**
 * The backoff breaker: probes early (5 s) and doubles the open period at each failed probe round,
 * up to 1 minute. Jitter stays 0: each edge has one breaker, so there is no herd of breakers
 * probing in step to spread out.
 */
export const BACKOFF_BREAKER_OPTIONS: Readonly<Omit<CircuitBreakerOptions, 'clock' | 'timeout' | 'name'>> =
  Object.freeze({
    ...STATIC_BREAKER_OPTIONS,
    recoveryTimeout: 5_000,
    backoffFactor: 2,
    maxRecoveryTimeout: 60_000,
  });

/** No breaker: the baseline every other policy is compared with. */
export const noBreaker: Policy = {
  name: 'none',
  description: 'no breaker: every attempt is sent, abandoned at the caller timeout',
  guard: (edge) => new UnguardedEdge(edge),
};

/** A breaker with fixed, usual settings. */
export const staticBreaker: Policy = {
  name: 'static',
  description: 'breaker, 50% failures over 10 s (min 20 calls), 30 s open, 1 probe',
  guard: (edge) => BreakerEdge.on(edge, STATIC_BREAKER_OPTIONS),
};

/** A breaker whose open period grows exponentially while probes keep failing. */
export const backoffBreaker: Policy = {
  name: 'backoff',
  description: 'breaker, 50% over 10 s, open 5 s doubling per failed probe up to 60 s',
  guard: (edge) => BreakerEdge.on(edge, BACKOFF_BREAKER_OPTIONS),
};

/**
 * The policies the simulator knows, baseline first. A later policy (adaptive, predictive,
 * progressive rollout) is a Policy in its own file, added here.
 */
export const BUILT_IN_POLICIES: readonly Policy[] = [noBreaker, staticBreaker, backoffBreaker];

/** The policy of this name, or a TypeError listing the known ones. */
export function policyNamed(name: string, policies: readonly Policy[] = BUILT_IN_POLICIES): Policy {
  const policy = policies.find((p) => p.name === name);
  if (policy === undefined)
    throw new TypeError(
      `breakwater/chaos: unknown policy ${JSON.stringify(name)} (known: ${policies.map((p) => p.name).join(', ')})`,
    );
  return policy;
}
