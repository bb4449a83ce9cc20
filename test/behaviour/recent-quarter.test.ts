import { describe, expect, it } from 'vitest';
import { CoreFeatureExtractor } from '../../src/features/core-features';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { assertCore, featureValue as value } from './helpers';

describe("the feature row's recent quarter", () => {
  it("reads a 4-bucket window's recent quarter steadily as each bucket starts", () => {
    assertCore();
    const clock = new ManualClock(0);
    // 5 s buckets; a call every 100 ms, one in five failing.
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 0,
      failureRateThreshold: 50,
      minimumCalls: 10,
      slidingWindowSize: 20_000,
      slidingWindowBuckets: 4,
    });
    const extractor = new CoreFeatureExtractor();
    const recentRates: number[] = [];
    for (let call = 1; call <= 400; call++) {
      clock.advance(100);
      if (call % 5 === 0) breaker.recordFailure(new Error('down'), 5);
      else breaker.recordSuccess(5);
      if (clock.now() < 20_000) continue;
      recentRates.push(value(extractor.extract([breaker], clock.now()), 0, 'failure_rate_recent'));
    }
    expect(breaker.getState()).toBe('closed');
    // Read as the newest bucket alone, it held one call (0 or 1) the moment each bucket started.
    expect(Math.min(...recentRates)).toBeGreaterThan(0.15);
    expect(Math.max(...recentRates)).toBeLessThan(0.25);
  });
});
