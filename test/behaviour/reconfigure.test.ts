import { describe, expect, it } from 'vitest';
import { assertCore, fail, manualBreaker, succeed } from './helpers';

describe('reconfigure', () => {
  it('a live breaker takes new thresholds and keeps its state and totals', () => {
    assertCore();
    const { breaker } = manualBreaker({ failureThreshold: 5 });
    succeed(breaker, 4);
    fail(breaker, 2);
    expect(breaker.getState()).toBe('closed');
    breaker.reconfigure({ failureThreshold: 3 });
    expect(breaker.options.failureThreshold).toBe(3);
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics()).toMatchObject({ successes: 4, failures: 3, opens: 1 });
  });

  it('a longer recovery timeout applies to the next open period', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 1000 });
    breaker.reconfigure({ recoveryTimeout: 5000 });
    fail(breaker);
    clock.advance(1000);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    clock.advance(4000);
    expect(breaker.attempt(() => 1).ok).toBe(true);
  });

  it('emits a reconfigure event with the options before and after', () => {
    const { breaker } = manualBreaker({ name: 'tuned', failureThreshold: 5 });
    const seen: Array<[number, number]> = [];
    breaker.on('reconfigure', ({ before, after }) => seen.push([before.failureThreshold, after.failureThreshold]));
    breaker.reconfigure({ failureThreshold: 9 });
    expect(seen).toEqual([[5, 9]]);
  });

  it('refuses what a live breaker can not change, naming the option and the range', () => {
    const { breaker } = manualBreaker({ slidingWindowBuckets: 4 });
    succeed(breaker);
    expect(() => breaker.reconfigure({ failureThreshold: -1 })).toThrow(
      /option "failureThreshold" must be an integer from 0/,
    );
    expect(() => breaker.reconfigure({ name: 'x' } as never)).toThrow(/option "name" can't change on a live breaker/);
    expect(() => breaker.reconfigure({ slidingWindowBuckets: 8 })).toThrow(/"slidingWindowBuckets" can be at most 4/);
    expect(() => breaker.reconfigure(null as never)).toThrow(TypeError);
    expect(breaker.options.slidingWindowBuckets).toBe(4);
    breaker.reconfigure({ slidingWindowBuckets: 2 });
    expect(breaker.options.slidingWindowBuckets).toBe(2);
  });

  it('limits that default from another option follow it when it grows past them', () => {
    const { breaker } = manualBreaker();
    breaker.reconfigure({ halfOpenSuccessThreshold: 3, recoveryTimeout: 400_000 });
    expect(breaker.options).toMatchObject({
      halfOpenSuccessThreshold: 3,
      halfOpenMaxCalls: 3,
      recoveryTimeout: 400_000,
      maxRecoveryTimeout: 400_000,
    });
    breaker.reconfigure({ halfOpenSuccessThreshold: 1 });
    expect(breaker.options.halfOpenMaxCalls).toBe(3);
  });
});
