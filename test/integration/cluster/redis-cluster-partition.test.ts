import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from './cluster-node';
import { useRedisCluster } from './harness';
import { TcpProxy } from './tcp-proxy';

// A real Redis Cluster (three masters) and real node processes; one node reaches every master
// through a proxy of its own (ioredis's natMap routes the cluster's addresses to them), which the
// test cuts, as a network partition cuts one host off from the whole Redis Cluster.
const { cluster } = useRedisCluster();
const nodes: ClusterNode[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) node.kill();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

interface Report {
  changes: string[];
  sent: number;
}

/** 9 calls of the cluster decide; an open period long enough that the node cut off and back finds it open. */
const BREAKER = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 3000 };

describe('a node cut off from a Redis Cluster', () => {
  it('decides alone; once back, it takes the decision the others made meanwhile, and the probe that closes it', async () => {
    const masters = cluster().nodes;
    const farProxies = await Promise.all(masters.map(({ port }) => TcpProxy.start(port)));
    proxies.push(...farProxies);
    const natMap = Object.fromEntries(
      masters.map(({ host, port }, i) => [`${host}:${port}`, { host: '127.0.0.1', port: farProxies[i].port }]),
    );
    const start = (nodeId: string, far: boolean) =>
      ClusterNode.start({
        breaker: BREAKER,
        cluster: { namespace: 'cluster-partition', syncIntervalMs: 200, nodeId },
        redisCluster: far ? farProxies.map(({ port }) => ({ host: '127.0.0.1', port })) : masters,
        ...(far && { natMap }),
      });
    const started = await Promise.all([start('near-0', false), start('near-1', false), start('far', true)]);
    nodes.push(...started);
    await Promise.all(started.map((node) => node.send('ready')));
    const [near, far] = [started.slice(0, 2), started[2]];

    for (const proxy of farProxies) proxy.partition();
    expect(await far.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
    for (const node of near) await node.send('fail', { n: 5 });
    for (const node of near) expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    // The cut-off node never heard it: its own calls still go through, closed.
    expect(await far.send('succeed', { n: 3 })).toEqual({ state: 'closed' });

    for (const proxy of farProxies) proxy.heal();
    expect(await far.send('waitEvent', { type: 'restored' })).toMatchObject({ reached: true });
    expect(await far.send('waitState', { state: 'open' })).toMatchObject({ reached: true, state: 'open' });
    expect(await far.send('report')).toMatchObject({ changes: ['open:cluster'], sent: 3 });
    // The dependency is back: one probe of the cluster closes every node, the far one too.
    const closed = await Promise.all(started.map((node) => node.send('callUntilClosed')));
    expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }, { state: 'closed' }]);
    const changes = await Promise.all(started.map(async (node) => (await node.send<Report>('report')).changes));
    expect(changes.flat().filter((change) => change === 'closed:probe-success')).toHaveLength(1);
    expect(changes.flat().filter((change) => change === 'closed:cluster')).toHaveLength(2);
  });
});
