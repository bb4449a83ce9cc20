import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { builtEntry, loadBuilt } from './built-package';

const worker = resolve(__dirname, '../fixtures/probing-worker.mjs');

describe('a worker terminated while it holds the half-open probe', () => {
  it.each(['native', 'reference'] as const)(
    'leaves the round to end at the call timeout, and the breaker probes again (%s core)',
    async (core) => {
      const { CircuitBreaker, ManualClock } = loadBuilt(core);
      const clock = new ManualClock(0);
      const breaker = new CircuitBreaker({
        clock,
        failureThreshold: 1,
        recoveryTimeout: 1000,
        timeout: 500,
        halfOpenTimeout: 0, // never: before, nothing but the dead probe's timer ended the round
      });
      expect(() =>
        breaker.executeSync(() => {
          throw new Error('down');
        }),
      ).toThrow('down');
      clock.advance(1000);
      const probing = new Worker(worker, {
        workerData: { entry: builtEntry, handle: breaker.handle },
        env: { ...process.env },
      });
      expect(await new Promise((done) => probing.once('message', done))).toBe('half-open');
      await probing.terminate();
      expect(breaker.attempt(() => 1).ok).toBe(false); // its probe is out
      clock.advance(500);
      expect(breaker.attempt(() => 1).ok).toBe(false);
      expect(breaker.getState()).toBe('open');
      clock.advance(1000);
      expect(breaker.attempt(() => 1).ok).toBe(true);
      expect(breaker.getState()).toBe('closed');
    },
  );
});
