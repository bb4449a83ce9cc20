import { describe, expect, it } from 'vitest';
import { fail, manualBreaker, succeed } from './helpers';

describe('metrics', () => {
  it('latency percentiles from the log histogram are within 10% of the exact ones', () => {
    const { breaker, clock } = manualBreaker({ slowCallDuration: 10_000, slidingWindowSize: 3_600_000 });
    const latencies: number[] = [];
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      const ms = Math.exp(Math.log(0.5) + random() * Math.log(400)); // 0.5 ms .. 200 ms, log-uniform
      latencies.push(ms);
      breaker.executeSync(() => clock.advance(ms));
    }
    latencies.sort((a, b) => a - b);
    const exact = (q: number) => latencies[Math.ceil(q * latencies.length) - 1];
    const { latency } = breaker.getMetrics();
    expect(latency.samples).toBe(2000);
    for (const [q, value] of [
      [0.5, latency.p50],
      [0.9, latency.p90],
      [0.99, latency.p99],
    ] as const) {
      expect(Math.abs(value! - exact(q)) / exact(q)).toBeLessThan(0.1);
    }
  });

  it('reports rates over the window and totals over the lifetime', () => {
    const { breaker } = manualBreaker({ failureThreshold: 3, recoveryTimeout: 1000 });
    succeed(breaker, 6);
    fail(breaker, 3);
    breaker.attempt(() => 1);
    const m = breaker.getMetrics();
    expect(m).toMatchObject({
      totalCalls: 9,
      successes: 6,
      failures: 3,
      rejections: 1,
      state: 'open',
      consecutiveFailures: 3,
    });
    expect(m.failureRate).toBeCloseTo(3 / 9);
    expect(m.rejectionRate).toBeCloseTo(1 / 10);
    expect(m.latency).toEqual({ p50: null, p90: null, p99: null, samples: 0 });
    expect(m.stateChanges).toHaveLength(1);
    expect(m.stateChanges[0]).toMatchObject({
      from: 'closed',
      to: 'open',
      reason: 'consecutive-failures',
      generation: 1,
      at: 1_000_000,
    });
  });

  it('keeps the last 8 transitions', () => {
    const { breaker } = manualBreaker();
    for (let i = 0; i < 6; i++) {
      breaker.forceOpen();
      breaker.close();
    }
    const changes = breaker.getMetrics().stateChanges;
    expect(changes).toHaveLength(8);
    expect(changes.at(-1)).toMatchObject({ to: 'closed', generation: 12 });
    expect(changes[0]).toMatchObject({ generation: 5 });
  });

  it('successes counted in JS reach the shared window before a decision reads it', () => {
    const { breaker } = manualBreaker({ failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 10 });
    succeed(breaker, 9); // counted in JS, not yet folded
    fail(breaker); // 1 of 10: must see the 9 successes, so no trip
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics().window).toMatchObject({ successes: 9, failures: 1 });
  });
});
