/**
 * The parts of prom-client's Registry and @opentelemetry/api's Meter that breakwater's public
 * signatures name, restated so the published types need neither package installed. The real
 * objects fit them (the observe tests pass them).
 */

/** A prom-client `Registry` (`new Registry()` or the default `register`). */
export interface PrometheusRegistry {
  /** The exposition text of every metric in the registry. */
  metrics(): Promise<string>;
  /** The Content-Type of that text. */
  readonly contentType: string;
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}

/** An OpenTelemetry `Meter` (`metrics.getMeter(name)`). */
export interface OpenTelemetryMeter {
  createObservableGauge(name: string, options?: never): object;
  createObservableCounter(name: string, options?: never): object;
  addBatchObservableCallback(callback: never, observables: never): void;
  removeBatchObservableCallback(callback: never, observables: never): void;
}
