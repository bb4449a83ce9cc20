import { describe, expect, it } from 'vitest';
import { ClusterNode } from './cluster-node';
import { RedisServer } from './redis-server';

describe('a node that starts while Redis is down', () => {
  it('gets ready, decides locally, and syncs once Redis comes up', async () => {
    const later = await RedisServer.reserve();
    const node = await ClusterNode.start({
      breaker: { failureThreshold: 3 },
      cluster: { redis: later.url, namespace: 'startup', syncIntervalMs: 50 },
    });
    try {
      expect(await node.send('ready')).toMatchObject({ state: 'closed' });
      expect((await node.send<{ status: { connected: boolean } }>('report')).status.connected).toBe(false);
      expect(await node.send('fail', { n: 3 })).toEqual({ state: 'open' });
      await later.restart();
      expect(await node.send('syncs', { n: 1 })).toEqual({ reached: true });
      expect((await node.send<{ status: { connected: boolean } }>('report')).status.connected).toBe(true);
    } finally {
      node.kill();
      await later.kill();
    }
  });
});
