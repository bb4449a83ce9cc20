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

describe('a Redis user refused the transitions channel (an ACL without it)', () => {
  it('warns once that decisions reach it by its syncs alone, and its syncs still open the cluster', async () => {
    const server = await RedisServer.start();
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'nochannel', 'on', '>secret', '~*', 'resetchannels', '+@all');
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    const cluster = { namespace: 'acl', syncIntervalMs: 100 };
    const [clockA, clockB] = [new ManualClock(), new ManualClock()];
    const [registryA, registryB] = [new Registry({ clock: clockA }), new Registry({ clock: clockB })];
    const nodeA = connectCluster(registryA, { ...cluster, redis: `redis://nochannel:secret@127.0.0.1:${server.port}` });
    const nodeB = connectCluster(registryB, { ...cluster, redis: server.url });
    const eventsA: ClusterEvent[] = [];
    nodeA.onEvent((event) => eventsA.push(event));
    try {
      await Promise.all([nodeA.ready, nodeB.ready]);
      const options = { minimumCalls: 4, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 60_000 };
      const [a, b] = [
        registryA.getOrCreate('endpoint', 'orders', options),
        registryB.getOrCreate('endpoint', 'orders', options),
      ];
      for (const breaker of [a, b])
        for (let i = 0; i < 2; i++)
          expect(() =>
            breaker.executeSync(() => {
              throw new Error('down');
            }),
          ).toThrow('down');
      await clockB.runFor(100); // B's window reaches Redis first: neither node trips on 2 calls
      await clockA.runFor(100); // A's sync crosses the sum and opens the cluster; its PUBLISH is refused
      expect(b.executeSync(() => 'served')).toBe('served'); // no message came: B learns at its next sync of the breaker
      await clockB.runFor(100);
      expect([a.getState(), b.getState()]).toEqual(['open', 'open']);
      // Before, the refused PUBLISH failed A's whole sync: a 'lost' (NOPERM) while Redis was fine.
      expect(eventsA).toEqual([]);
      expect(nodeA.status).toMatchObject({ connected: true, failedSyncs: 0 });
      const refusals = warnings.filter((warning) => warning.code === 'BREAKWATER_CLUSTER_SUBSCRIBE');
      expect(refusals).toHaveLength(1);
      expect(refusals[0].message).toMatch(/subscription to "acl:transitions" \(NOPERM.*ACL: &acl:transitions/);
    } finally {
      process.off('warning', onWarning);
      admin.disconnect();
      await Promise.all([nodeA.close(), nodeB.close()]);
      await Promise.all([registryA.shutdown(), registryB.shutdown()]);
      await server.kill();
    }
  });
});

/** A node on a manual clock naming `breakers` breakers, connected by URL to a Redis of its own; `end()` stops both. */
async function startingNode(namespace: string, syncIntervalMs: number, breakers: number) {
  const redis = await RedisServer.start();
  const clock = new ManualClock();
  const registry = new Registry({ clock });
  for (let i = 0; i < breakers; i++) registry.getOrCreate('endpoint', `tenant-${i}`);
  const cluster = connectCluster(registry, { redis: redis.url, namespace, syncIntervalMs });
  const events: ClusterEvent[] = [];
  cluster.onEvent((event) => events.push(event));
  const end = async (): Promise<void> => {
    await registry.shutdown();
    await redis.kill();
  };
  return { redis, clock, cluster, events, end };
}

describe('a node whose start outlasts the sync interval (a loaded machine)', () => {
  it('runs no scheduled sync before its connection is up: a healthy Redis is not lost', async () => {
    const { clock, cluster, events, end } = await startingNode('slow-start', 100, 1);
    try {
      clock.advance(100); // the schedule's sync is due before the client could connect
      await cluster.ready;
      // Before, it ran at once and failed: "Redis 127.0.0.1:P is not connected: no answer yet".
      expect({ failedSyncs: cluster.status.failedSyncs, events }).toEqual({ failedSyncs: 0, events: [] });
      expect(cluster.status).toMatchObject({ connected: true, syncs: 1 });
    } finally {
      await end();
    }
  });

  it('runs no second sync beside it, and a Redis that answers late is not lost', async () => {
    // 20,000 breakers never synced: the first sync carries them all (200 scripts, well within its
    // deadline of 1 s plus 50 us a breaker, and long enough to find it out).
    const { redis, clock, cluster, events, end } = await startingNode('slow-first', 1000, 20_000);
    try {
      while (cluster.status.roundTrips === 0) await new Promise((resolve) => setImmediate(resolve));
      redis.pause(); // the first sync is out, and its answer waits
      expect(cluster.status.syncs).toBe(0);
      clock.advance(1000); // the schedule's sync is due
      await new Promise((resolve) => setImmediate(resolve));
      // Before, it ran beside start()'s and failed at once: "Redis has not answered the previous sync yet".
      expect(cluster.status.failedSyncs).toBe(0);
      redis.resume();
      await cluster.ready;
      expect({ syncs: cluster.status.syncs, failedSyncs: cluster.status.failedSyncs, events }).toEqual({
        syncs: 1,
        failedSyncs: 0,
        events: [],
      });
    } finally {
      await end();
    }
  });
});
