import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const entry = resolve(__dirname, '../../dist/index.mjs');
const worker = resolve(__dirname, 'fixtures/ending-worker.mjs');
/** Not a multiple of the 256-call sampling period: a count held back in a thread would show. */
const CALLS = 10_007;
const ENDINGS = ['return', 'exit', 'terminate', 'return'] as const;

/** Runs one worker to its end; a worker that reports 'counted' is terminated right away. */
function runWorker(handle: unknown, ending: (typeof ENDINGS)[number]): Promise<number> {
  return new Promise((done, failed) => {
    const w = new Worker(worker, { workerData: { entry, handle, calls: CALLS, ending }, env: { ...process.env } });
    w.once('message', () => void w.terminate());
    w.once('error', failed);
    w.once('exit', done);
  });
}

describe('threads that end right after their calls', () => {
  it.each(['native', 'reference'] as const)('leave every success they counted to the owner (%s core)', async (core) => {
    process.env.BREAKWATER_NATIVE = core === 'native' ? '1' : '0';
    const { CircuitBreaker, ManualClock, coreKind } = await import(`${entry}?core=${core}`);
    expect(coreKind).toBe(core);
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    const handle = breaker.handle;
    await Promise.all(ENDINGS.map((ending) => runWorker(handle, ending)));
    expect(breaker.getMetrics()).toMatchObject({ totalCalls: ENDINGS.length * CALLS, successes: ENDINGS.length * CALLS, failures: 0 });
  });
});
