import { describe, expect, it } from 'vitest';
import { useRedisCluster } from './harness';
import { SPREAD_NAMES, breakerSlot } from './redis-cluster';

// A real Redis Cluster of three masters with a replica each; one master is killed and its replica
// takes over, as a managed Redis fails over. Nothing here asserts a duration.
// Each test fails a master over once, so each has a Redis Cluster of its own.
const { cluster: redisCluster, startNodes } = useRedisCluster({ each: true, replicas: 1, nodeTimeoutMs: 1000 });

describe('a cluster through Redis Cluster when a master fails over', () => {
  it("opens breakers on every master again once a replica took over the failed master's slots", async () => {
    const names = SPREAD_NAMES;
    const breaker = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 60_000 };
    const started = await startNodes('failover', breaker);
    await started[0].send('failEach', { names, n: 1 }); // every breaker synced once, on every master
    await redisCluster().failOver(breakerSlot('db-0'));
    // 3 failures a node: no node's own window reaches minimumCalls, so only the cluster opens them,
    // db-0 too, whose keys the promoted replica now holds.
    for (const node of started) await node.send('failEach', { names, n: 3 });
    const reached = await Promise.all(started.map((node) => node.send<{ reached: boolean }>('waitAllOpen', { names })));
    expect(reached.map((r) => r.reached)).toEqual([true, true, true]);
  });

  it('keeps a decision made before the failover: one probe on the promoted replica closes every node', async () => {
    const breaker = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 1500 };
    const started = await startNodes('failover-open', breaker);
    for (const node of started) await node.send('fail', { n: 3 });
    for (const node of started)
      expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    await redisCluster().failOver(breakerSlot('db'));
    // While the master was gone, the syncs of the breaker, whose keys it held, failed and the nodes
    // decided alone (as with Redis lost); two syncs after it, each holds the breaker for the
    // cluster again.
    for (const node of started) expect(await node.send('syncs', { n: 2 })).toEqual({ reached: true });
    // The dependency is back: every node calls until closed, and the lease, on the replica that took
    // over the breaker's keys, lets one node probe for all.
    const closed = await Promise.all(started.map((node) => node.send('callUntilClosed')));
    expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }, { state: 'closed' }]);
    const changes = await Promise.all(
      started.map(async (node) => (await node.send<{ changes: string[] }>('report')).changes),
    );
    expect(changes.map((list) => list.at(-1)).sort()).toEqual([
      'closed:cluster',
      'closed:cluster',
      'closed:probe-success',
    ]);
    for (const list of changes) expect(list[0]).toBe('open:cluster');
  });
});
