import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ClusterNode, type NodeOptions } from './cluster-node';
import { useCluster } from './harness';

// Real redis-server, real node processes. Nothing here asserts a duration: the nodes wait for
// states and events with guards, and the assertions are about who sent what and what they saw.
const { redis: server, nodes } = useCluster();
let namespaces = 0;

interface Report {
  state: string;
  opens: number;
  changes: string[];
  events: string[];
  warnings: string[];
  sent: number;
  status: { connected: boolean; syncs: number; roundTrips: number };
}

async function startNodes(
  count: number,
  breaker: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  node: Partial<NodeOptions> = {},
) {
  const namespace = `test${++namespaces}`;
  const options = (i: number): NodeOptions => ({
    ...node,
    breaker,
    cluster: { redis: server().url, namespace, syncIntervalMs: 50, nodeId: `node-${i}`, ...cluster },
  });
  const started = await Promise.all(Array.from({ length: count }, (_, i) => ClusterNode.start(options(i))));
  nodes.push(...started);
  await Promise.all(started.map((node) => node.send('ready')));
  return {
    started,
    namespace,
    join: async () => {
      const node = await ClusterNode.start(options(count));
      nodes.push(node);
      return node;
    },
  };
}

/** minimumCalls is what holds a lone breaker back: 3 failures a node, 9 needed. */
const FEW_CALLS = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 1500 };

describe('a cluster through Redis, mode aggregate', () => {
  it('opens every node when the windows of all nodes cross the thresholds together, with reason cluster', async () => {
    const { started } = await startNodes(3, FEW_CALLS);
    for (const node of started) expect(await node.send('fail', { n: 3 })).toEqual({ state: 'closed' });
    const reached = await Promise.all(
      started.map((node) => node.send<{ reached: boolean }>('waitState', { state: 'open' })),
    );
    expect(reached.map((r) => r.reached)).toEqual([true, true, true]);
    const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
    for (const report of reports) expect(report.changes).toEqual(['open:cluster']);
    expect(reports.reduce((sum, report) => sum + report.sent, 0)).toBe(9);
  });

  it('lets one node probe per half-open round, and its verdict closes every node', async () => {
    const { started } = await startNodes(3, { ...FEW_CALLS, halfOpenMaxCalls: 1 });
    for (const node of started) await node.send('fail', { n: 3 });
    await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    const before = await Promise.all(started.map((node) => node.send<Report>('report')));
    // Every node keeps calling the (now healthy) dependency until its breaker closes.
    await Promise.all(started.map((node) => node.send('callUntilClosed')));
    const after = await Promise.all(started.map((node) => node.send<Report>('report')));
    const probes = after.reduce((sum, report, i) => sum + report.sent - before[i].sent, 0);
    expect(probes).toBe(1);
    const closings = after.map((report) => report.changes.at(-1));
    expect(closings.filter((change) => change === 'closed:probe-success')).toHaveLength(1);
    expect(closings.filter((change) => change === 'closed:cluster')).toHaveLength(2);
    // One open each: the lease that moved the prober's deadline to now, and the holds that moved the
    // others' past the cluster's, are no 'open' again (before: the prober heard 'open' twice and
    // counted two opens).
    for (const report of after) {
      expect(report.changes.filter((change) => change.startsWith('open'))).toEqual(['open:cluster']);
      expect(report.opens).toBe(1);
    }
    expect(after.map((report) => report.changes.length).sort()).toEqual([2, 2, 3]);
  });

  it('sends one probe per round to a dependency that stays down, whichever node probed last', async () => {
    const { started } = await startNodes(3, { ...FEW_CALLS, recoveryTimeout: 150, halfOpenMaxCalls: 1 });
    for (const node of started) await node.send('fail', { n: 3 });
    await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    const calls = await Promise.all(
      started.map((node) => node.send<{ reached: number }>('callFor', { ms: 2500, rate: 50 })),
    );
    const reached = calls.reduce((sum, call) => sum + call.reached, 0);
    const { reopens } = await started[0].send<{ reopens: number }>('reopens');
    expect(reopens).toBeGreaterThanOrEqual(2);
    // Each reopening followed one probe; a round may be probing when the calls stop.
    expect(reached).toBeLessThanOrEqual(reopens + 1);
  });

  it('holds the other nodes open while one node has the probe lease, without a transition each sync', async () => {
    const { started } = await startNodes(3, { ...FEW_CALLS, recoveryTimeout: 200 });
    for (const node of started) await node.send('fail', { n: 3 });
    await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    // No calls: the period ends, one node takes the lease and nobody probes for a while.
    await started[0].send('pause', { ms: 1500 });
    const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
    // The lease holder may read half-open (its period is over); the others stay open, moved once.
    const holding = reports.filter((report) => report.state === 'open' && report.changes.join() === 'open:cluster');
    expect(holding.length).toBeGreaterThanOrEqual(2);
  });

  it('starts a node that joins while the cluster holds a breaker open as open, with the remaining deadline', async () => {
    const { started, join } = await startNodes(2, { ...FEW_CALLS, minimumCalls: 4, recoveryTimeout: 60_000 });
    for (const node of started) await node.send('fail', { n: 2 });
    await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    const joined = await join();
    const ready = await joined.send<{ state: string; retryAfterMs: number }>('ready');
    expect(ready.state).toBe('open');
    expect(ready.retryAfterMs).toBeGreaterThan(50_000);
  });

  it('trips a node alone on its own window, without opening the others', async () => {
    const { started } = await startNodes(2, { minimumCalls: 4, failureRateThreshold: 50, failureThreshold: 0 });
    await started[1].send('succeed', { n: 20 });
    await started[1].send('syncs', { n: 2 }); // the cluster's window holds its successes first
    expect(await started[0].send('fail', { n: 4 })).toEqual({ state: 'open' });
    await started[1].send('syncs', { n: 4 });
    expect((await started[1].send<Report>('report')).state).toBe('closed');
  });
});

describe('a cluster through Redis, mode quorum', () => {
  it('opens the cluster once `quorum` nodes tripped locally', async () => {
    const { started } = await startNodes(3, { failureThreshold: 3, minimumCalls: 100 }, { mode: 'quorum', quorum: 2 });
    expect(await started[0].send('fail', { n: 3 })).toEqual({ state: 'open' });
    await started[2].send('syncs', { n: 4 });
    expect((await started[2].send<Report>('report')).state).toBe('closed');
    expect(await started[1].send('fail', { n: 3 })).toEqual({ state: 'open' });
    expect(await started[2].send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    expect((await started[2].send<Report>('report')).changes).toEqual(['open:cluster']);
  });
});

describe('a cluster when Redis is lost', () => {
  // A client of the caller's with ioredis's defaults has no command timeout and an offline queue:
  // before, a sync waited on it for ever (no 'lost', and no sync after it).
  it.each([
    { connection: 'a URL', node: {} },
    { connection: "the caller's client with ioredis's defaults", node: { ownClient: true } },
  ])(
    'decides locally while Redis hangs (SIGSTOP), and syncs again when it answers, given $connection',
    async ({ node }) => {
      const { started } = await startNodes(2, { failureThreshold: 3 }, {}, node);
      server().pause();
      try {
        expect(await started[0].send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
        // Calls never wait on Redis: a local trip happens as without a cluster.
        expect(await started[0].send('fail', { n: 3 })).toEqual({ state: 'open' });
      } finally {
        server().resume();
      }
      expect(await started[0].send('waitEvent', { type: 'restored' })).toMatchObject({ reached: true });
      expect((await started[0].send<Report>('report')).status.connected).toBe(true);
    },
  );

  it('keeps the others held through a Redis blip shorter than a lease, while one node probes', async () => {
    const { started } = await startNodes(3, { ...FEW_CALLS, recoveryTimeout: 500, halfOpenMaxCalls: 1 });
    for (const node of started) await node.send('fail', { n: 3 });
    for (const node of started)
      expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    // The period ends; the first node's calls wait, so it takes the lease and probes, slowly.
    expect(await started[0].send('startSlowCall', { ms: 3000 })).toMatchObject({ admitted: true });
    server().pause(); // Redis hangs for about a second: every sync fails, 'lost' on every node
    let reached: { reached: number }[];
    try {
      // Meanwhile the others' calls keep coming, to a dependency still down.
      reached = await Promise.all(
        started.slice(1).map((node) => node.send<{ reached: number }>('callFor', { ms: 1000, rate: 50 })),
      );
    } finally {
      server().resume();
    }
    // Held for the prober, they sent none: before, the first failed sync released every hold, and
    // each node, its cluster period over, probed the dependency itself.
    expect(reached).toEqual([{ reached: 0 }, { reached: 0 }]);
    for (const node of started.slice(1)) expect((await node.send<Report>('report')).events).toContain('lost');
  });

  it('falls back when Redis is killed, and resyncs once it is back', async () => {
    const { started } = await startNodes(2, FEW_CALLS);
    await server().kill();
    expect(await started[1].send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
    expect(await started[1].send('succeed', { n: 5 })).toEqual({ state: 'closed' });
    await server().restart();
    expect(await started[1].send('waitEvent', { type: 'restored' })).toMatchObject({ reached: true });
    // The cluster works again: the nodes' failures open it.
    for (const node of started) await node.send('fail', { n: 9 });
    expect(await started[1].send('waitState', { state: 'open' })).toMatchObject({ reached: true });
  });

  it('opens the cluster again after Redis restarts empty: its decisions count on, not from 0', async () => {
    const { started } = await startNodes(3, FEW_CALLS);
    // One outage and its recovery: every node has seen two decisions of the cluster.
    for (const node of started) await node.send('fail', { n: 3 });
    await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    await Promise.all(started.map((node) => node.send('callUntilClosed')));
    await server().kill();
    await server().restart(); // without persistence: Redis forgot the breaker
    await Promise.all(started.map((node) => node.send('waitEvent', { type: 'restored' })));
    // Before, the new decision restarted at epoch 1, which every node took for an old one.
    for (const node of started) await node.send('fail', { n: 3 });
    const reached = await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    expect(reached).toEqual(started.map(() => ({ reached: true, state: 'open' })));
  });

  it('carries on when a node is killed mid-sync', async () => {
    const { started } = await startNodes(3, FEW_CALLS, { syncIntervalMs: 10 });
    started[0].kill();
    for (const node of started.slice(1)) await node.send('fail', { n: 5 });
    expect(await started[2].send('waitState', { state: 'open' })).toMatchObject({ reached: true });
  });
});

describe('a cluster given what its scripts never send', () => {
  it('ignores stray messages on its channel, and still follows the next decision', async () => {
    const { started, namespace } = await startNodes(2, FEW_CALLS);
    const key = 'endpoint\u0000db';
    const strays = [
      { key, state: 'open', remainingMs: 1e12, epoch: 1 }, // before: a RangeError from the client's message handler ended the process
      { key, state: 'open', remainingMs: 1000, epoch: 1e300 }, // before: no later decision could pass this epoch
      { key, state: 'open', remainingMs: 'soon', epoch: 2 },
      { key: 'x', state: 'open', remainingMs: 1000, epoch: 3 },
    ].map((stray) => JSON.stringify(stray));
    const publisher = new Redis(server().url);
    try {
      for (const text of [...strays, 'not JSON', 'null']) await publisher.publish(`${namespace}:transitions`, text);
    } finally {
      await publisher.quit();
    }
    for (const node of started) expect(await node.send('syncs', { n: 2 })).toEqual({ reached: true });
    for (const node of started) expect((await node.send<Report>('report')).state).toBe('closed');
    for (const node of started) await node.send('fail', { n: 5 });
    const reached = await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    expect(reached).toEqual(started.map(() => ({ reached: true, state: 'open' })));
  });

  it('holds a breaker open for the cluster whatever its recoveryTimeout, up to the longest period', async () => {
    // Before, the hold past the cluster's deadline went over the longest period the core takes: the
    // node whose sync opened it failed every sync, and the others died on the message.
    const { started } = await startNodes(2, { ...FEW_CALLS, recoveryTimeout: 2 ** 30 - 1 });
    for (const node of started) await node.send('fail', { n: 5 });
    const reached = await Promise.all(started.map((node) => node.send('waitState', { state: 'open' })));
    expect(reached).toEqual(started.map(() => ({ reached: true, state: 'open' })));
    for (const node of started) {
      // Before, the node whose sync opened it also failed each sync after (BREAKWATER_TASK_ERROR).
      const { changes, warnings } = await node.send<Report>('report');
      expect({ changes, warnings }).toEqual({ changes: ['open:cluster'], warnings: [] });
    }
  });
});

describe('a cluster whose nodes give a breaker different options', () => {
  /** Two rounds of calls: by the second push, every node's window is in Redis beside the others'. */
  async function callAndSync(everyone: ClusterNode[]): Promise<string[][]> {
    for (let round = 0; round < 2; round++) {
      for (const node of everyone) await node.send('succeed', { n: 1 });
      for (const node of everyone) expect(await node.send('syncs', { n: 2 })).toEqual({ reached: true });
    }
    return Promise.all(everyone.map(async (node) => (await node.send<Report>('report')).warnings));
  }

  it('warns once on each node that meets another judging by other options, and not between alike nodes', async () => {
    const { started, namespace } = await startNodes(2, FEW_CALLS);
    expect(await callAndSync(started)).toEqual([[], []]);
    const other = await ClusterNode.start({
      breaker: { ...FEW_CALLS, minimumCalls: 20 },
      cluster: { redis: server().url, namespace, syncIntervalMs: 50, nodeId: 'node-other' },
    });
    nodes.push(other);
    await other.send('ready');
    const warning = ['BREAKWATER_CLUSTER_OPTIONS'];
    expect(await callAndSync([...started, other])).toEqual([warning, warning, warning]);
  });
});
