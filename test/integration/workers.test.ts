import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const entry = resolve(__dirname, '../../dist/index.mjs');
const worker = resolve(__dirname, 'fixtures/hammer-worker.mjs');

interface Seen {
  coreKind: string;
  successes: number;
  failures: number;
  rejections: number;
  opens: number;
  transitions: number;
}

async function hammer(core: 'native' | 'reference', threads: number, calls: number) {
  process.env.BREAKWATER_NATIVE = core === 'native' ? '1' : '0';
  const { CircuitBreaker, ManualClock, coreKind } = await import(`${entry}?core=${core}`);
  expect(coreKind).toBe(core);
  // A manual clock that never moves: recoveryTimeout 0 makes every open circuit probe at once.
  const breaker = new CircuitBreaker({ clock: new ManualClock(0), failureThreshold: 3, recoveryTimeout: 0, halfOpenMaxCalls: 4, halfOpenSuccessThreshold: 2 });
  const results = await Promise.all(
    Array.from({ length: threads }, () => new Promise<Seen>((done, failed) => {
      const w = new Worker(worker, { workerData: { entry, handle: breaker.handle, calls }, env: { ...process.env } });
      w.once('message', done);
      w.once('error', failed);
    })),
  );
  const sum = (key: keyof Seen) => results.reduce((total, seen) => total + (seen[key] as number), 0);
  return { metrics: breaker.getMetrics(), results, sum };
}

describe('worker_threads share one breaker', () => {
  it('4 threads x 10^6 calls on the native core: exact totals, one open event per trip', async () => {
    const { metrics, results, sum } = await hammer('native', 4, 1_000_000);
    expect(results.every((r) => r.coreKind === 'native')).toBe(true);
    expect(sum('successes') + sum('failures') + sum('rejections')).toBe(4_000_000);
    expect(metrics.successes).toBe(sum('successes'));
    expect(metrics.failures).toBe(sum('failures'));
    expect(metrics.rejections).toBe(sum('rejections'));
    expect(metrics.totalCalls).toBe(sum('successes') + sum('failures'));
    expect(metrics.opens).toBeGreaterThan(1000); // it really tripped, many times
    expect(sum('opens')).toBe(metrics.opens); // each trip reported by exactly one thread
  });

  it('the reference core shares breakers between threads too', async () => {
    const { metrics, sum } = await hammer('reference', 2, 50_000);
    expect(metrics.successes).toBe(sum('successes'));
    expect(metrics.failures).toBe(sum('failures'));
    expect(metrics.rejections).toBe(sum('rejections'));
    expect(metrics.opens).toBeGreaterThan(10);
    expect(sum('opens')).toBe(metrics.opens);
  });
});
