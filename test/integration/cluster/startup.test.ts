import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src';
import { connectCluster, type ClusterEvent } from '../../../src/cluster';
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

describe('a Redis URL naming a database the server does not have', () => {
  it('writes to no database, and its lost event and status name the database', async () => {
    const server = await RedisServer.start(['--databases', '4']);
    const clock = new ManualClock();
    const registry = new Registry({ clock });
    const events: ClusterEvent[] = [];
    const cluster = connectCluster(registry, {
      redis: `${server.url}/9`,
      namespace: 'no-such-db',
      syncIntervalMs: 100,
    });
    cluster.onEvent((event) => events.push(event));
    const inspector = new Redis(server.url);
    try {
      await cluster.ready;
      registry.getOrCreate('endpoint', 'orders').executeSync(() => 1);
      await clock.runFor(500);
      // Before, ioredis's failed SELECT left the client in database 0: the syncs wrote there and
      // the status read connected, with no error anywhere.
      expect(await inspector.keys('no-such-db*')).toEqual([]);
      expect(cluster.status).toMatchObject({ connected: false, syncs: 0 });
      expect(cluster.status.lastError).toMatch(
        new RegExp(`^Redis 127\\.0\\.0\\.1:${server.port} cannot select database 9 \\(.*DB index is out of range`),
      );
      expect(events).toEqual([{ type: 'lost', reason: cluster.status.lastError }]);
    } finally {
      inspector.disconnect();
      await cluster.close();
      await registry.shutdown();
      await server.kill();
    }
  });
});
