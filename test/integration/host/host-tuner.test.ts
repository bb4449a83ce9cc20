import { describe, expect, it } from 'vitest';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { Registry } from '../../../src';
import { arenaFolder, ENTRY, startNode } from './processes';

describe('the adaptive tuner on a host arena', () => {
  it("moves the host's breakers from one process at a time: the lease holder, or the next once it dies", async () => {
    const dir = arenaFolder();
    // Another process of the host holds the arena's lease while it lives.
    const holder = startNode(
      `
        const { Registry } = require(${JSON.stringify(ENTRY)});
        const registry = new Registry({ host: { name: 'tuned', directory: process.argv.at(-1) } });
        console.log(registry.holdsHostControl(600000) ? 'holding' : 'not holding');
        setInterval(() => {}, 1000);
      `,
      [dir],
    );
    await holder.printed;
    const registry = new Registry({ host: { name: 'tuned', directory: dir } });
    // 5 calls a 10 s window: a probe every 10 s would cost far more than probeShare of its traffic.
    const quiet = registry.workerBreaker('quiet', { recoveryTimeout: 10_000, slidingWindowSize: 10_000 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 3, probeShare: 0.02 });
    const round = () => {
      for (let call = 0; call < 5; call++) quiet.executeSync(() => call);
      return tuner.step();
    };
    for (let i = 0; i < 3; i++) expect(round()).toEqual([]); // sampled, not moved: another process holds the lease
    expect(quiet.options.recoveryTimeout).toBe(10_000);
    holder.kill();
    await holder.done.catch(() => {}); // killed: it exits by SIGKILL
    const moved = round();
    expect(moved.map((change) => change.option)).toContain('recoveryTimeout');
    expect(quiet.options.recoveryTimeout).toBeGreaterThan(10_000); // from the history it sampled meanwhile
    tuner.stop();
    await registry.shutdown();
  });
});

describe("the host's control lease", () => {
  it('goes to one registry of a process at a time, and to another once the first stops renewing it', async () => {
    const dir = arenaFolder();
    const [first, second] = [0, 1].map(() => new Registry({ host: { name: 'leased', directory: dir } }));
    // Before, both held it: they share the process's pid, so both synced the host with a cluster.
    expect([first.holdsHostControl(600_000), second.holdsHostControl(600_000)]).toEqual([true, false]);
    expect(first.holdsHostControl(600_000)).toBe(true); // renewed
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(second.holdsHostControl(1)).toBe(true); // the first's heartbeat is older than 1 ms
    expect(first.holdsHostControl(600_000)).toBe(false);
    await Promise.all([first.shutdown(), second.shutdown()]);
  });
});
