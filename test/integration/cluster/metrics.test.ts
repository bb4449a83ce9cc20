import { describe, expect, it, vi } from 'vitest';
import { Registry } from '../../../src';
import { connectCluster } from '../../../src/cluster';
import { collectBreakwaterMetrics } from '../../../src/observe';
import { useCluster } from './harness';

const { redis } = useCluster();

/** The value of a metric without labels in a Prometheus exposition. */
function value(exposition: string, name: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in the exposition`);
  return Number(line.split(' ')[1]);
}

describe('the cluster in Prometheus metrics', () => {
  it('exports whether Redis answers, and the sync counts, from a live connection', async () => {
    const registry = new Registry();
    registry.getOrCreate('endpoint', 'db').executeSync(() => 1);
    const cluster = connectCluster(registry, { redis: redis().url, namespace: 'metrics', syncIntervalMs: 100 });
    const lost = new Promise<void>((resolve) => cluster.onEvent((event) => event.type === 'lost' && resolve()));
    try {
      await cluster.ready;
      const { register } = collectBreakwaterMetrics(registry, { cluster });
      const up = await register.metrics();
      expect(value(up, 'breakwater_cluster_connected')).toBe(1);
      expect(value(up, 'breakwater_cluster_syncing')).toBe(1);
      expect(value(up, 'breakwater_cluster_breakers')).toBe(1);
      expect(value(up, 'breakwater_cluster_syncs_total')).toBeGreaterThanOrEqual(1);
      expect(value(up, 'breakwater_cluster_lost_breakers')).toBe(0);
      redis().pause();
      await lost;
      // The sync that found Redis lost was a PING (no window had changed); the next sends every
      // breaker, and each one's failure counts it lost.
      const failedBefore = cluster.status.failedSyncs;
      await vi.waitUntil(() => cluster.status.failedSyncs > failedBefore, { timeout: 10_000, interval: 20 });
      const down = await register.metrics();
      expect(value(down, 'breakwater_cluster_connected')).toBe(0);
      expect(value(down, 'breakwater_cluster_failed_syncs_total')).toBeGreaterThanOrEqual(1);
      expect(value(down, 'breakwater_cluster_lost_breakers')).toBe(1);
    } finally {
      redis().resume();
      await cluster.close();
      await registry.shutdown();
    }
  });
});
