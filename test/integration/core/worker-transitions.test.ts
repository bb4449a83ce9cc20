import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src';
import type { BreakerEvent } from '../../../src/registry/event';

const entry = resolve(__dirname, '../../../dist/index.mjs');
const worker = resolve(__dirname, '../fixtures/tripping-worker.mjs');

describe("a registry's breaker that only worker threads call", () => {
  it("records the workers' transitions in the registry's history on its tick", async () => {
    const registry = new Registry({ summaryEveryMs: 0 });
    const breaker = registry.getOrCreate('endpoint', 'inference', { failureThreshold: 3, recoveryTimeout: 600_000 });
    breaker.executeSync(() => 1); // takes its slot, then stays idle in this thread
    // Folds that success now: folded by this thread's tick while the worker fails, it ended the
    // worker's run of failures (the README's worker_threads section), and the circuit stayed closed.
    breaker.getMetrics();
    const recorded: BreakerEvent[] = [];
    registry.onEvent((event) => {
      if (event.event_type === 'transition') recorded.push(event);
    });
    const state = await new Promise((done, failed) => {
      const w = new Worker(worker, { workerData: { entry, handle: breaker.handle, failures: 3 } });
      w.once('message', done);
      w.once('error', failed);
    });
    expect(state).toBe('open');
    for (let tick = 0; tick < 3; tick++) await registry.tick(); // this thread's breaker has left its own tick by then
    expect(recorded.map((event) => event.detail)).toEqual([
      { from: 'closed', to: 'open', reason: 'consecutive-failures', generation: 1, madeElsewhere: true },
    ]);
    await registry.shutdown();
  });
});
