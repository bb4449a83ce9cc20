import { describe, expect, it } from 'vitest';
import { ClusterNode } from './cluster-node';
import { RedisServer } from './redis-server';

interface Report {
  events: string[];
  reasons: string[];
  status: { connected: boolean; lastError?: string };
}

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
      // 'lost' fires for a Redis down from the start too (before, only after a first success), and
      // names the address and the connection's error (before: ioredis's "Stream isn't writeable...").
      expect(await node.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
      const down = await node.send<Report>('report');
      expect(down.reasons[0]).toMatch(
        new RegExp(`^Redis 127\\.0\\.0\\.1:${later.port} is not connected: .*ECONNREFUSED`),
      );
      expect(down.status.lastError).toBe(down.reasons[0]);
      expect(await node.send('fail', { n: 3 })).toEqual({ state: 'open' });
      await later.restart();
      expect(await node.send('syncs', { n: 1 })).toEqual({ reached: true });
      expect(await node.send('waitEvent', { type: 'restored' })).toMatchObject({ reached: true });
      const up = await node.send<Report>('report');
      expect(up.status.connected).toBe(true);
      expect(up.status.lastError).toBeUndefined(); // before, the old error stayed beside connected: true
      expect(up.events).toEqual(['lost', 'restored']);
    } finally {
      node.kill();
      await later.kill();
    }
  });
});
