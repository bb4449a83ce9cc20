import type { Counter, Gauge } from 'prom-client';

/** What the cluster metrics read: a cluster connection (breakwater/cluster), through its public `status`. */
export interface ClusterStatusSource {
  readonly status: {
    readonly connected: boolean;
    readonly syncing: boolean;
    readonly syncs: number;
    readonly failedSyncs: number;
    readonly roundTrips: number;
    readonly breakers: number;
    readonly heldOpen: number;
  };
}

type PromClient = Pick<typeof import('prom-client'), 'Gauge' | 'Counter'>;

/** The cluster connection's metrics: whether Redis answers, whether this process syncs, and its sync counts. */
export function clusterMetrics(
  client: PromClient,
  prefix: string,
  source: ClusterStatusSource,
): Array<Gauge | Counter> {
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
      '1 while the last sync reached Redis; 0 when the nodes decide locally',
      () => +source.status.connected,
    ),
    gauge(
      'syncing',
      '1 when this process syncs (with a host arena, one process of the host does)',
      () => +source.status.syncing,
    ),
    gauge('breakers', 'Breakers this process syncs', () => source.status.breakers),
    gauge('held_open_breakers', 'Breakers held open for the cluster', () => source.status.heldOpen),
    counter('syncs_total', 'Syncs that reached Redis', () => source.status.syncs),
    counter('failed_syncs_total', 'Syncs that failed (Redis lost, hung or slow)', () => source.status.failedSyncs),
    counter('round_trips_total', 'Pipelines sent to Redis', () => source.status.roundTrips),
  ];
}
