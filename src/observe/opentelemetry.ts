import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import type { OpenTelemetryMeter } from './peer-types';
import type { BreakerHealth } from '../registry/health';
import { checkRegistryView, readRegistry, type RegistryView, type ScrapeSummary } from './registry-reading';
import { RegistrySnapshot } from './registry-snapshot';
import { STATE_CODES } from './prometheus';
import { show } from '../error-message';
import { knownOptions } from '../options-object';

/** Options of {@link bridgeToOpenTelemetry}. */
export interface OpenTelemetryOptions {
  /** Prefix of every instrument name. Default 'breakwater.'. */
  prefix?: string;
  /** The most breakers observed one by one; above it, the least healthy ones. Default 1000. */
  maxBreakers?: number;
}

/** A bridge registered on a meter. */
export interface OpenTelemetryBridge {
  readonly instrumentNames: readonly string[];
  /** What the last collection observed (undefined before the first). */
  readonly lastCollection: ScrapeSummary | undefined;
  /** Stops observing (the instruments stay on the meter, without values). */
  dispose(): void;
}

/** An instrument name as the OpenTelemetry specification defines it. */
const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;

const OUTCOMES = [
  ['successes', 'success'],
  ['failures', 'failure'],
  ['rejections', 'rejection'],
  ['timeouts', 'timeout'],
  ['slowCalls', 'slow'],
] as const satisfies readonly (readonly [keyof BreakerHealth, string])[];

/**
 * Observes a registry's breakers through an OpenTelemetry meter you pass (from @opentelemetry/api,
 * an optional peer: breakwater never imports it): state, calls by outcome (cumulative counters),
 * latency percentiles, health, predicted probability. Values are read from the registry once per
 * collection, in one batch callback; above `maxBreakers` only the least healthy are observed.
 */
export function bridgeToOpenTelemetry(
  registry: RegistryView,
  given: OpenTelemetryMeter,
  options: OpenTelemetryOptions = {},
): OpenTelemetryBridge {
  checkRegistryView(registry, 'bridgeToOpenTelemetry(registry, meter)');
  const meter = given as Meter;
  if (meter === null || typeof meter !== 'object' || typeof meter.createObservableGauge !== 'function') {
    throw new TypeError(
      'breakwater/observe: bridgeToOpenTelemetry(registry, meter) needs a Meter from @opentelemetry/api (metrics.getMeter(name))',
    );
  }
  knownOptions(options, 'breakwater/observe: OpenTelemetry options', { prefix: true, maxBreakers: true });
  const prefix = options.prefix ?? 'breakwater.';
  // The specification's instrument name syntax: some SDKs drop an instrument whose name breaks it, others pass it to the backend.
  if (typeof prefix !== 'string' || !INSTRUMENT_NAME.test(`${prefix}circuit.state`))
    throw new TypeError(
      `breakwater/observe: OpenTelemetry option "prefix" must start instrument names that OpenTelemetry accepts (a letter, then letters, digits, "_", ".", "-" or "/"), got ${show(prefix)}`,
    );
  const maxBreakers = options.maxBreakers ?? 1000;
  if (!Number.isInteger(maxBreakers) || maxBreakers < 1)
    throw new RangeError(
      `breakwater/observe: OpenTelemetry option "maxBreakers" must be an integer >= 1, got ${String(maxBreakers)}`,
    );
  const state = meter.createObservableGauge(`${prefix}circuit.state`, {
    description: 'Circuit state code: 0 closed, 1 open, 2 half-open, 3 forced-open, 4 disabled',
  });
  const calls = meter.createObservableCounter(`${prefix}calls`, {
    description: 'Calls by outcome since the breaker was created or reset',
  });
  const latency = meter.createObservableGauge(`${prefix}latency`, {
    description: 'Window latency percentile',
    unit: 'ms',
  });
  const health = meter.createObservableGauge(`${prefix}health`, {
    description: 'Health percentage (0..100)',
    unit: '%',
  });
  const probability = meter.createObservableGauge(`${prefix}trip.probability`, {
    description: "The early-warning model's probability of a trip",
  });
  const dropped = meter.createObservableCounter(`${prefix}events.dropped`, {
    description:
      "History events that never reached a sink: stage 'queue' (more than the registry's maxPending waited), or 'sink' with the sink's name, path or place",
  });
  const instruments: Observable[] = [state, calls, latency, health, probability, dropped];
  let lastCollection: ScrapeSummary | undefined;

  const callback: BatchObservableCallback = (result) => {
    const reading = readRegistry(RegistrySnapshot.read(registry), maxBreakers, 'top-n');
    lastCollection = reading.summary;
    for (const row of reading.breakers) {
      const attributes: Attributes = { ...row.labels, name: row.name, kind: row.kind };
      result.observe(state, STATE_CODES[row.state], { ...attributes, state: row.state });
      for (const [field, outcome] of OUTCOMES) result.observe(calls, row[field] as number, { ...attributes, outcome });
      for (const quantile of ['p50', 'p90', 'p99'] as const) {
        const value = row.latency[quantile];
        if (value !== null) result.observe(latency, value, { ...attributes, quantile });
      }
      result.observe(health, row.healthPercentage, attributes);
      if (row.probability !== null) result.observe(probability, row.probability, attributes);
    }
    if (reading.eventDrops === undefined) return;
    result.observe(dropped, reading.eventDrops.queue, { stage: 'queue' });
    for (const { sink, dropped: count } of reading.eventDrops.sinks)
      result.observe(dropped, count, { stage: 'sink', sink });
  };
  meter.addBatchObservableCallback(callback, instruments);
  return {
    instrumentNames: ['circuit.state', 'calls', 'latency', 'health', 'trip.probability', 'events.dropped'].map(
      (name) => prefix + name,
    ),
    get lastCollection() {
      return lastCollection;
    },
    dispose: () => meter.removeBatchObservableCallback(callback, instruments),
  };
}
