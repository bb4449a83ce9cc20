import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src';
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

  it('keeps an option given as undefined, as one left out', () => {
    const { breaker } = manualBreaker({ recoveryTimeout: 1000, failureThreshold: 3 });
    // Before: a TypeError naming maxRecoveryTimeout (NaN), which the caller never gave; and a
    // threshold given as undefined went back to its default.
    breaker.reconfigure({ recoveryTimeout: undefined, failureThreshold: undefined, minimumCalls: 7 });
    expect(breaker.options).toMatchObject({ recoveryTimeout: 1000, failureThreshold: 3, minimumCalls: 7 });
  });

  it("shrinks a count window with its buckets and minimum calls, which can't pass its size", () => {
    const { breaker } = manualBreaker({ slidingWindowType: 'count', failureThreshold: 0, failureRateThreshold: 50 });
    // Before: refused, naming slidingWindowBuckets (10), then minimumCalls (10), neither given.
    breaker.reconfigure({ slidingWindowSize: 5 });
    expect(breaker.options).toMatchObject({ slidingWindowSize: 5, slidingWindowBuckets: 5, minimumCalls: 5 });
    succeed(breaker, 2);
    fail(breaker, 3); // 3 of the window's 5
    expect(breaker.getState()).toBe('open');
    expect(() => breaker.reconfigure({ slidingWindowSize: 4, minimumCalls: 6 })).toThrow(
      /"minimumCalls" must be at most slidingWindowSize \(4\)/,
    );
  });

  it('a view attached from a handle times its calls once another view turns a slow-call rule on', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 0 });
    succeed(breaker);
    const view = CircuitBreaker.fromHandle(breaker.handle); // as a worker holds it
    view.executeSync(() => 1); // no slow-call rule: the view's fast path counts calls untimed
    breaker.reconfigure({ slowCallDuration: 5, slowCallRateThreshold: 0 }); // counted, never trips
    for (let i = 0; i < 600; i++) view.executeSync(() => clock.advance(10)); // every call takes 10 ms
    // A sampled call (one in 256) takes the slow path and reads the slot's rule; from then on
    // every call is timed. Before, the view kept its own options: 2 of 600 counted slow.
    expect(breaker.getMetrics().slowCalls).toBeGreaterThanOrEqual(600 - 256);
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
