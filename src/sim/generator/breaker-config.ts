import type { CircuitBreakerOptions } from '../../options';
import type { SeededRandom } from '../../random';
import type { ServiceTraits } from './service';

/** A log-uniform draw in [low, high]. */
export function logUniform(random: SeededRandom, low: number, high: number): number {
  return low * (high / low) ** random.next();
}

/** A uniform draw in [low, high]. */
export function uniform(random: SeededRandom, low: number, high: number): number {
  return low + (high - low) * random.next();
}

/**
 * A service as wide as the generator goes: 1 to 1,000 calls per second, a healthy median of 1 ms to
 * 2 s with its own spread, a background error rate, and a connection pool on half of them sized
 * for 20-60% utilisation.
 */
export function drawService(random: SeededRandom): ServiceTraits {
  const callRate = logUniform(random, 1, 1000);
  const medianMs = logUniform(random, 1, 2000);
  const utilisation = uniform(random, 0.2, 0.6);
  return {
    callRate,
    medianMs,
    spread: uniform(random, 0.1, 0.9),
    errorLatencyShare: uniform(random, 0.05, 1),
    backgroundErrors: random.chance(0.5) ? 0 : logUniform(random, 0.0005, 0.02),
    pool: random.chance(0.5) ? Math.max(2, Math.ceil((callRate * medianMs) / 1000 / utilisation)) : 0,
  };
}

/**
 * Breaker options as users set them: a time or count window of usual sizes in 2 to 20 buckets, the
 * failure-rate rule (usually 50%) and/or the consecutive-failure rule,
 * minimum calls (at most a count window's size, as the breaker requires), a timeout well above the
 * service's tail (or none), sometimes the slow-call rule, and now and then the slow-call rule alone.
 */
export function drawBreakerOptions(random: SeededRandom, service: ServiceTraits): CircuitBreakerOptions {
  const time = random.chance(0.7);
  // A p99.9 of the healthy service times a margin: what a user picks after watching a dashboard.
  const tail = service.medianMs * Math.exp(3.1 * service.spread);
  const timeout = random.chance(0.1) ? 0 : Math.max(5, Math.round(tail * uniform(random, 1.5, 5)));
  const slowRule = random.chance(0.2);
  const slowRuleAlone = slowRule && random.chance(0.35);
  const rateRule = !slowRuleAlone && random.chance(0.8);
  const failureRateThreshold = rateRule ? (random.chance(0.6) ? 50 : random.pick([25, 30, 40, 60, 75])) : 0;
  const failureThreshold = !slowRuleAlone && (!rateRule || random.chance(0.4)) ? random.pick([3, 5, 5, 10, 20]) : 0;
  const windowSize = time ? random.pick([5_000, 10_000, 10_000, 30_000, 60_000]) : random.pick([20, 50, 100, 100, 200]);
  return {
    slidingWindowType: time ? 'time' : 'count',
    slidingWindowSize: windowSize,
    slidingWindowBuckets: Math.min(random.pick([2, 4, 5, 10, 10, 10, 10, 20]), time ? 64 : windowSize),
    failureRateThreshold,
    failureThreshold,
    minimumCalls: Math.min(random.pick([5, 10, 10, 20, 50]), time ? Infinity : windowSize),
    timeout,
    ...(slowRule && {
      slowCallRateThreshold: random.pick([30, 50, 50, 80, 90]),
      // Past the healthy tail, as a timeout is: under it, a healthy service is slow by design.
      slowCallDuration: Math.max(1, Math.round((timeout > 0 ? timeout : 2 * tail) * uniform(random, 0.3, 0.8))),
    }),
    recoveryTimeout: Math.round(logUniform(random, 5_000, 60_000)),
    halfOpenMaxCalls: random.pick([1, 1, 3, 5]),
    halfOpenSuccessThreshold: 1,
  };
}
