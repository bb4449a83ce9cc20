import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/index';
import { arenaFolder, ENTRY, runNode } from './processes';

/** Every deadline zero: the open period ends at once, and nothing but an answer ends a probe. */
const OPTIONS = { failureThreshold: 1, recoveryTimeout: 0, timeout: 0, halfOpenTimeout: 0 };

describe('a process that ends while it holds a host breaker half-open probe', () => {
  it.each(['process.exit()', 'its event loop emptying'])(
    'gives the probe back as it ends (%s): another process probes at once, with neither timeout nor halfOpenTimeout',
    async (end) => {
      const directory = arenaFolder();
      const registry = new Registry({ host: { name: 'probes', directory } });
      const orders = registry.getOrCreate('endpoint', 'orders', OPTIONS);
      expect(() =>
        orders.executeSync(() => {
          throw new Error('down');
        }),
      ).toThrow('down');
      const printed = runNode(
        `
        const { Registry } = require(${JSON.stringify(ENTRY)});
        const [directory, options, end] = process.argv.slice(-3);
        const registry = new Registry({ host: { name: 'probes', directory } });
        const orders = registry.getOrCreate('endpoint', 'orders', JSON.parse(options));
        void orders.execute(() => new Promise(() => {})).catch(() => {}); // never answers
        console.log(orders.getState());
        if (end === 'process.exit()') process.exit(0);
        `,
        [directory, JSON.stringify(OPTIONS), end],
      );
      expect(printed.trim()).toBe('half-open');
      // Before, the round waited for the ended process's call for good: every call was refused.
      expect(orders.attempt(() => 1).ok).toBe(true);
      expect(orders.getState()).toBe('closed');
      await registry.shutdown();
    },
  );
});
