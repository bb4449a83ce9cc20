import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { builtEntry, loadBuilt } from './built-package';

const worker = resolve(__dirname, '../fixtures/ending-worker.mjs');
/** Not a multiple of the 256-call sampling period: a count held back in a thread would show. */
const CALLS = 10_007;
const ENDINGS = ['return', 'exit', 'terminate', 'return'] as const;
type Ending = (typeof ENDINGS)[number];

/** Runs one worker to its end (a worker that reports 'counted' is terminated then); resolves to the lane it counted in. */
function runWorker(handle: unknown, ending: Ending, calls = CALLS): Promise<number> {
  return new Promise((done, failed) => {
    let lane = Number.NaN;
    const w = new Worker(worker, { workerData: { entry: builtEntry, handle, calls, ending }, env: { ...process.env } });
    w.on('message', (message) => {
      if (message === 'counted') void w.terminate();
      else lane = message.lane;
    });
    w.once('error', failed);
    w.once('exit', () => done(lane));
  });
}

describe('threads that end right after their calls', () => {
  it.each(['native', 'reference'] as const)('leave every success they counted to the owner (%s core)', async (core) => {
    const { CircuitBreaker, ManualClock } = loadBuilt(core);
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    const handle = breaker.handle;
    await Promise.all(ENDINGS.map((ending) => runWorker(handle, ending)));
    expect(breaker.getMetrics()).toMatchObject({
      totalCalls: ENDINGS.length * CALLS,
      successes: ENDINGS.length * CALLS,
      failures: 0,
    });
  });

  it('give their lanes back on the native core, however they end: 40 threads in turn all count in a lane of their own', async () => {
    const { CircuitBreaker, ManualClock } = loadBuilt('native');
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    breaker.executeSync(() => 0); // the owner's lane
    const handle = breaker.handle;
    const lanes: number[] = [];
    for (let i = 0; i < 40; i++) lanes.push(await runWorker(handle, ENDINGS[i % ENDINGS.length], 300));
    expect(lanes.every((lane) => lane >= 1 && lane < 16)).toBe(true); // lane 0 is the owner's, still in use
    expect(breaker.getMetrics()).toMatchObject({ totalCalls: 1 + 40 * 300, successes: 1 + 40 * 300 });
  });
});
