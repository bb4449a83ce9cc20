export { CircuitBreaker } from './circuit-breaker';
export type { ReconfigurableOptions } from './reconfigure';
export type { Attempt, BreakerEvents, BreakerHandle, CallContext, LocalOptions, Rejection } from './types';
