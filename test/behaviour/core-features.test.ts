import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor } from '../../src/adaptive/core-features';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { runTick } from '../../src/tick';
import { assertCore, fail, succeed } from './helpers';

const column = (name: string): number => CORE_FEATURES.features.indexOf(name);
const value = (rows: Float32Array, row: number, name: string): number => rows[row * CORE_FEATURE_COUNT + column(name)];

/** A successful call of the given latency on the manual clock (the timed path records it). */
async function callTaking(breaker: CircuitBreaker, clock: ManualClock, ms: number): Promise<void> {
  const call = breaker.execute(() => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)));
  clock.advance(ms);
  await call;
}

describe('core features', () => {
  it('is a versioned list, one row of floats per breaker', () => {
    assertCore();
    expect(CORE_FEATURES).toMatchObject({ name: 'breakwater.core', version: 1 });
    expect(new Set(CORE_FEATURES.features).size).toBe(CORE_FEATURE_COUNT);
    const clock = new ManualClock(0);
    const rows = new CoreFeatureExtractor().extract([new CircuitBreaker({ clock }), new CircuitBreaker({ clock })], 0);
    expect(rows).toHaveLength(2 * CORE_FEATURE_COUNT);
  });

  it('a failure burst raises the recent failure rate above the window rate, and its slope', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0, slidingWindowSize: 8000, slidingWindowBuckets: 8 });
    const extractor = new CoreFeatureExtractor();
    for (let second = 0; second < 6; second++) {
      for (let i = 0; i < 10; i++) breaker.executeSync(() => 1);
      runTick(); // as the shared tick does in real time: successes counted in JS reach their bucket
      clock.advance(1000);
    }
    let rows = extractor.extract([breaker], clock.now());
    expect(value(rows, 0, 'failure_rate')).toBe(0);
    expect(value(rows, 0, 'failure_rate_slope')).toBe(0);
    fail(breaker, 10); // the recent quarter (the newest 2 of 8 buckets) holds 10 successes and these 10 failures
    clock.advance(500);
    rows = extractor.extract([breaker], clock.now());
    expect(value(rows, 0, 'failure_rate')).toBeCloseTo(10 / 70, 5);
    expect(value(rows, 0, 'failure_rate_recent')).toBeCloseTo(0.5, 5);
    expect(value(rows, 0, 'failure_rate_trend')).toBeCloseTo(0.5 - 10 / 70, 5);
    expect(value(rows, 0, 'failure_rate_slope')).toBeCloseTo(0.5 / 0.5, 5);
    expect(value(rows, 0, 'consecutive_failures')).toBe(10);
    expect(value(rows, 0, 'log_window_calls')).toBeCloseTo(Math.log1p(70), 5);
  });

  it('latency creeping above the baseline shows as a ratio above 1', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0, slowCallDuration: 1, slidingWindowSize: 8000, slidingWindowBuckets: 8 });
    const extractor = new CoreFeatureExtractor({ baselineHalfLifeMs: 600_000 });
    for (let second = 0; second < 8; second++) {
      await callTaking(breaker, clock, 10);
      clock.advance(990);
      extractor.extract([breaker], clock.now());
    }
    let rows = extractor.extract([breaker], clock.now());
    expect(value(rows, 0, 'latency_p50_ratio')).toBeCloseTo(1, 1);
    for (let i = 0; i < 3; i++) await callTaking(breaker, clock, 80);
    rows = extractor.extract([breaker], clock.now());
    expect(value(rows, 0, 'latency_p99_ratio')).toBeGreaterThan(5);
    expect(value(rows, 0, 'latency_p99_ratio_slope')).toBeGreaterThan(0);
  });

  it('state, time since transition, rejections, in-flight calls and the hardware label', () => {
    const clock = new ManualClock(0);
    const gpu = new CircuitBreaker({ clock, failureThreshold: 1, labels: { hardware: 'gpu' } });
    fail(gpu);
    clock.advance(2500);
    gpu.attempt(() => 1);
    const busy = new CircuitBreaker({ clock });
    void busy.execute(() => new Promise(() => {}));
    const rows = new CoreFeatureExtractor().extract([gpu, busy], clock.now());
    expect(value(rows, 0, 'state_open')).toBe(1);
    expect(value(rows, 0, 'seconds_since_transition')).toBeCloseTo(2.5, 5);
    expect(value(rows, 0, 'rejection_rate')).toBeCloseTo(0.5, 5);
    expect(value(rows, 0, 'hardware_gpu')).toBe(1);
    expect(value(rows, 0, 'hardware_cpu')).toBe(0);
    expect(value(rows, 1, 'state_open')).toBe(0);
    expect(value(rows, 1, 'in_flight')).toBe(1);
    expect(Number.isNaN(value(rows, 1, 'seconds_since_transition'))).toBe(true);
  });

  it('reads breakers of several arenas in their given order; idle breakers take no slot', () => {
    const clock = new ManualClock(0);
    const a = new CircuitBreaker({ clock, failureThreshold: 0, slidingWindowBuckets: 4 });
    const idle = new CircuitBreaker({ clock, labels: { hardware: 'webnn' } });
    const b = new CircuitBreaker({ clock, failureThreshold: 0, slidingWindowBuckets: 6 });
    fail(a, 2);
    b.executeSync(() => 1);
    const rows = new CoreFeatureExtractor().extract([a, idle, b], clock.now());
    expect(value(rows, 0, 'failure_rate')).toBe(1);
    expect(value(rows, 1, 'failure_rate')).toBe(0);
    expect(value(rows, 1, 'latency_p50_ratio')).toBe(1);
    expect(value(rows, 1, 'hardware_webnn')).toBe(1);
    expect(value(rows, 2, 'failure_rate')).toBe(0);
    expect(value(rows, 2, 'log_window_calls')).toBeCloseTo(Math.log1p(1), 5);
    expect(idle.coreSlot).toBeUndefined();
    expect(clock.pool.arenas).toHaveLength(2);
    expect(() => new CoreFeatureExtractor().extract([a], 0, new Float32Array(3))).toThrow(/holds 3 floats/);
    expect(() => new CoreFeatureExtractor({ baselineHalfLifeMs: 0 })).toThrow(/"baselineHalfLifeMs"/);
  });

  it('remembers each breaker, not each row: a reordered or reused list keeps every slope its own', () => {
    const clock = new ManualClock(0);
    const calm = new CircuitBreaker({ clock, failureThreshold: 0 });
    const failing = new CircuitBreaker({ clock, failureThreshold: 0 });
    succeed(calm, 10);
    succeed(failing, 10);
    const extractor = new CoreFeatureExtractor();
    const list = [calm, failing];
    extractor.extract(list, clock.now());
    fail(failing, 10);
    clock.advance(1000);
    list.reverse(); // the same array, other breakers at each row
    const rows = extractor.extract(list, clock.now());
    expect(value(rows, 0, 'failure_rate_slope')).toBeCloseTo(0.5, 5); // failing: 0 -> 0.5 in a second
    expect(value(rows, 1, 'failure_rate_slope')).toBe(0); // calm
  });
});
