import { describe, expect, it } from 'vitest';
import { CoreFeatureExtractor } from '../../src/features/core-features';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { runTick } from '../../src/tick';
import { assertCore, featureValue as value } from './helpers';

/** A 10 s window of 10 buckets tripping at 50% failing, on `clock`. */
const rateRuleOn = (clock: ManualClock) =>
  ({
    clock,
    failureThreshold: 0,
    failureRateThreshold: 50,
    minimumCalls: 10,
    slidingWindowSize: 10_000,
    slidingWindowBuckets: 10,
  }) as const;

describe('core features of version 10', () => {
  it("carries a rising failure share on in the rate rule's trip chance, and nothing else", () => {
    assertCore();
    const clock = new ManualClock(0);
    const options = rateRuleOn(clock);
    const ramping = new CircuitBreaker(options);
    const steady = new CircuitBreaker(options);
    const noRateRule = new CircuitBreaker({ ...options, failureRateThreshold: 0, failureThreshold: 5 });
    const extractor = new CoreFeatureExtractor();
    let rows: Float32Array = new Float32Array(0);
    for (let second = 0; second < 40; second++) {
      // 100 calls a second: `ramping` fails 1 more of them each second (40% at the end), `steady` 35%.
      for (let i = 0; i < 100; i++) {
        if (i < second) ramping.recordFailure(new Error('down'), 5);
        else ramping.recordSuccess(5);
        if (i < 35) steady.recordFailure(new Error('down'), 5);
        else steady.recordSuccess(5);
        noRateRule.recordSuccess(5);
      }
      runTick();
      clock.advance(1000);
      rows = extractor.extract([ramping, steady, noRateRule], clock.now());
    }
    expect(ramping.getState()).toBe('closed');
    // The window's share rises 1% a second: half the horizon's rise (5%) takes the recent 38% to
    // about 43%, and the chance of reaching 50% grows with it; read at 38% it stays small.
    const plain = value(rows, 0, 'failure_rate_trip_chance');
    const rising = value(rows, 0, 'failure_rate_rising_trip_chance');
    expect(plain).toBeLessThan(0.05);
    expect(rising).toBeGreaterThan(2 * plain);
    // A steady share does not rise.
    expect(value(rows, 1, 'failure_rate_rising_trip_chance')).toBeCloseTo(
      value(rows, 1, 'failure_rate_trip_chance'),
      6,
    );
    expect(value(rows, 2, 'failure_rate_rising_trip_chance')).toBeNaN();
    const idle = extractor.extract([new CircuitBreaker(options)], clock.now());
    expect(value(idle, 0, 'failure_rate_rising_trip_chance')).toBe(0);
  });

  it('starts the rise again when the window does: a trip and its close read as no rise', () => {
    assertCore();
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(rateRuleOn(clock));
    const extractor = new CoreFeatureExtractor();
    const second = (failing: number): Float32Array => {
      for (let i = 0; i < 100; i++) {
        if (i < failing) breaker.recordFailure(new Error('down'), 5);
        else breaker.recordSuccess(5);
      }
      runTick();
      clock.advance(1000);
      return extractor.extract([breaker], clock.now());
    };
    for (let s = 0; s < 20; s++) second(2 * s); // rising to 38%
    breaker.forceOpen();
    clock.advance(1000);
    extractor.extract([breaker], clock.now());
    breaker.close();
    // The new window holds 40% failing from its first second: without the restart the averages
    // would still carry the fall from 38% to an empty window and the rise after it.
    let rows = second(40);
    expect(value(rows, 0, 'failure_rate_rising_trip_chance')).toBe(value(rows, 0, 'failure_rate_trip_chance'));
    for (let s = 0; s < 5; s++) rows = second(40);
    expect(value(rows, 0, 'failure_rate_rising_trip_chance')).toBeCloseTo(
      value(rows, 0, 'failure_rate_trip_chance'),
      6,
    );
  });
});
