import { describe, expect, it } from 'vitest';
import { ClusterNode } from './cluster-node';
import { useCluster } from './harness';

// Real redis-server, real node processes; nothing here asserts a duration.
const { redis, nodes } = useCluster();

interface Report {
  state: string;
  changes: string[];
  sent: number;
}

const BREAKER = {
  minimumCalls: 8,
  failureRateThreshold: 50,
  failureThreshold: 0,
  recoveryTimeout: 300,
  halfOpenMaxCalls: 1,
};

describe("the cluster's probe lease", () => {
  it('goes to a node whose calls are waiting, not to one that gets none', async () => {
    const cluster = { redis: redis().url, namespace: 'probe-lease', syncIntervalMs: 50 };
    const [busy, alsoBusy, drained] = await Promise.all(
      ['busy', 'also-busy', 'drained'].map((nodeId) =>
        ClusterNode.start({ breaker: BREAKER, cluster: { ...cluster, nodeId } }),
      ),
    );
    nodes.push(busy, alsoBusy, drained);
    await Promise.all([busy, alsoBusy, drained].map((node) => node.send('ready')));
    // Below minimumCalls on its own, then the drained node's failures trip the cluster: its sync
    // decides, and its syncs are the first to come after the open period ends. A load balancer
    // then takes it out of rotation: it gets no more calls.
    await busy.send('fail', { n: 4 });
    await busy.send('syncs', { n: 2 });
    await drained.send('fail', { n: 4 });
    // Each node learns it with its next sync or message: a node still closed would call nothing.
    for (const node of [busy, alsoBusy, drained])
      expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });

    // The nodes still in rotation call the (now healthy) dependency until their breakers close.
    const closed = await Promise.all([busy.send('callUntilClosed'), alsoBusy.send('callUntilClosed')]);
    expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }]);
    const reports = await Promise.all([busy, alsoBusy, drained].map((node) => node.send<Report>('report')));
    // One of them probed for the cluster; the drained node sent nothing more, and closed with the cluster.
    expect(reports.map((report) => report.changes.at(-1)).sort()).toEqual([
      'closed:cluster',
      'closed:cluster',
      'closed:probe-success',
    ]);
    expect(reports[2].changes.at(-1)).toBe('closed:cluster');
    expect(reports[2].sent).toBe(4);
  });
});
