import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src';
import { arenaFolder, ENTRY, runNode, startNode } from './processes';

const ASKED = { minimumCalls: 10, failureRateThreshold: 50, failureThreshold: 0 };

/** A child with endpoint "payments" of host arena "shared" in `dir` (argv), asking for ASKED. */
function childScript(body: string): string {
  return `
    const { Registry } = require(${JSON.stringify(ENTRY)});
    const warnings = [];
    process.on('warning', (warning) => warnings.push(warning.message));
    const registry = new Registry({ host: { name: 'shared', directory: process.argv.at(-1) } });
    const breaker = registry.getOrCreate('endpoint', 'payments', ${JSON.stringify(ASKED)});
    (async () => { ${body} })().catch((error) => { console.error(error); process.exit(1); });
  `;
}

describe('a host breaker reconfigured in one process', () => {
  it('is followed by the processes that hold it, fast paths included, and met by those that name it later', async () => {
    const dir = arenaFolder();
    const registry = new Registry({ host: { name: 'shared', directory: dir } });
    const breaker = registry.getOrCreate('endpoint', 'payments', ASKED);
    // Attached before the change: its registry's tick must bring its view up to the shared slot.
    const holder = startNode(
      childScript(`
        console.log('attached');
        // Waits for its tick (a guard of 500 polls keeps a regression from hanging the run).
        for (let polls = 0; breaker.options.slowCallDuration !== 1 && polls < 500; polls++) await new Promise((resolve) => setTimeout(resolve, 20));
        // Its fast path skipped timing calls while no slow-call rule was on; now they are timed.
        breaker.executeSync(() => { const start = Date.now(); while (Date.now() - start < 3); });
        const { failureRateThreshold, slowCallRateThreshold } = breaker.options;
        console.log(JSON.stringify({ failureRateThreshold, slowCallRateThreshold, slowCalls: breaker.getMetrics().slowCalls, tuning: registry.recent().filter((event) => event.event_type === 'tuning').map((event) => event.detail.source) }));
        await registry.shutdown();
      `),
      [dir],
    );
    await holder.printed;
    // 29: a rate whose record (0.29) times 100 is 28.999999999999996; the options must say 29.
    breaker.reconfigure({ failureRateThreshold: 29, slowCallDuration: 1, slowCallRateThreshold: 100 });
    const [attached, followed] = (await holder.done).trim().split('\n');
    expect(attached).toBe('attached');
    expect(JSON.parse(followed)).toEqual({
      failureRateThreshold: 29,
      slowCallRateThreshold: 100,
      slowCalls: 1,
      tuning: ['host'],
    });

    // Named after the change: it gets the rules in force, and a warning naming what it asked differently.
    const joiner = runNode(
      childScript(`
        for (let i = 0; i < 10; i++) { try { breaker.executeSync(() => { if (i >= 6) throw new Error('down'); }); } catch {} }
        await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on the next tick
        console.log(JSON.stringify({ failureRateThreshold: breaker.options.failureRateThreshold, state: breaker.getState(), warnings }));
      `),
      [dir],
    );
    const joined = JSON.parse(joiner.trim());
    // 4 failures in 10 calls: 40%, which trips the breaker at 29% (not at the 50% asked).
    expect(joined.failureRateThreshold).toBe(29);
    expect(joined.state).toBe('open');
    expect(joined.warnings).toHaveLength(1);
    expect(joined.warnings[0]).toContain('failureRateThreshold 29 (asked 50)');
    await registry.shutdown();
  });
});
