import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { builtEntry, loadBuilt } from './built-package';

const worker = resolve(__dirname, '../fixtures/probing-worker.mjs');

/** A breaker of `core` tripped on a manual clock, its open period over: the next call probes. */
function trippedBreaker(core: 'native' | 'reference', options: { timeout: number; halfOpenTimeout: number }) {
  const { CircuitBreaker, ManualClock } = loadBuilt(core);
  const clock = new ManualClock(0);
  const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1000, ...options });
  expect(() =>
    breaker.executeSync(() => {
      throw new Error('down');
    }),
  ).toThrow('down');
  clock.advance(1000);
  return { breaker, clock };
}

/** Starts a worker that takes the breaker's probe with a call that never settles; resolves once it has. */
async function probingWorker(handle: unknown, end: 'blocked' | 'exit') {
  const probing = new Worker(worker, { workerData: { entry: builtEntry, handle, end }, env: { ...process.env } });
  const exited = new Promise((done) => probing.once('exit', done));
  expect(await new Promise((done) => probing.once('message', done))).toBe('half-open');
  return { probing, exited };
}

describe('a worker that ends while it holds the half-open probe', () => {
  it.each(['blocked', 'exit'] as const)(
    'gives the probe back as it ends (%s): the next call probes at once, with neither timeout nor halfOpenTimeout (native core)',
    async (end) => {
      const { breaker } = trippedBreaker('native', { timeout: 0, halfOpenTimeout: 0 });
      const { probing, exited } = await probingWorker(breaker.handle, end);
      if (end === 'blocked') await probing.terminate();
      await exited;
      // Before, the round waited for the dead call for good: every call was refused.
      expect(breaker.getState()).toBe('half-open');
      expect(breaker.attempt(() => 1).ok).toBe(true);
      expect(breaker.getState()).toBe('closed');
      expect(breaker.getMetrics().ignored).toBe(1); // the probe that never answered
    },
  );

  it('leaves the round to end at the call timeout on the reference core, which cannot see a thread end', async () => {
    const { breaker, clock } = trippedBreaker('reference', { timeout: 500, halfOpenTimeout: 0 });
    const { probing } = await probingWorker(breaker.handle, 'blocked');
    await probing.terminate();
    expect(breaker.attempt(() => 1).ok).toBe(false); // its probe is out
    clock.advance(500);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('open');
    clock.advance(1000);
    expect(breaker.attempt(() => 1).ok).toBe(true);
    expect(breaker.getState()).toBe('closed');
  });
});
