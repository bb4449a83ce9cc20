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
export type { BreakerEvent, BreakerEventType, EventSink } from './observe/event';
export { MemoryRing } from './observe/sinks/memory-ring';
export type { RecentQuery } from './observe/sinks/memory-ring';
export { RolloutController, RolloutStateError, DEFAULT_PHASES } from './rollout/index';
export type {
  RolloutOptions,
  ResolvedRolloutOptions,
  RolloutPhase,
  BaselineComparison,
  RolloutDecision,
  RolloutEvents,
  PhaseInfo,
  RolloutAction,
  RolloutStatus,
  RolloutTransition,
  TransitionAction,
  RolloutProgress,
  RolloutStateDocument,
  RolloutVersion,
  VersionMetrics,
} from './rollout/index';
export * from './recovery/index';
export { createJsonlSink } from './observe/sinks/jsonl';
export type { JsonlSink, JsonlSinkOptions } from './observe/sinks/jsonl';
export { createDuckDbSink, DUCKDB_TABLE } from './observe/sinks/duckdb';
export type { DuckDbSink, DuckDbSinkOptions } from './observe/sinks/duckdb';
export { collectBreakwaterMetrics, prometheusLabelName } from './observe/prometheus';
export type { BreakwaterCollector, PrometheusOptions, ScrapeSummary } from './observe/prometheus';
export * from './observe/dashboard/index';
export { bridgeToOpenTelemetry } from './observe/opentelemetry';
export type { OpenTelemetryBridge, OpenTelemetryOptions } from './observe/opentelemetry';
