import { describe, expect, it } from 'vitest';
import { ClusterNode } from './cluster-node';
import { useCluster } from './harness';

// Real redis-server, real node processes, two of them under libfaketime: hosts whose wall and
// monotonic clocks are days and hours apart (a host's monotonic clock counts from its own boot).
// The cluster's deadlines are Redis's clock and periods travel as durations, so they must agree.
const { redis, nodes } = useCluster();

interface Ready {
  state: string;
  retryAfterMs: number;
}

/** 9 calls of the cluster decide; an open period long enough to read every node's deadline in it. */
const BREAKER = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 4000 };
/** How long a node holds a cluster's open breaker past the cluster's deadline: two probe leases of 2 s (connection.ts). */
const HOLD_MS = 2 * 2000;

/** Whether a process with this pid still runs. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a cluster of hosts whose clocks differ', () => {
  it('leaves no node running once killed, under faketime too', async () => {
    const node = await ClusterNode.start({
      breaker: BREAKER,
      cluster: { redis: redis().url, namespace: 'gone', syncIntervalMs: 50, nodeId: 'ahead' },
      clockOffset: '+3d',
    });
    nodes.push(node);
    await node.send('ready');
    const { pid } = await node.send<{ pid: number }>('pid');
    expect(pid).not.toBe(node.pid); // faketime forks the node
    node.kill();
    // A killed process lingers until its parent reaps it: wait for it, a bounded number of times.
    for (let i = 0; i < 500 && running(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(running(pid)).toBe(false);
  });

  it("holds every node open for the cluster's period, and closes every node on one probe", async () => {
    const start = (nodeId: string, clockOffset?: string) =>
      ClusterNode.start({
        breaker: BREAKER,
        cluster: { redis: redis().url, namespace: 'skew', syncIntervalMs: 50, nodeId },
        clockOffset,
      });
    const started = await Promise.all([start('on-time'), start('days-ahead', '+3d'), start('hours-behind', '-2h')]);
    nodes.push(...started);
    await Promise.all(started.map((node) => node.send('ready')));
    const offsetHours = async (node: ClusterNode) =>
      ((await node.send<{ now: number }>('wallClock')).now - Date.now()) / 3_600_000;
    expect(Math.round(await offsetHours(started[1]))).toBe(72);
    expect(Math.round(await offsetHours(started[2]))).toBe(-2);
    for (const node of started) await node.send('fail', { n: 3 });
    for (const node of started)
      expect(await node.send('waitState', { state: 'open' })).toMatchObject({ reached: true });
    // Each node holds the cluster's open period, a little past it: never days, never already over.
    const periods = await Promise.all(started.map((node) => node.send<Ready>('ready')));
    for (const { state, retryAfterMs } of periods) {
      expect(state).toBe('open');
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(BREAKER.recoveryTimeout + HOLD_MS);
    }
    // The node ahead probes once the cluster's period is over; its verdict closes the others.
    expect(await started[1].send('callUntilClosed')).toEqual({ state: 'closed' });
    for (const node of [started[0], started[2]])
      expect(await node.send('waitState', { state: 'closed' })).toMatchObject({ reached: true });
    const changes = await Promise.all(
      started.map(async (node) => (await node.send<{ changes: string[] }>('report')).changes),
    );
    expect(changes).toEqual([
      ['open:cluster', 'closed:cluster'],
      ['open:cluster', 'half-open:recovery-timeout', 'closed:probe-success'],
      ['open:cluster', 'closed:cluster'],
    ]);
  });
});
