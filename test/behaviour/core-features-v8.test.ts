import { describe, expect, it } from 'vitest';
import { CoreFeatureExtractor } from '../../src/features/core-features';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { runTick } from '../../src/tick';
import { assertCore, featureValue as value } from './helpers';

const breaker0State = (breaker: CircuitBreaker): string => breaker.getState();
describe('core features of version 8', () => {
  it('reads the slow-call rule as the failure-rate rule is read: its recent share, its ratio and its trip chance', () => {
    assertCore();
    const clock = new ManualClock(0);
    const slowRuleOnly = {
      clock,
      failureThreshold: 0,
      failureRateThreshold: 0,
      slowCallRateThreshold: 50,
      slowCallDuration: 100,
      minimumCalls: 10,
      slidingWindowSize: 20_000,
      slidingWindowBuckets: 4,
    } as const;
    const slowing = new CircuitBreaker(slowRuleOnly);
    const fast = new CircuitBreaker(slowRuleOnly);
    const noSlowRule = new CircuitBreaker({ ...slowRuleOnly, failureRateThreshold: 50, slowCallRateThreshold: 0 });
    const extractor = new CoreFeatureExtractor();
    for (let second = 0; second < 19; second++) {
      // 10 calls a second, none failing; from second 15 on, 9 of `slowing`'s 10 take 300 ms.
      for (let i = 0; i < 10; i++) {
        slowing.recordSuccess(second >= 15 && i < 9 ? 300 : 20);
        fast.recordSuccess(20);
        noSlowRule.recordSuccess(300);
      }
      runTick();
      clock.advance(1000);
      extractor.extract([slowing, fast, noSlowRule], clock.now());
    }
    const rows = extractor.extract([slowing, fast, noSlowRule], clock.now());
    // The recent quarter (the bucket of seconds 15-19) is 90% slow; the window 36 of 190 calls:
    // under the rule's 50% today.
    expect(breaker0State(slowing)).toBe('closed');
    expect(value(rows, 0, 'slow_call_rate_recent')).toBeCloseTo(0.9, 5);
    expect(value(rows, 0, 'slow_call_rate_recent_to_threshold')).toBeCloseTo(1.8, 5);
    expect(value(rows, 0, 'slow_call_rate_to_threshold')).toBeCloseTo(36 / 190 / 0.5, 5);
    expect(value(rows, 0, 'failure_rate_recent')).toBe(0);
    // In 10 s, half the 20 s window is renewed by calls 90% slow: the rule is likely to trip.
    expect(value(rows, 0, 'slow_call_trip_chance')).toBeGreaterThan(0.7);
    expect(value(rows, 1, 'slow_call_rate_recent')).toBe(0);
    expect(value(rows, 1, 'slow_call_trip_chance')).toBeLessThan(1e-6);
    // A rule that is off reads as missing; the share itself is still a share.
    expect(value(rows, 2, 'slow_call_rate_recent')).toBe(1); // every call over slowCallDuration
    expect(value(rows, 2, 'slow_call_rate_recent_to_threshold')).toBeNaN();
    expect(value(rows, 2, 'slow_call_trip_chance')).toBeNaN();
    const idle = new CircuitBreaker(slowRuleOnly);
    const idleRow = extractor.extract([idle], clock.now());
    expect(value(idleRow, 0, 'slow_call_trip_chance')).toBe(0);
    expect(value(idleRow, 0, 'failure_rate_trip_chance')).toBeNaN();
  });

  it('averages the call rate over seconds: at one call every two seconds, the trip chance holds steady from read to read', () => {
    assertCore();
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 0,
      failureRateThreshold: 50,
      minimumCalls: 5,
      slidingWindowSize: 60_000,
    });
    const extractor = new CoreFeatureExtractor();
    const chances: number[] = [];
    // Two minutes healthy, then every call fails; one read a second, as the early warning reads.
    for (let second = 0; second < 150; second++) {
      if (second % 2 === 0) {
        if (second >= 120) breaker.recordFailure(new Error('down'), 10);
        else breaker.recordSuccess(10);
      }
      runTick();
      clock.advance(1000);
      const rows = extractor.extract([breaker], clock.now());
      if (second >= 130 && breaker.getState() === 'closed') chances.push(value(rows, 0, 'failure_rate_trip_chance'));
    }
    expect(chances.length).toBeGreaterThan(6);
    // Read between two reads alone, the rate was 1 after a second with a call and 0 after one
    // without, and the chance swung from about 0.97 to 0 and back.
    const drops = chances.slice(1).map((chance, k) => chances[k] - chance);
    expect(Math.max(...drops)).toBeLessThan(0.3);
    expect(chances.at(-1)).toBeGreaterThan(0.5);
  });
});
