import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/index';
import { arenaFolder, ENTRY, runNode, startNode } from './processes';

/** Every deadline zero: the open period ends at once, and nothing but an answer ends a probe. */
const OPTIONS = { failureThreshold: 1, recoveryTimeout: 0, timeout: 0, halfOpenTimeout: 0 };

/** A host breaker `orders` with OPTIONS, tripped: the next call probes. */
function trippedHostBreaker(directory: string) {
  const registry = new Registry({ host: { name: 'probes', directory } });
  const orders = registry.getOrCreate('endpoint', 'orders', OPTIONS);
  expect(() =>
    orders.executeSync(() => {
      throw new Error('down');
    }),
  ).toThrow('down');
  return { registry, orders };
}

/** A script that takes the probe of `orders` with a call that never answers and prints the state; argv: directory, options, then its own. */
const TAKE_PROBE = `
  const { Registry } = require(${JSON.stringify(ENTRY)});
  const [directory, options, end] = process.argv.slice(-3);
  const registry = new Registry({ host: { name: 'probes', directory } });
  const orders = registry.getOrCreate('endpoint', 'orders', JSON.parse(options));
  void orders.execute(() => new Promise(() => {})).catch(() => {}); // never answers
  console.log(orders.getState());
`;

describe('a process that ends while it holds a host breaker half-open probe', () => {
  it.each(['process.exit()', 'its event loop emptying'])(
    'gives the probe back as it ends (%s): another process probes at once, with neither timeout nor halfOpenTimeout',
    async (end) => {
      const directory = arenaFolder();
      const { registry, orders } = trippedHostBreaker(directory);
      const printed = runNode(`${TAKE_PROBE}; if (end === 'process.exit()') process.exit(0);`, [
        directory,
        JSON.stringify(OPTIONS),
        end,
      ]);
      expect(printed.trim()).toBe('half-open');
      // Before, the round waited for the ended process's call for good: every call was refused.
      expect(orders.attempt(() => 1).ok).toBe(true);
      expect(orders.getState()).toBe('closed');
      await registry.shutdown();
    },
  );

  it('is killed: while it runs its probe stays out; once it is gone the next call in another process probes', async () => {
    const directory = arenaFolder();
    const { registry, orders } = trippedHostBreaker(directory);
    const holder = startNode(`${TAKE_PROBE}; setInterval(() => {}, 1000);`, [directory, JSON.stringify(OPTIONS), '']);
    await holder.printed;
    expect(orders.attempt(() => 1).ok).toBe(false); // a live holder's call may yet answer
    expect(orders.getState()).toBe('half-open');
    holder.kill(); // SIGKILL: no teardown, no 'exit'
    await expect(holder.done).rejects.toThrow(/SIGKILL/);
    // Before, the round waited for the killed process's call for good: every call was refused.
    // A process asks after another at most once a millisecond, so a call within the millisecond
    // of the last question is still refused: the calls go on, a turn of the event loop apart.
    let refused = 0;
    while (!orders.attempt(() => 1).ok && refused < 100_000) {
      refused++;
      await new Promise((next) => setImmediate(next));
    }
    expect(orders.getState()).toBe('closed');
    expect(orders.getMetrics().ignored).toBe(1); // the probe that never answered
    await registry.shutdown();
  });
});
