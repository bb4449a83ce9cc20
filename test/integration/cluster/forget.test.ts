import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src';
import { connectCluster } from '../../../src/cluster';
import { useCluster } from './harness';

const { redis } = useCluster();

describe('a cluster connection when breakers leave the registry', () => {
  it('forgets a removed breaker at its next sync, so passing names leave nothing behind', async () => {
    const clock = new ManualClock();
    const registry = new Registry({ clock });
    const cluster = connectCluster(registry, { redis: redis().url, namespace: 'forget', syncIntervalMs: 100 });
    try {
      await cluster.ready;
      const names = Array.from({ length: 50 }, (_, i) => `tenant-${i}`);
      for (const name of names) registry.getOrCreate('endpoint', name).executeSync(() => 1);
      await clock.runFor(200);
      expect(cluster.status.breakers).toBe(50);
      for (const name of names.slice(10)) registry.remove('endpoint', name);
      await clock.runFor(200);
      // Before, every breaker the connection had synced stayed in its map (and in `status`) for good.
      expect(cluster.status).toMatchObject({ breakers: 10, connected: true });
    } finally {
      await cluster.close();
      await registry.shutdown();
    }
  });
});
