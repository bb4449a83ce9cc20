import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src';
import { connectCluster, type ClusterEvent } from '../../../src/cluster';
import { keySlot } from '../../../src/cluster/slots';
import { useRedisCluster } from './harness';
import { SPREAD_NAMES } from './redis-cluster';

const { cluster, startNodes } = useRedisCluster();

describe('a cluster through Redis Cluster', () => {
  it('opens breakers whose keys live on every master, with one pipeline per master', async () => {
    const names = SPREAD_NAMES;
    const breaker = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 60_000 };
    const started = await startNodes('redis-cluster', breaker);
    for (const node of started) await node.send('failEach', { names, n: 3 });
    const reached = await Promise.all(started.map((node) => node.send<{ reached: boolean }>('waitAllOpen', { names })));
    expect(reached.map((r) => r.reached)).toEqual([true, true, true]);
    const report = await started[0].send<{
      status: { connected: boolean; syncs: number; failedSyncs: number; lastError: string | undefined };
    }>('report');
    // Keys of one pipeline on several masters would fail every sync; a machine starved of CPU may
    // time one out (a deadline, not a wrong key), so the test asks for the first, not for none.
    expect(report.status.connected).toBe(true);
    expect(report.status.failedSyncs).toBeLessThan(report.status.syncs);
    expect(report.status.lastError ?? '').not.toMatch(/CROSSSLOT|MOVED|ASK/);
  });

  it('gives each breaker one hash tag, which Redis places in a slot spread over the masters', () => {
    // The keys the connection makes: "<namespace>:{<tag>}:windows" etc., one tag per breaker.
    const slots = new Set(Array.from({ length: 12 }, (_, i) => keySlot(`{${i.toString(16).padStart(20, '0')}}`)));
    expect(slots.size).toBe(12);
  });
});

describe('a URL of one Redis given a Redis Cluster node', () => {
  it('syncs nothing, and its lost event says to connect with a Cluster client', async () => {
    const [{ host, port }] = cluster().nodes;
    const clock = new ManualClock();
    const registry = new Registry({ clock });
    const events: ClusterEvent[] = [];
    const node = connectCluster(registry, {
      redis: `redis://${host}:${port}`,
      namespace: 'plain-url',
      syncIntervalMs: 100,
    });
    node.onEvent((event) => events.push(event));
    try {
      await node.ready;
      for (const name of SPREAD_NAMES) registry.getOrCreate('endpoint', name).executeSync(() => 1);
      await clock.runFor(300);
      // Before, it synced the breakers of the node's own slots and failed the others with
      // CROSSSLOT or MOVED; with one breaker it looked connected.
      expect(node.status).toMatchObject({ connected: false, syncs: 0 });
      expect(events).toEqual([{ type: 'lost', reason: node.status.lastError }]);
      expect(node.status.lastError).toMatch(
        new RegExp(`^Redis ${host}:${port} is a Redis Cluster node, .*ioredis's Cluster client`),
      );
    } finally {
      await node.close();
      await registry.shutdown();
    }
  });
});
