// breakwater: the breaker and what it needs (registry, clock, errors). The wings are subpaths:
// breakwater/observe, /rollout, /recovery, /adaptive, /chaos, /opossum, /cockatiel.
export { CircuitBreaker } from './breaker';
export type { Attempt, BreakerEvents, BreakerHandle, CallContext, LocalOptions, Rejection } from './breaker';
export type { CircuitBreakerOptions, ResolvedOptions } from './options';
export type { BreakerMetrics } from './metrics';
export type { BreakerSnapshot } from './snapshot';
export type { RetryOptions } from './retry';
export type { StateChange, StateName, ReasonName } from './state';
export type { Disposer } from './events';
export { ManualClock } from './clock';
export { CircuitOpenError } from './errors/CircuitOpenError';
export { TimeoutError } from './errors/TimeoutError';
export { coreKind } from './core/select';
export type { CoreKind } from './core/select';
export type { ReconfigurableOptions } from './breaker';
export * from './registry/index';
export type { BreakerEvent, BreakerEventType, EventSink } from './registry/event';
export type { EventDrops } from './registry/event-log';
