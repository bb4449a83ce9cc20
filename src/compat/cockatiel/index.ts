/**
 * cockatiel 3.2.1 breakers (`IBreaker`) backed by the breakwater core: pass them to cockatiel's
 * `circuitBreaker(policy, { halfOpenAfter, breaker })` in place of cockatiel's own.
 */
export { ConsecutiveBreaker } from './ConsecutiveBreaker';
export { CountBreaker, type CountBreakerState } from './CountBreaker';
export { SamplingBreaker, type SamplingBreakerState, type SamplingWindow } from './SamplingBreaker';
