import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src';
import { breakerKeyPrefix } from '../../../src/cluster/breaker-keys';
import { connectCluster, type ClusterEvent } from '../../../src/cluster';
import { arenaFolder } from '../host/processes';
import { ClusterNode } from './cluster-node';
import { useCluster } from './harness';
import { RedisServer } from './redis-server';

// Real redis-server, real node processes: what a node does when Redis loses, mangles or withholds
// what it keeps. Each case was found by an outside fault harness (2026-12-07).
const { redis: server, nodes } = useCluster();
let namespaces = 0;

interface Report {
  state: string;
  changes: string[];
  events: string[];
  reasons: string[];
  warnings: string[];
  status: { connected: boolean; nodeId: string };
}

/** minimumCalls is what holds a lone breaker back: a cluster of nodes that each fail 2 opens on the sum. */
const FEW_CALLS = { minimumCalls: 4, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 10_000 };

async function startNodes(count: number, breaker: Record<string, unknown>) {
  const namespace = `damage${++namespaces}`;
  const started = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      ClusterNode.start({
        breaker,
        cluster: { redis: server().url, namespace, syncIntervalMs: 50, nodeId: `node-${i}` },
      }),
    ),
  );
  nodes.push(...started);
  await Promise.all(started.map((node) => node.send('ready')));
  return { started, prefix: breakerKeyPrefix(namespace, 'endpoint', 'db') };
}

const client = (): Redis => new Redis(server().url);
const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((redis) => redis.quit()));
});
function redisClient(): Redis {
  const redis = client();
  clients.push(redis);
  return redis;
}

async function openEverywhere(started: ClusterNode[]): Promise<void> {
  for (const node of started) await node.send('fail', { n: 2 });
  const reached = await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
  expect(reached).toEqual(started.map(() => ({ reached: true, state: 'open' })));
}

describe('a cluster whose Redis loses the decision while it holds a breaker open', () => {
  it.each(['flushed', 'restarted empty'])(
    'keeps every node open (no close without a probe) when Redis is %s',
    async (loss) => {
      const { started, prefix } = await startNodes(3, FEW_CALLS);
      await openEverywhere(started);
      if (loss === 'flushed') await redisClient().flushall();
      else {
        await server().kill();
        await server().restart();
      }
      for (const node of started) expect(await node.send('syncs', { n: 4 })).toEqual({ reached: true });
      // Before, Redis's empty state read as the cluster's "closed": 2 or 3 nodes of 3 closed at once.
      const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
      for (const report of reports)
        expect({ state: report.state, changes: report.changes }).toEqual({
          state: 'open',
          changes: ['open:cluster'],
        });
      if (loss === 'flushed') {
        // A node still holding it open gave the decision back to Redis, so one node probes for all.
        expect(await redisClient().hget(`${prefix}:state`, 'state')).toBe('open');
      }
    },
  );
});

describe('a cluster whose Redis holds garbage for a breaker', () => {
  it.each(['windows', 'state'])('deletes a %s key of the wrong type, warns once, and syncs on', async (key) => {
    const { started, prefix } = await startNodes(2, FEW_CALLS);
    await redisClient().set(`${prefix}:${key}`, 'garbage');
    // Before, every sync failed with WRONGTYPE (and every breaker of its script with it): the
    // nodes' failures, 4 between them, never opened the cluster.
    await openEverywhere(started);
    const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
    expect(reports.flatMap((report) => report.warnings)).toEqual(['BREAKWATER_CLUSTER_REPAIRED']);
    for (const report of reports) expect(report.events).not.toContain('lost');
  });

  it.each([
    ["a year ahead (a hand edit, or Redis's clock stepped back)", (nowMs: number) => nowMs + 365 * 86_400_000],
    ['no number', () => 'NaN'],
  ])("ends an open period whose deadline Redis holds as %s within the breaker's longest", async (_, until) => {
    const { started, prefix } = await startNodes(2, { ...FEW_CALLS, recoveryTimeout: 1000, maxRecoveryTimeout: 2000 });
    const redis = redisClient();
    const [seconds] = await redis.time();
    const nowMs = Number(seconds) * 1000;
    await redis.hset(`${prefix}:state`, 'state', 'open', 'until', until(nowMs), 'epoch', 2 * nowMs);
    // A call each: a node syncs a closed breaker whose window changed.
    for (const node of started) await node.send('succeed', { n: 1 });
    for (const node of started) expect(await node.send('syncs', { n: 3 })).toEqual({ reached: true });
    for (const node of started) {
      const { state, retryAfterMs } = await node.send<{ state: string; retryAfterMs: number }>('ready');
      expect(state).toBe('open');
      // At most the breaker's longest period, plus the hold past it that leaves the prober first
      // (2 leases of 2 s). Before: 2^30 ms (12 days, the core's longest) a year ahead, and with
      // "NaN" no probe lease ever, so the nodes stayed open as long as the key did.
      expect(retryAfterMs).toBeLessThanOrEqual(2000 + 4000);
    }
    // The (healthy) dependency's first probe closes every node.
    await Promise.all(started.map((node) => node.send('callUntilClosed')));
    const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
    expect(reports.map((report) => report.state)).toEqual(['closed', 'closed']);
  });

  it('starts the epochs again when Redis holds one that no reply can carry', async () => {
    const { started, prefix } = await startNodes(2, FEW_CALLS);
    // Redis gives a script's numbers back as 64-bit integers: 1e300 came back as garbage, and
    // every decision after it (1e300 + 1) read as older than the last, so no node followed one.
    await redisClient().hset(`${prefix}:state`, 'epoch', '1e300');
    await openEverywhere(started);
  });
});

describe('the node id of a host', () => {
  it('differs for another arena file at the same path, as on another host with the same host name', async () => {
    const directory = arenaFolder();
    const options = {
      breaker: FEW_CALLS,
      cluster: { redis: server().url, namespace: `damage${++namespaces}`, syncIntervalMs: 50 },
      host: { name: 'orders', directory },
    };
    const idOfOneNode = async (): Promise<string> => {
      const node = await ClusterNode.start(options);
      nodes.push(node);
      await node.send('ready');
      const { status } = await node.send<Report>('report');
      node.kill();
      return status.nodeId;
    };
    const first = await idOfOneNode();
    rmSync(join(directory, 'breakwater-orders'));
    const second = await idOfOneNode();
    // Before, both were "<host name>:<arena path>": two hosts alike in both shared one window in Redis.
    expect(first).not.toBe(second);
    for (const id of [first, second]) expect(id).toMatch(/:breakwater-orders:[0-9a-f]{10}$/);
  });

  it('is still made for a host whose arena file was removed under its mapping', async () => {
    const directory = arenaFolder();
    const registry = new Registry({ host: { name: 'removed', directory } });
    try {
      rmSync(join(directory, 'breakwater-removed')); // someone cleaned /dev/shm; the mapping lives on
      const cluster = connectCluster(registry, { redis: server().url, namespace: `damage${++namespaces}` });
      expect(cluster.status.nodeId).toMatch(/:breakwater-removed:[0-9a-f]{10}$/);
    } finally {
      await registry.shutdown();
    }
  });
});

describe('a node that starts while Redis accepts connections and never answers', () => {
  it('names the address and that no answer came, not the client library words', async () => {
    const hung = await RedisServer.start();
    hung.pause();
    const node = await ClusterNode.start({
      breaker: FEW_CALLS,
      cluster: { redis: hung.url, namespace: `damage${++namespaces}`, syncIntervalMs: 50 },
    });
    try {
      await node.send('ready');
      expect(await node.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
      const { reasons } = await node.send<Report>('report');
      // Before: "Stream isn't writeable and enableOfflineQueue options is false".
      expect(reasons[0]).toMatch(new RegExp(`^Redis 127\\.0\\.0\\.1:${hung.port} is not connected: no answer yet`));
    } finally {
      node.kill();
      hung.resume();
      await hung.kill();
    }
  });
});

describe('a node given a Redis Cluster client that is not ready', () => {
  it("names the cluster's nodes and the client's state, not the client library's words", async () => {
    const unreachable = await RedisServer.reserve(); // a free port nothing listens on
    const client = new Cluster([{ host: '127.0.0.1', port: unreachable.port }], { enableOfflineQueue: false });
    const clock = new ManualClock();
    const registry = new Registry({ clock });
    const node = connectCluster(registry, { redis: client, namespace: 'not-ready', syncIntervalMs: 100 });
    const events: ClusterEvent[] = [];
    node.onEvent((event) => events.push(event));
    try {
      await node.ready;
      registry.getOrCreate('endpoint', 'db').executeSync(() => 1);
      await clock.runFor(300);
      // Before: "None of startup nodes is available", then for every later sync "Redis has not
      // answered the previous sync yet" (the client held the pipeline until it was ready).
      const reason = new RegExp(`^Redis Cluster 127\\.0\\.0\\.1:${unreachable.port} is not connected: `);
      expect(events).toEqual([{ type: 'lost', reason: expect.stringMatching(reason) }]);
      expect(node.status.lastError).toMatch(reason);
    } finally {
      await node.close();
      client.disconnect();
      await registry.shutdown();
    }
  });
});
