import { describe, expect, it } from 'vitest';
import CircuitBreaker from '../../../src/compat/opossum/index';
import { LatencyLog } from '../../../src/compat/opossum/latency-log';
import { ManualClock } from '../../../src/clock';

// Latencies are kept run-length encoded and expanded only when the window is read: the window
// must still show every latency, in the order it was recorded, as opossum's arrays do.

describe('breakwater/opossum: latency log', () => {
  it('gives back every latency in order, runs and all, and empties itself', () => {
    const log = new LatencyLog();
    const recorded = [0, 0, 0, 3, 3, 0, 7, 7, 7, 7, 1];
    for (const latency of recorded) log.push(latency);
    const out = [42];
    log.drainInto(out);
    expect(out).toEqual([42, ...recorded]);
    log.drainInto(out);
    expect(out).toEqual([42, ...recorded]);
    log.push(5);
    const again: number[] = [];
    log.drainInto(again);
    expect(again).toEqual([5]);
  });

  it('shows the window latencies and percentiles as opossum records them, across reads', async () => {
    const clock = new ManualClock(0);
    let delay = 0;
    const action = () => new Promise((resolve) => clock.setTimeout(() => resolve('ok'), delay));
    const breaker = new CircuitBreaker(action, { clock, timeout: false });
    const settle = async (ms: number) => {
      delay = ms;
      const call = breaker.fire();
      clock.advance(ms);
      await call;
    };
    for (const ms of [0, 0, 4, 4, 4]) await settle(ms);
    expect(breaker.status.window[0].latencyTimes).toEqual([0, 0, 4, 4, 4]);
    for (const ms of [2, 0]) await settle(ms);
    // Recorded after the first read: appended to the same array, in order.
    expect(breaker.status.window[0].latencyTimes).toEqual([0, 0, 4, 4, 4, 2, 0]);
    const stats = breaker.stats;
    expect(stats.latencyTimes).toEqual([0, 0, 0, 2, 4, 4, 4]);
    expect(stats.latencyMean).toBeCloseTo(14 / 7);
    expect(stats.percentiles[0.5]).toBe(2);
    expect(stats.percentiles[1]).toBe(4);
    breaker.shutdown();
  });
});
