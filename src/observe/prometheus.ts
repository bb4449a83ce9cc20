import { createRequire } from 'node:module';
import type { Counter, Gauge, Registry as PromRegistry } from 'prom-client';
import type { PrometheusRegistry } from './peer-types';
import type { BreakerHealth } from '../registry/health';
import {
  checkRegistryView,
  readRegistry,
  type Reading,
  type RegistryView,
  type ScrapeSummary,
} from './registry-reading';
import { RegistrySnapshot } from './registry-snapshot';
import type { ClusterStatusSource } from './cluster-metrics';
import type { StateName } from '../state';
import { show } from '../error-message';
import { knownOptions } from '../options-object';

/** The npm package the collector loads on first use (an optional peer dependency). */
export const PROM_CLIENT_PACKAGE = 'prom-client';
export type { RegistryView, ScrapeSummary } from './registry-reading';

/** Options of {@link collectBreakwaterMetrics}. */
export interface PrometheusOptions {
  /** The prom-client Registry to register in; default a new one (see the collector's `register`). */
  register?: PrometheusRegistry;
  /** Prefix of every metric name. Default 'breakwater_'. */
  prefix?: string;
  /**
   * Breaker label keys exported as Prometheus labels (after name and kind). Default: the keys the
   * registry's breakers have when the collector is created. Keys that are not valid Prometheus label
   * names are rewritten (see docs/observability.md).
   */
  labelNames?: readonly string[];
  /** The most breakers exported one by one; above it, `overflow` applies. Default 1000. */
  maxSeries?: number;
  /**
   * Above maxSeries: 'per-kind' exports per-kind aggregates instead of per-breaker series;
   * 'top-n' exports the maxSeries least healthy breakers. Default 'per-kind'.
   */
  overflow?: 'per-kind' | 'top-n';
  /** A cluster connection (breakwater/cluster's connectCluster) whose status to export as `cluster_*` metrics. */
  cluster?: ClusterStatusSource;
}

/** A registered collector. */
export interface BreakwaterCollector {
  /** The prom-client Registry the metrics are in: `await register.metrics()` is the exposition. */
  readonly register: PrometheusRegistry;
  /** The metric names, prefix included. */
  readonly metricNames: readonly string[];
  /** What the last scrape exported (undefined before the first). */
  readonly lastScrape: ScrapeSummary | undefined;
  /** Removes the metrics from the prom-client Registry. */
  dispose(): void;
}

type PromClient = Pick<typeof import('prom-client'), 'Registry' | 'Gauge' | 'Counter'>;

/** Numeric code of each state for the `circuit_state_code` gauge. */
export const STATE_CODES: Readonly<Record<StateName, number>> = {
  closed: 0,
  open: 1,
  'half-open': 2,
  'forced-open': 3,
  disabled: 4,
};
const STATES = Object.keys(STATE_CODES) as StateName[];
const RESERVED_LABELS = new Set(['name', 'kind', 'state', 'quantile', 'option']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Lifetime totals exported as counters: metric suffix and BreakerHealth field. */
const COUNTERS = [
  ['calls_total', 'totalCalls', 'Calls the breaker admitted'],
  ['successes_total', 'successes', 'Calls that succeeded'],
  ['failures_total', 'failures', 'Calls that failed (timeouts included)'],
  ['rejections_total', 'rejections', 'Calls refused by an open circuit'],
  ['timeouts_total', 'timeouts', 'Calls that timed out'],
  ['slow_calls_total', 'slowCalls', 'Calls slower than slowCallDuration'],
] as const;

let installed: boolean | undefined;

/** Whether prom-client can be loaded here (resolved once, without loading it). */
export function isPromClientInstalled(): boolean {
  if (installed === undefined) {
    try {
      createRequire(__filename).resolve(PROM_CLIENT_PACKAGE);
      installed = true;
    } catch {
      installed = false;
    }
  }
  return installed;
}

function loadPromClient(): PromClient {
  try {
    return createRequire(__filename)(PROM_CLIENT_PACKAGE) as PromClient;
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      (error as Error).message.includes(PROM_CLIENT_PACKAGE)
    ) {
      throw new Error(
        `breakwater/observe: Prometheus metrics need the optional package ${PROM_CLIENT_PACKAGE}; install it with \`npm install ${PROM_CLIENT_PACKAGE}\``,
      );
    }
    throw new Error(
      `breakwater/observe: ${PROM_CLIENT_PACKAGE} is installed but failed to load: ${(error as Error).message}`,
    );
  }
}

/**
 * The Prometheus label a breaker label key is exported as: invalid characters become `_`, a leading
 * digit gets a `_` in front, and keys that clash with the collector's own labels (name, kind, state,
 * quantile, option) or start with `__` get a `label_` prefix.
 */
export function prometheusLabelName(key: string): string {
  let label = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (!LABEL_NAME.test(label)) label = `_${label}`;
  if (RESERVED_LABELS.has(label) || label.startsWith('__')) label = `label_${label}`;
  return label;
}

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/**
 * Registers breakwater's metrics in a prom-client Registry. Nothing is recorded between scrapes:
 * each scrape reads the registry once (`collect()` callbacks share one reading) and reports
 * lifetime totals as counters and the window's state, health, latency percentiles, probability
 * and current thresholds as gauges. Above `maxSeries` breakers, the cardinality guard exports
 * per-kind aggregates or the least healthy breakers only.
 */
export function collectBreakwaterMetrics(registry: RegistryView, options: PrometheusOptions = {}): BreakwaterCollector {
  checkRegistryView(registry, 'collectBreakwaterMetrics(registry)');
  return collectFromSnapshots(() => RegistrySnapshot.read(registry), options);
}

/**
 * @internal collectBreakwaterMetrics() over snapshots from `snapshots` (one per scrape): the
 * dashboard passes its shared one, so a scrape reads no more of the registry than a page does.
 */
export function collectFromSnapshots(
  snapshots: () => RegistrySnapshot,
  options: PrometheusOptions = {},
): BreakwaterCollector {
  if (options === null || typeof options !== 'object')
    throw new TypeError('breakwater/observe: collectBreakwaterMetrics(registry, options) needs an options object');
  knownOptions(options, 'breakwater/observe: Prometheus options', {
    register: true,
    prefix: true,
    labelNames: true,
    maxSeries: true,
    overflow: true,
    cluster: true,
  });
  const prefix = options.prefix ?? 'breakwater_';
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_PREFIX.test(prefix))) {
    throw new TypeError(
      `breakwater/observe: Prometheus option prefix must match ${METRIC_PREFIX.source} (or be empty), got ${show(prefix)}`,
    );
  }
  const maxSeries = options.maxSeries ?? 1000;
  if (!Number.isInteger(maxSeries) || maxSeries < 0)
    throw new RangeError(
      `breakwater/observe: Prometheus option maxSeries must be an integer >= 0, got ${String(maxSeries)}`,
    );
  const overflow = options.overflow ?? 'per-kind';
  if (overflow !== 'per-kind' && overflow !== 'top-n')
    throw new RangeError(
      `breakwater/observe: Prometheus option overflow must be 'per-kind' or 'top-n', got ${show(overflow)}`,
    );
  const keys = options.labelNames ?? [...new Set(snapshots().rows.flatMap((row) => Object.keys(row.labels)))].sort();
  if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string' || key.length === 0)) {
    throw new TypeError(
      `breakwater/observe: Prometheus option labelNames must be an array of non-empty strings, got ${show(keys)}`,
    );
  }
  const labelMap = keys.map((key) => [key, prometheusLabelName(key)] as const);
  const exportedLabels = [...new Set(labelMap.map(([, label]) => label))];
  const client = loadPromClient();
  const register = (options.register as PromRegistry | undefined) ?? new client.Registry();

  let reading: Reading | undefined;
  let readsLeft = 0;
  let lastScrape: ScrapeSummary | undefined;
  // A scrape calls every metric's collect() in one turn: they share one reading of the registry,
  // dropped once each metric had it (or at the next turn, when only some metrics were read).
  const read = (): Reading => {
    if (reading === undefined) {
      const fresh = readRegistry(snapshots(), maxSeries, overflow);
      reading = fresh;
      readsLeft = metrics.length;
      lastScrape = fresh.summary;
      setImmediate(() => {
        if (reading === fresh) reading = undefined;
      });
    }
    const current = reading;
    if (--readsLeft === 0) reading = undefined;
    return current;
  };
  // Each breaker's label set is built once per scrape, not once per metric.
  const labelCache = new WeakMap<BreakerHealth, Record<string, string>>();
  const breakerLabels = (row: BreakerHealth): Record<string, string> => {
    let labels = labelCache.get(row);
    if (labels === undefined) {
      labels = { name: row.name, kind: row.kind };
      for (const [key, label] of labelMap) labels[label] = row.labels[key] ?? '';
      labelCache.set(row, labels);
    }
    return labels;
  };

  const baseLabels = ['name', 'kind', ...exportedLabels];
  const metrics: Array<Gauge | Counter> = [];
  const gauge = (
    suffix: string,
    help: string,
    extraLabels: string[],
    collect: (this: Gauge, r: Reading) => void,
  ): void => {
    metrics.push(
      new client.Gauge({
        name: prefix + suffix,
        help,
        labelNames: [...baseLabels, ...extraLabels],
        registers: [],
        collect() {
          this.reset();
          collect.call(this, read());
        },
      }),
    );
  };

  gauge('circuits', 'Breakers in each state, per kind', ['state'], function (r) {
    for (const [kind, counts] of Object.entries(r.health.byKind)) {
      const byState: Record<StateName, number> = {
        closed: counts.closed,
        open: counts.open,
        'half-open': counts.halfOpen,
        'forced-open': counts.forcedOpen,
        disabled: counts.disabled,
      };
      for (const state of STATES) this.set({ kind, state }, byState[state]);
    }
  });
  gauge(
    'circuit_state',
    "1 for the breaker's current state, 0 for the others (per-kind mode: breakers in that state)",
    ['state'],
    function (r) {
      for (const row of r.breakers)
        for (const state of STATES) this.set({ ...breakerLabels(row), state }, row.state === state ? 1 : 0);
      for (const [kind, rows] of r.kinds)
        for (const state of STATES) this.set({ kind, state }, rows.filter((row) => row.state === state).length);
    },
  );
  gauge(
    'circuit_state_code',
    'The current state as a number: 0 closed, 1 open, 2 half-open, 3 forced-open, 4 disabled',
    [],
    function (r) {
      for (const row of r.breakers) this.set(breakerLabels(row), STATE_CODES[row.state]);
    },
  );
  gauge('health_ratio', 'healthPercentage / 100 (per-kind mode: the average)', [], function (r) {
    for (const row of r.breakers) this.set(breakerLabels(row), row.healthPercentage / 100);
    for (const [kind, rows] of r.kinds)
      this.set({ kind }, rows.reduce((sum, row) => sum + row.healthPercentage, 0) / rows.length / 100);
  });
  gauge(
    'trip_probability',
    "The early-warning model's probability of a trip (per-kind mode: the highest); absent when never scored",
    [],
    function (r) {
      for (const row of r.breakers) if (row.probability !== null) this.set(breakerLabels(row), row.probability);
      for (const [kind, rows] of r.kinds) {
        const highest = rows.reduce(
          (max, row) => (row.probability !== null && row.probability > max ? row.probability : max),
          -1,
        );
        if (highest >= 0) this.set({ kind }, highest);
      }
    },
  );
  gauge(
    'call_latency_seconds',
    'Latency percentiles over the sliding window (per-kind mode: the highest)',
    ['quantile'],
    function (r) {
      const quantiles = [
        ['0.5', 'p50'],
        ['0.9', 'p90'],
        ['0.99', 'p99'],
      ] as const;
      for (const row of r.breakers) {
        for (const [quantile, field] of quantiles) {
          const value = seconds(row.latency[field]);
          if (value !== null) this.set({ ...breakerLabels(row), quantile }, value);
        }
      }
      for (const [kind, rows] of r.kinds) {
        for (const [quantile, field] of quantiles) {
          const highest = rows.reduce((max, row) => Math.max(max, row.latency[field] ?? -1), -1);
          if (highest >= 0) this.set({ kind, quantile }, highest / 1000);
        }
      }
    },
  );
  gauge(
    'threshold',
    'Current trip thresholds: failureThreshold (calls), failureRateThreshold and slowCallRateThreshold (%), minimumCalls',
    ['option'],
    function (r) {
      for (const row of r.breakers)
        for (const [option, value] of Object.entries(row.thresholds))
          this.set({ ...breakerLabels(row), option }, value);
    },
  );
  gauge(
    'timeout_seconds',
    'Current timeouts: timeout, recoveryTimeout, halfOpenTimeout, slowCallDuration',
    ['option'],
    function (r) {
      for (const row of r.breakers)
        for (const [option, value] of Object.entries(row.timeoutsMs))
          this.set({ ...breakerLabels(row), option }, value / 1000);
    },
  );
  gauge(
    'series_omitted_breakers',
    'Breakers without series of their own because of the maxSeries guard',
    [],
    function (r) {
      this.set({}, r.summary.omitted);
    },
  );
  for (const [suffix, field, help] of COUNTERS) {
    metrics.push(
      new client.Counter({
        name: prefix + suffix,
        help: `${help} (lifetime; per-kind mode: the sum)`,
        labelNames: baseLabels,
        registers: [],
        collect() {
          this.reset();
          const r = read();
          for (const row of r.breakers) this.inc(breakerLabels(row), row[field]);
          for (const [kind, rows] of r.kinds)
            this.inc(
              { kind },
              rows.reduce((sum, row) => sum + row[field], 0),
            );
        },
      }),
    );
  }

  metrics.push(
    new client.Counter({
      name: `${prefix}events_dropped_total`,
      help: "History events that never reached a sink: stage 'queue' (more than the registry's maxPending waited), or 'sink' with the sink's name, path or place (a full disk, a closed database)",
      labelNames: ['stage', 'sink'],
      registers: [],
      collect() {
        this.reset();
        const drops = read().eventDrops;
        if (drops === undefined) return;
        this.inc({ stage: 'queue', sink: '' }, drops.queue);
        for (const { sink, dropped } of drops.sinks) this.inc({ stage: 'sink', sink }, dropped);
      },
    }),
  );

  // Apart from `metrics`, whose count says when a scrape has read the registry.
  const cluster = options.cluster === undefined ? [] : clusterMetrics(client, prefix, options.cluster);
  const registered: string[] = [];
  try {
    for (const metric of [...metrics, ...cluster]) {
      register.registerMetric(metric);
      registered.push((metric as unknown as { name: string }).name);
    }
  } catch (error) {
    for (const name of registered) register.removeSingleMetric(name);
    throw new Error(
      `breakwater/observe: could not register the Prometheus metrics (is another collector using prefix ${JSON.stringify(prefix)} on this Registry?): ${(error as Error).message}`,
    );
  }

  return {
    register,
    metricNames: registered,
    get lastScrape() {
      return lastScrape;
    },
    dispose(): void {
      for (const name of registered) register.removeSingleMetric(name);
    },
  };
}

/** The cluster connection's metrics: whether Redis answers, whether this process syncs, and its sync counts. */
function clusterMetrics(client: PromClient, prefix: string, source: ClusterStatusSource): Array<Gauge | Counter> {
  const gauge = (suffix: string, help: string, value: () => number): Gauge =>
    new client.Gauge({
      name: `${prefix}cluster_${suffix}`,
      help,
      registers: [],
      collect() {
        this.set(value());
      },
    });
  const counter = (suffix: string, help: string, value: () => number): Counter =>
    new client.Counter({
      name: `${prefix}cluster_${suffix}`,
      help,
      registers: [],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  return [
    gauge(
      'connected',
      '1 while every Redis node the last sync went to answered; 0 when some breakers (or all) decide locally',
      () => +source.status.connected,
    ),
    gauge(
      'syncing',
      '1 when this process syncs (with a host arena, one process of the host does)',
      () => +source.status.syncing,
    ),
    gauge('breakers', 'Breakers this process syncs', () => source.status.breakers),
    gauge('held_open_breakers', 'Breakers held open for the cluster', () => source.status.heldOpen),
    gauge(
      'lost_breakers',
      'Breakers whose last sync failed (Redis, or their Redis Cluster master, lost): they decide locally',
      () => source.status.lostBreakers,
    ),
    counter('syncs_total', 'Syncs that reached Redis', () => source.status.syncs),
    counter('failed_syncs_total', 'Syncs that failed (Redis lost, hung or slow)', () => source.status.failedSyncs),
    counter('round_trips_total', 'Pipelines sent to Redis', () => source.status.roundTrips),
  ];
}
