import type { LiveStreamCounts } from './live-stream';

/**
 * The dashboard's own metrics in Prometheus text format, appended to GET /metrics: live pages
 * connected and their cap, and streams refused or dropped for falling behind.
 */
export function dashboardExposition(prefix: string, counts: LiveStreamCounts): string {
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number): string =>
    `# HELP ${prefix}${name} ${help}\n# TYPE ${prefix}${name} ${type}\n${prefix}${name} ${value}\n`;
  return (
    metric('dashboard_live_clients', 'gauge', 'Pages connected to the dashboard live stream', counts.clients) +
    metric(
      'dashboard_live_clients_max',
      'gauge',
      'The most live pages served at once (option maxLiveClients)',
      counts.maxClients,
    ) +
    metric(
      'dashboard_live_clients_refused_total',
      'counter',
      'Live streams refused with 503 because maxLiveClients pages were connected',
      counts.refused,
    ) +
    metric(
      'dashboard_live_clients_dropped_total',
      'counter',
      'Live streams closed because their unsent backlog passed maxClientBacklogBytes',
      counts.droppedSlow,
    )
  );
}
