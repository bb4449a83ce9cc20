import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './redis-server';
import { useRedisCluster } from './harness';
import { SPREAD_NAMES, breakerSlot } from './redis-cluster';

// A real Redis Cluster of three masters, one of which hangs (SIGSTOP) for the rest of the test, as
// a master does before the cluster fails it over (cluster-node-timeout, 15 s here and by default).
// Nothing here asserts a duration.
const { cluster: redisCluster, startNodes } = useRedisCluster({ each: true });

interface Report {
  changes: string[];
  events: string[];
  reasons: string[];
  status: { connected: boolean; lostBreakers: number; lastError?: string };
}

describe('a cluster through Redis Cluster when one master hangs', () => {
  it('keeps the breakers of the other masters coordinated: one probe closes every node', async () => {
    const breaker = { minimumCalls: 9, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 1500 };
    const started = await startNodes('master-down', breaker);
    const home = redisCluster().masterOf(breakerSlot('db'));
    const elsewhere = SPREAD_NAMES.find((name) => redisCluster().masterOf(breakerSlot(name)) !== home)!;
    const names = ['db', elsewhere];
    for (const node of started) await node.send('failEach', { names, n: 3 });
    const reached = await Promise.all(started.map((node) => node.send<{ reached: boolean }>('waitAllOpen', { names })));
    expect(reached.map((r) => r.reached)).toEqual([true, true, true]);

    const hung = redisCluster().masterOf(breakerSlot(elsewhere));
    hung.pause();
    try {
      for (const node of started)
        expect(await node.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
      // Longer than a probe lease (2 s) of failed syncs: before, the whole connection counted as
      // lost and released every hold then, "db"'s too, and each node probed on its own.
      await started[0].send('pause', { ms: 2500 });
      const closed = await Promise.all(started.map((node) => node.send('callUntilClosed')));
      expect(closed).toEqual([{ state: 'closed' }, { state: 'closed' }, { state: 'closed' }]);
      const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
      expect(reports.map(({ changes }) => changes.at(-1)).sort()).toEqual([
        'closed:cluster',
        'closed:cluster',
        'closed:probe-success',
      ]);
      for (const { status, events } of reports) {
        // The hung master's breaker decides locally, and the reason of its failed syncs names the
        // master. (The first 'lost' may come before it: a loaded machine has seen the whole client
        // not ready for a moment, "Cluster isn't ready...", and 'lost' is announced once.)
        expect(status.connected).toBe(false);
        expect(status.lostBreakers).toBe(1);
        expect(events).toContain('lost');
        expect(status.lastError).toContain(`Redis node 127.0.0.1:${hung.port}:`);
      }
    } finally {
      hung.resume();
    }
  });

  it('sends the other masters only the windows that changed while it hangs', async () => {
    // A count window: a window that ages would change with time, and be sent for that.
    const breaker = { minimumCalls: 9, failureRateThreshold: 50, slidingWindowType: 'count', slidingWindowSize: 100 };
    const started = await startNodes('master-down-idle', breaker);
    for (const node of started) await node.send('failEach', { names: SPREAD_NAMES, n: 1 }); // each window pushed once
    await started[0].send('pause', { ms: 600 });
    const hung = redisCluster().masterOf(breakerSlot(SPREAD_NAMES[0]));
    const answering = SPREAD_NAMES.map((name) => redisCluster().masterOf(breakerSlot(name))).find((m) => m !== hung)!;
    const scriptCalls = (): number => {
      const stats = spawnSync(CLI, ['-p', String(answering.port), 'info', 'commandstats'], { encoding: 'utf8' }).stdout;
      return [...stats.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)].reduce(
        (sum, [, calls]) => sum + Number(calls),
        0,
      );
    };
    hung.pause();
    try {
      for (const node of started)
        expect(await node.send('waitEvent', { type: 'lost' })).toMatchObject({ reached: true });
      const before = scriptCalls();
      await started[0].send('pause', { ms: 1000 }); // about five syncs of every node
      // Before, while any master failed, every node sent every breaker to every master on each sync.
      expect(scriptCalls() - before).toBe(0);
      const reports = await Promise.all(started.map((node) => node.send<Report>('report')));
      for (const { status } of reports) expect(status.connected).toBe(false);
    } finally {
      hung.resume();
    }
  });
});
