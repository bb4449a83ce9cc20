// breakwater/observe: what reads the registry: event sinks (memory, JSONL, DuckDB), Prometheus,
// OpenTelemetry and the dashboard. Each optional package loads only when its sink or bridge starts.
export type { BreakerEvent, BreakerEventType, EventSink } from '../registry/event';
export { MemoryRing } from '../registry/memory-ring';
export type { RecentQuery } from '../registry/memory-ring';
export { createJsonlSink } from './sinks/jsonl';
export type { JsonlSink, JsonlSinkOptions } from './sinks/jsonl';
export { createDuckDbSink, DUCKDB_TABLE } from './sinks/duckdb';
export type { DuckDbSink, DuckDbSinkOptions } from './sinks/duckdb';
export { collectBreakwaterMetrics, prometheusLabelName } from './prometheus';
export type { BreakwaterCollector, PrometheusOptions, ScrapeSummary } from './prometheus';
export type { ClusterStatusSource } from './cluster-metrics';
export * from './dashboard/index';
export { bridgeToOpenTelemetry } from './opentelemetry';
export type { OpenTelemetryBridge, OpenTelemetryOptions } from './opentelemetry';
export type { OpenTelemetryMeter, PrometheusRegistry } from './peer-types';
