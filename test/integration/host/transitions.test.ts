import { describe, expect, it } from 'vitest';
import { Registry, type StateChange } from '../../../src';
import type { BreakerEvent } from '../../../src/registry/event';
import { arenaFolder, ENTRY, runNode } from './processes';

describe("a host breaker's transitions", () => {
  it('reach every process that holds it: its listeners and its event history, marked as made elsewhere', async () => {
    const dir = arenaFolder();
    const registry = new Registry({ host: { name: 'events', directory: dir }, summaryEveryMs: 0 });
    const breaker = registry.getOrCreate('endpoint', 'search', { failureThreshold: 3, recoveryTimeout: 600_000 });
    const heard: StateChange[] = [];
    breaker.on('open', (change) => heard.push(change));
    const recorded: BreakerEvent[] = [];
    registry.onEvent((event) => {
      if (event.event_type === 'transition') recorded.push(event);
    });

    // Another process of the host trips it; this one makes no call.
    const tripped = runNode(
      `
        const { Registry } = require(${JSON.stringify(ENTRY)});
        const registry = new Registry({ host: { name: 'events', directory: process.argv.at(-1) } });
        const breaker = registry.getOrCreate('endpoint', 'search', { failureThreshold: 3, recoveryTimeout: 600000 });
        for (let i = 0; i < 3; i++) { try { breaker.executeSync(() => { throw new Error('down'); }); } catch {} }
        console.log(JSON.stringify(breaker.getMetrics().stateChanges.at(-1)));
      `,
      [dir],
    );
    const made = JSON.parse(tripped.trim()) as StateChange;
    expect(made).toMatchObject({ from: 'closed', to: 'open', reason: 'consecutive-failures' });

    await registry.tick(); // this registry's next tick
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ ...made, at: expect.any(Number), madeElsewhere: true });
    // The same moment: both processes read the host's monotonic clock (a few ms apart in wall time).
    expect(Math.abs(heard[0].at - made.at)).toBeLessThan(1_000);
    expect(recorded.map((event) => event.detail)).toEqual([
      { from: 'closed', to: 'open', reason: 'consecutive-failures', generation: made.generation, madeElsewhere: true },
    ]);
    await registry.tick();
    expect(heard).toHaveLength(1); // once
    await registry.shutdown();
  });
});
