import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor } from '../../src/features/core-features';
import { EVIDENCE_FEATURES } from '../../src/features/column-groups';
import { CORE_FEATURES_V1 } from '../../src/features/core-features-v1';
import { CORE_FEATURES_V3 } from '../../src/features/core-features-v3';
import { CORE_FEATURES_V4 } from '../../src/features/core-features-v4';
import { CORE_FEATURES_V5 } from '../../src/features/core-features-v5';
import { CORE_FEATURES_V6 } from '../../src/features/core-features-v6';
import { CORE_FEATURES_V7 } from '../../src/features/core-features-v7';
import { CORE_FEATURES_V8 } from '../../src/features/core-features-v8';
import { CORE_FEATURES_V9 } from '../../src/features/core-features-v9';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { runTick } from '../../src/tick';
import { assertCore, fail, featureValue as value, succeed } from './helpers';

/** A successful call of the given latency on the manual clock (the timed path records it). */
async function callTaking(breaker: CircuitBreaker, clock: ManualClock, ms: number): Promise<void> {
  const call = breaker.execute(() => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)));
  clock.advance(ms);
  await call;
}

describe('core features', () => {
  it('is a versioned list without raw volume, raw in-flight or clock columns; v1 stays loadable by name', () => {
    assertCore();
    expect(CORE_FEATURES).toMatchObject({ name: 'breakwater.core', version: 10 });
    // v10 appends the rising trip chance to v9's columns; v9 computes v8's (its trip chances drop a
    // window's oldest calls a bucket at a time).
    expect(CORE_FEATURES_V9).toMatchObject({ name: 'breakwater.core', version: 9 });
    expect(CORE_FEATURES.features).toEqual([...CORE_FEATURES_V9.features, 'failure_rate_rising_trip_chance']);
    expect(CORE_FEATURES_V8).toMatchObject({
      name: 'breakwater.core',
      version: 8,
      features: CORE_FEATURES_V9.features,
    });
    expect(CORE_FEATURES_V1).toMatchObject({ name: 'breakwater.core', version: 1 });
    // v8 appends the slow-call rule's recent share, its ratio and its trip chance to v7's columns,
    // which append whether the breaker tripped in the last minute to v6's, which append the
    // longest recent failure run to v5's: an older model scores a newer row's first columns.
    expect(CORE_FEATURES_V7.version).toBe(7);
    expect(CORE_FEATURES.features.slice(0, CORE_FEATURES_V7.features.length)).toEqual(CORE_FEATURES_V7.features);
    expect(CORE_FEATURES_V9.features).toHaveLength(CORE_FEATURES_V7.features.length + 3);
    expect(CORE_FEATURES_V6.version).toBe(6);
    expect(CORE_FEATURES.features.slice(0, CORE_FEATURES_V6.features.length)).toEqual(CORE_FEATURES_V6.features);
    expect(CORE_FEATURES_V7.features).toHaveLength(CORE_FEATURES_V6.features.length + 1);
    expect(CORE_FEATURES_V5.version).toBe(5);
    expect(CORE_FEATURES.features.slice(0, CORE_FEATURES_V5.features.length)).toEqual(CORE_FEATURES_V5.features);
    expect(CORE_FEATURES_V6.features).toHaveLength(CORE_FEATURES_V5.features.length + 1);
    // v5 computes v4's columns (a v4 model scores a v5 row), its latency baseline started later.
    expect(CORE_FEATURES_V4).toMatchObject({
      name: 'breakwater.core',
      version: 4,
      features: CORE_FEATURES_V5.features,
    });
    // v4 appends the trip chances to v3's columns: a v3 model scores a v4 row's first columns.
    expect(CORE_FEATURES_V3.version).toBe(3);
    expect(CORE_FEATURES.features.slice(0, CORE_FEATURES_V3.features.length)).toEqual(CORE_FEATURES_V3.features);
    expect(new Set(CORE_FEATURES.features).size).toBe(CORE_FEATURE_COUNT);
    for (const scale of ['log_window_calls', 'in_flight', 'seconds_since_transition', 'call_rate_change'])
      expect(CORE_FEATURES.features).not.toContain(scale);
    for (const evidence of EVIDENCE_FEATURES) expect(CORE_FEATURES.features).toContain(evidence);
    const clock = new ManualClock(0);
    const rows = new CoreFeatureExtractor().extract([new CircuitBreaker({ clock }), new CircuitBreaker({ clock })], 0);
    expect(rows).toHaveLength(2 * CORE_FEATURE_COUNT);
  });

  it("rates are relative to the breaker's own thresholds; trends are ratios", () => {
    const clock = new ManualClock(0);
    const strict = new CircuitBreaker({
      clock,
      failureThreshold: 20,
      failureRateThreshold: 25,
      minimumCalls: 10,
      slidingWindowSize: 8000,
      slidingWindowBuckets: 8,
    });
    const lax = new CircuitBreaker({
      clock,
      failureThreshold: 0,
      failureRateThreshold: 0,
      minimumCalls: 100,
      slidingWindowSize: 8000,
      slidingWindowBuckets: 8,
    });
    const extractor = new CoreFeatureExtractor();
    for (let second = 0; second < 6; second++) {
      for (const breaker of [strict, lax]) succeed(breaker, 10);
      runTick(); // as the shared tick does in real time: successes counted in JS reach their bucket
      clock.advance(1000);
    }
    let rows = extractor.extract([strict, lax], clock.now());
    expect(value(rows, 0, 'failure_rate_trend_ratio')).toBe(1);
    for (const breaker of [strict, lax]) fail(breaker, 10); // the recent quarter (2 of 8 buckets): 10 successes, 10 failures
    clock.advance(500);
    rows = extractor.extract([strict, lax], clock.now());
    for (const row of [0, 1]) {
      expect(value(rows, row, 'failure_rate')).toBeCloseTo(10 / 70, 5);
      expect(value(rows, row, 'failure_rate_recent')).toBeCloseTo(0.5, 5);
      expect(value(rows, row, 'failure_rate_trend_ratio')).toBeCloseTo((0.5 + 0.02) / (10 / 70 + 0.02), 4);
    }
    expect(value(rows, 0, 'failure_rate_recent_to_threshold')).toBeCloseTo(2, 5);
    expect(value(rows, 0, 'failure_rate_to_threshold')).toBeCloseTo(10 / 70 / 0.25, 5);
    expect(value(rows, 0, 'consecutive_failures_to_threshold')).toBeCloseTo(0.5, 5);
    expect(value(rows, 0, 'window_calls_to_minimum')).toBe(4); // 70 of 10: capped
    // Rules that are off read as missing, not as zero.
    expect(value(rows, 1, 'failure_rate_recent_to_threshold')).toBeNaN();
    expect(value(rows, 1, 'consecutive_failures_to_threshold')).toBeNaN();
    expect(value(rows, 1, 'slow_call_rate_to_threshold')).toBeNaN();
    expect(value(rows, 1, 'window_calls_to_minimum')).toBeCloseTo(0.7, 5);
    // Half the recent calls failing against a 25% rule: the next 10 s renew the whole 8 s window.
    expect(value(rows, 0, 'failure_rate_trip_chance')).toBeGreaterThan(0.9);
    // 10 of 20 in a row, at one failure in two: the rest of the run is unlikely.
    expect(value(rows, 0, 'consecutive_trip_chance')).toBeLessThan(0.2);
    expect(value(rows, 1, 'failure_rate_trip_chance')).toBeNaN();
    expect(value(rows, 1, 'consecutive_trip_chance')).toBeNaN();
  });

  it("latency over the breaker's own baseline and its timeout; an incident does not move the baseline", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 0,
      timeout: 200,
      slidingWindowSize: 8000,
      slidingWindowBuckets: 8,
    });
    const extractor = new CoreFeatureExtractor({ baselineHalfLifeMs: 10_000 });
    for (let second = 0; second < 8; second++) {
      await callTaking(breaker, clock, 10);
      clock.advance(990);
      extractor.extract([breaker], clock.now());
    }
    let rows = extractor.extract([breaker], clock.now());
    expect(value(rows, 0, 'latency_p50_to_baseline')).toBeCloseTo(1, 1);
    expect(value(rows, 0, 'latency_p50_to_timeout')).toBeCloseTo(10 / 200, 1);
    // A minute of 100 ms calls: six half-lives would pull an ordinary average up to 100 ms (a ratio of 1).
    for (let second = 0; second < 60; second++) {
      await callTaking(breaker, clock, 100);
      clock.advance(900);
      rows = extractor.extract([breaker], clock.now());
    }
    expect(value(rows, 0, 'latency_p50_to_baseline')).toBeGreaterThan(3);
    expect(value(rows, 0, 'latency_p99_to_timeout')).toBeCloseTo(100 / 200, 1);
  });

  it('a slow healthy service reads as its own baseline: the first, censored windows do not start it', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0, timeout: 5_000 });
    const extractor = new CoreFeatureExtractor();
    // 40 calls a second, each taking 125 ms to 2 s (a 500 ms median), overlapping as a real service's do.
    let call = 0;
    const arrive = (): void => {
      const latency = 500 * 2 ** ((((call++ * 37) % 41) - 20) / 10);
      void breaker.execute(() => new Promise<void>((resolve) => clock.setTimeout(resolve, latency)));
    };
    for (let second = 0; second < 90; second++) {
      for (let i = 0; i < 40; i++) clock.setTimeout(arrive, i * 25);
      await clock.runFor(1_000);
      const row = extractor.extract([breaker], clock.now());
      // The first window holds only the calls back within a second, the fast ones: as a baseline it
      // made the ordinary 500 ms read as an incident for minutes (1.5-2 times the baseline).
      // Under 1.3: a histogram bin is 2^(1/4) = 1.19 wide, so a recent quarter's median may read a bin up.
      expect(value(row, 0, 'latency_p50_to_baseline')).toBeLessThan(1.3);
      expect(value(row, 0, 'in_flight_to_expected')).toBeLessThan(1.3);
    }
  });

  it("in-flight calls over what the call rate and baseline latency predict (Little's law)", async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0 });
    const extractor = new CoreFeatureExtractor();
    // 20 calls a second of 100 ms: 2 in flight on average.
    for (let second = 0; second < 5; second++) {
      for (let i = 0; i < 20; i++) await callTaking(breaker, clock, 100 / 20);
      clock.advance(900);
      extractor.extract([breaker], clock.now());
    }
    const hung = Array.from({ length: 8 }, () => breaker.execute(() => new Promise(() => {})));
    void hung;
    const rows = extractor.extract([breaker], clock.now());
    // 8 hung calls against ~20/s x 5 ms = 0.1 expected (floored at 1).
    expect(value(rows, 0, 'in_flight_to_expected')).toBeCloseTo(8, 5);
    const fresh = new CircuitBreaker({ clock });
    void fresh.execute(() => new Promise(() => {}));
    expect(value(extractor.extract([fresh], clock.now()), 0, 'in_flight_to_expected')).toBe(1); // no call rate yet: neutral
  });

  it("the time since the last transition is measured in the breaker's own window spans, capped at one", () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, slidingWindowSize: 10_000 });
    const rowsBefore = new CoreFeatureExtractor().extract([breaker], clock.now());
    expect(value(rowsBefore, 0, 'since_transition_to_window')).toBe(1);
    fail(breaker);
    clock.advance(2_500);
    expect(
      value(new CoreFeatureExtractor().extract([breaker], clock.now()), 0, 'since_transition_to_window'),
    ).toBeCloseTo(0.25, 5);
    clock.advance(3_600_000);
    expect(value(new CoreFeatureExtractor().extract([breaker], clock.now()), 0, 'since_transition_to_window')).toBe(1);
  });

  it('flags a breaker open now or closed again within the last minute, and forgets the trip after it', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 5_000 });
    const extractor = new CoreFeatureExtractor();
    const flag = (): number => value(extractor.extract([breaker], clock.now()), 0, 'tripped_in_last_minute');
    expect(flag()).toBe(0); // idle: no slot yet
    succeed(breaker);
    expect(flag()).toBe(0); // used, never tripped
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    expect(flag()).toBe(1);
    clock.advance(5_000);
    succeed(breaker); // the probe closes it
    expect(breaker.getState()).toBe('closed');
    clock.advance(59_000);
    expect(flag()).toBe(1);
    clock.advance(1_000);
    expect(flag()).toBe(0); // a minute after closing: a flag, not a clock that keeps counting
    clock.advance(3_600_000);
    expect(flag()).toBe(0);
  });

  it('keeps the longest run of consecutive failures of the last 4-10 s over the threshold, for every reader; a transition forgets it', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 5, recoveryTimeout: 1_000 });
    const runless = new CircuitBreaker({ clock, failureThreshold: 0 });
    const extractor = new CoreFeatureExtractor();
    const read = () => extractor.extract([breaker, runless], clock.now());
    expect(value(read(), 0, 'longest_failure_run_to_threshold')).toBe(0);
    // Every reader reads the same runs (a registry's window summaries read beside the early warning).
    const otherReader = () => new CoreFeatureExtractor().extract([breaker], clock.now());
    fail(breaker, 4); // a burst that stops one short of tripping
    succeed(breaker);
    fail(breaker);
    clock.advance(1_000);
    const rows = read();
    expect(value(rows, 0, 'consecutive_failures_to_threshold')).toBeCloseTo(0.2, 5); // the run now: 1
    expect(value(rows, 0, 'longest_failure_run_to_threshold')).toBeCloseTo(0.8, 5); // the burst: 4
    expect(value(rows, 1, 'longest_failure_run_to_threshold')).toBeNaN(); // no consecutive rule
    expect(value(otherReader(), 0, 'longest_failure_run_to_threshold')).toBeCloseTo(0.8, 5);
    clock.advance(4_500);
    expect(value(read(), 0, 'longest_failure_run_to_threshold')).toBeCloseTo(0.8, 5); // 5.5 s on: kept
    clock.advance(5_000);
    expect(value(read(), 0, 'longest_failure_run_to_threshold')).toBe(0); // 10.5 s on: gone
    succeed(breaker);
    fail(breaker, 3);
    clock.advance(1_000);
    expect(value(read(), 0, 'longest_failure_run_to_threshold')).toBeCloseTo(0.6, 5);
    fail(breaker, 2); // the run reaches 5: the circuit opens
    expect(breaker.getState()).toBe('open');
    clock.advance(1_000);
    succeed(breaker); // the probe closes it
    expect(breaker.getState()).toBe('closed');
    expect(value(read(), 0, 'longest_failure_run_to_threshold')).toBe(0); // the runs before the trip are forgotten
  });

  it("projects the window one horizon (10 s) ahead: its oldest share rolls off, replaced at the recent quarter's rate", () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 0,
      failureRateThreshold: 50,
      slowCallRateThreshold: 0,
      minimumCalls: 1,
      slidingWindowSize: 60_000,
      slidingWindowBuckets: 12,
    });
    succeed(breaker, 60);
    runTick(); // the successes reach the window's bucket of their time
    clock.advance(50_000);
    fail(breaker, 20);
    succeed(breaker, 20);
    const row = new CoreFeatureExtractor().extract([breaker], clock.now());
    const [windowRate, recentRate] = [value(row, 0, 'failure_rate'), value(row, 0, 'failure_rate_recent')];
    expect(windowRate).toBeCloseTo(20 / 100, 5);
    expect(recentRate).toBeCloseTo(20 / 40, 5);
    // 10 s of a 60 s window is renewed: 5/6 of today's window stays, 1/6 comes at the recent rate.
    expect(value(row, 0, 'failure_rate_projected_to_threshold')).toBeCloseTo(
      ((5 / 6) * windowRate + recentRate / 6) / 0.5,
      5,
    );
    expect(value(row, 0, 'slow_call_rate_projected_to_threshold')).toBeNaN(); // that rule is off
    const tenSeconds = new CircuitBreaker({
      clock,
      failureThreshold: 0,
      failureRateThreshold: 25,
      minimumCalls: 1,
      slidingWindowSize: 10_000,
    });
    succeed(tenSeconds, 30);
    fail(tenSeconds, 10);
    const whole = new CoreFeatureExtractor().extract([tenSeconds], clock.now());
    // A 10 s window is renewed whole: the projection is the recent quarter's rate.
    expect(value(whole, 0, 'failure_rate_projected_to_threshold')).toBeCloseTo(
      value(whole, 0, 'failure_rate_recent') / 0.25,
      5,
    );
  });

  it('reads latency below its baseline and fewer calls in flight than expected as neutral (1), never as extra health', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0 });
    const extractor = new CoreFeatureExtractor();
    for (let second = 0; second < 5; second++) {
      succeed(breaker, 20); // calls that return at once: nothing in flight
      clock.advance(1_000);
      const row = extractor.extract([breaker], clock.now());
      expect(value(row, 0, 'in_flight_to_expected')).toBeGreaterThanOrEqual(1);
      for (const p of ['p50', 'p90', 'p99'])
        expect(value(row, 0, `latency_${p}_to_baseline`)).toBeGreaterThanOrEqual(1);
    }
  });

  it('reads breakers of several arenas in their given order; idle breakers take no slot', () => {
    const clock = new ManualClock(0);
    const a = new CircuitBreaker({ clock, failureThreshold: 0, slidingWindowBuckets: 4 });
    const idle = new CircuitBreaker({ clock });
    const b = new CircuitBreaker({ clock, failureThreshold: 0, slidingWindowBuckets: 6 });
    fail(a, 2);
    b.executeSync(() => 1);
    const rows = new CoreFeatureExtractor().extract([a, idle, b], clock.now());
    expect(value(rows, 0, 'failure_rate')).toBe(1);
    expect(value(rows, 1, 'failure_rate')).toBe(0);
    expect(value(rows, 1, 'latency_p50_to_baseline')).toBe(1);
    expect(value(rows, 2, 'failure_rate')).toBe(0);
    expect(idle.coreSlot).toBeUndefined();
    expect(clock.pool.arenas).toHaveLength(2);
    expect(() => new CoreFeatureExtractor().extract([a], 0, new Float32Array(3))).toThrow(/holds 3 floats/);
    expect(() => new CoreFeatureExtractor({ baselineHalfLifeMs: 0 })).toThrow(/"baselineHalfLifeMs"/);
  });

  it('reads hundreds of breakers over many arenas, shuffled and mixed with idle ones, as it reads each alone', () => {
    const clock = new ManualClock(0);
    const breakers = Array.from({ length: 700 }, (_, i) => {
      const breaker = new CircuitBreaker({ clock, failureThreshold: 0, slidingWindowBuckets: 2 + (i % 3) });
      if (i % 5 !== 0) fail(breaker, 1 + (i % 4));
      if (i % 5 !== 0) succeed(breaker, i % 7);
      return breaker;
    });
    let seed = 3;
    const shuffled = [...breakers].sort(() => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 3) - 1);
    expect(new Set(clock.pool.arenas.map((arena) => arena.maxBuckets)).size).toBe(3);
    const together = new CoreFeatureExtractor().extract(shuffled, clock.now());
    shuffled.forEach((breaker, row) => {
      const alone = new CoreFeatureExtractor().extract([breaker], clock.now());
      expect([...together.subarray(row * CORE_FEATURE_COUNT, (row + 1) * CORE_FEATURE_COUNT)]).toEqual([...alone]);
    });
  });

  it('remembers each breaker, not each row: a reordered list keeps every baseline its own', async () => {
    const clock = new ManualClock(0);
    const fast = new CircuitBreaker({ clock, failureThreshold: 0 });
    const slow = new CircuitBreaker({ clock, failureThreshold: 0 });
    const extractor = new CoreFeatureExtractor();
    const list = [fast, slow];
    await callTaking(fast, clock, 5);
    await callTaking(slow, clock, 500);
    extractor.extract(list, clock.now());
    list.reverse(); // the same array, other breakers at each row
    clock.advance(1000);
    const rows = extractor.extract(list, clock.now());
    expect(value(rows, 0, 'latency_p50_to_baseline')).toBeCloseTo(1, 1); // slow against its own 500 ms
    expect(value(rows, 1, 'latency_p50_to_baseline')).toBeCloseTo(1, 1);
  });
});
