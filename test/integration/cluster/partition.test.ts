import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from './cluster-node';
import { useCluster } from './harness';
import { TcpProxy } from './tcp-proxy';

// Real redis-server, real node processes; one node reaches Redis through a proxy the test cuts,
// as a network partition cuts one host off. Nothing here asserts a duration.
const { redis: server, nodes } = useCluster();
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.close();
});

interface Report {
  changes: string[];
  sent: number;
}

/** 9 calls of the cluster decide; an open period long enough that a node cut off and back finds it open. */
const BREAKER = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 3000 };

async function startCluster(namespace: string): Promise<{ near: ClusterNode[]; far: ClusterNode; proxy: TcpProxy }> {
  const proxy = await TcpProxy.start(server().port);
  proxies.push(proxy);
  const start = (i: number, redis: string) =>
    ClusterNode.start({
      breaker: BREAKER,
      cluster: { redis, namespace, syncIntervalMs: 50, nodeId: `node-${i}` },
    });
  const started = await Promise.all([start(0, server().url), start(1, server().url), start(2, proxy.url)]);
  nodes.push(...started);
  await Promise.all(started.map((node) => node.send('ready')));
  return { near: started.slice(0, 2), far: started[2], proxy };
}

describe('a cluster with one node cut off from Redis', () => {
  it('the cut-off node decides alone; once back, it takes the decision the others made meanwhile, and the probe that closes it', async () => {
    const { near, far, proxy } = await startCluster('partition1');
    proxy.partition();
    expect(await far.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
    // The dependency fails for the nodes that still reach Redis: the cluster opens them.
    for (const node of near) await node.send('fail', { n: 5 });
    for (const node of near) expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    // The cut-off node never heard it: its own calls still go through, closed.
    expect(await far.send('succeed', { n: 3 })).toEqual({ state: 'closed' });
    proxy.heal();
    expect(await far.send('waitEvent', { type: 'restored' })).toMatchObject({ reached: true });
    expect(await far.send('waitState', { state: 'open' })).toMatchObject({ reached: true, state: 'open' });
    expect(await far.send('report')).toMatchObject({ changes: ['open:cluster'], sent: 3 });
    // The dependency is back: one probe of the cluster closes every node, the far one too.
    const closed = await Promise.all([...near, far].map((node) => node.send('callUntilClosed')));
    expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }, { state: 'closed' }]);
    const changes = await Promise.all([...near, far].map(async (node) => (await node.send<Report>('report')).changes));
    expect(changes.flat().filter((change) => change === 'closed:probe-success')).toHaveLength(1);
    expect(changes.flat().filter((change) => change === 'closed:cluster')).toHaveLength(2);
  });

  it('a node cut off past its lease while the cluster holds it open takes the close a probe made meanwhile, once back', async () => {
    const { near, far, proxy } = await startCluster('partition3');
    for (const node of near) await node.send('fail', { n: 5 });
    for (const node of [...near, far])
      expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    proxy.partition();
    expect(await far.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
    // Lost past a lease, the cluster's hold is released: the far node keeps the deadline, then decides alone.
    expect(await far.send('waitReleased')).toMatchObject({ reached: true });
    const closed = await Promise.all(near.map((node) => node.send('callUntilClosed')));
    expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }]);
    proxy.heal();
    // No call reaches the far node: before, it stayed open until one did and probed on its own.
    expect(await far.send('waitState', { state: 'closed' })).toMatchObject({ reached: true });
    expect(await far.send('report')).toMatchObject({ changes: ['open:cluster', 'closed:cluster'], sent: 0 });
  });

  it('a node cut off while its probe is out: the lease passes to a node with calls waiting, whose probe closes the cluster', async () => {
    const { near, far, proxy } = await startCluster('partition2');
    for (const node of [...near, far]) await node.send('fail', { n: 3 });
    for (const node of [...near, far])
      expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    // Once the open period ends, the far node's calls wait: it takes the lease and probes, slowly.
    expect(await far.send('startSlowCall', { ms: 500 })).toMatchObject({ admitted: true, state: 'half-open' });
    proxy.partition(); // its verdict cannot reach Redis
    expect(await far.send('waitState', { state: 'closed' })).toMatchObject({ reached: true }); // its own probe closed it
    // The others are held open until the lease runs out, then one of them probes for the cluster.
    const closed = await Promise.all(near.map((node) => node.send('callUntilClosed')));
    expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }]);
    const changes = await Promise.all(near.map(async (node) => (await node.send<Report>('report')).changes.at(-1)));
    expect(changes.sort()).toEqual(['closed:cluster', 'closed:probe-success']);
    proxy.heal();
    expect(await far.send('waitEvent', { type: 'restored' })).toMatchObject({ reached: true });
    expect(await far.send('succeed', { n: 3 })).toEqual({ state: 'closed' });
    const farReport = await far.send<Report>('report');
    expect(farReport.changes).toEqual(['open:cluster', 'half-open:recovery-timeout', 'closed:probe-success']);
  });
});
