import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/index';
import { assertCore, fail, manualBreaker, succeed } from './helpers';

describe('trip rules', () => {
  it('runs on the core this project expects', () => {
    assertCore();
  });

  it('opens after failureThreshold consecutive failures, and a success resets the count', () => {
    const { breaker } = manualBreaker({ failureThreshold: 3 });
    fail(breaker, 2);
    succeed(breaker);
    fail(breaker, 2);
    expect(breaker.getState()).toBe('closed');
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    expect(() => breaker.executeSync(() => 1)).toThrow(CircuitOpenError);
    const metrics = breaker.getMetrics();
    expect(metrics.stateChanges.at(-1)).toMatchObject({ from: 'closed', to: 'open', reason: 'consecutive-failures' });
    expect(metrics).toMatchObject({ failures: 5, successes: 1, rejections: 1, opens: 1 });
  });

  it('uses the defaults users know: 5 consecutive failures, 60 s recovery', () => {
    const { breaker, clock } = manualBreaker();
    fail(breaker, 4);
    expect(breaker.getState()).toBe('closed');
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    clock.advance(59_999);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    clock.advance(1);
    expect(breaker.attempt(() => 1)).toEqual({ ok: true, value: 1 });
    expect(breaker.getState()).toBe('closed');
  });

  it('trips on the failure rate once the window holds minimumCalls', () => {
    const { breaker } = manualBreaker({ failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 10 });
    succeed(breaker, 4);
    fail(breaker, 4);
    expect(breaker.getState()).toBe('closed'); // 8 calls < minimumCalls
    succeed(breaker);
    fail(breaker);
    expect(breaker.getState()).toBe('open'); // 5 of 10
    expect(breaker.getMetrics().stateChanges.at(-1)?.reason).toBe('failure-rate');
  });

  it('stays closed below the failure rate', () => {
    const { breaker } = manualBreaker({ failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 10 });
    for (let i = 0; i < 50; i++) {
      succeed(breaker, 2);
      fail(breaker);
    }
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics().failureRate).toBeCloseTo(1 / 3, 2);
  });

  it('forgets calls that left the time window', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 0,
      failureRateThreshold: 50,
      minimumCalls: 4,
      slidingWindowSize: 1000,
      slidingWindowBuckets: 10,
    });
    fail(breaker, 3);
    clock.advance(1000);
    expect(breaker.getMetrics().window.failures).toBe(0);
    succeed(breaker, 3);
    fail(breaker);
    expect(breaker.getState()).toBe('closed'); // 1 of 4, the old failures expired
    clock.advance(500);
    fail(breaker, 3);
    expect(breaker.getState()).toBe('open'); // 4 of 7
  });

  it('expires a time window bucket by bucket', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 0, slidingWindowSize: 1000, slidingWindowBuckets: 4 });
    fail(breaker); // bucket at t
    clock.advance(250);
    fail(breaker, 2); // next bucket
    expect(breaker.getMetrics().window.failures).toBe(3);
    clock.advance(750); // the first bucket leaves
    expect(breaker.getMetrics().window.failures).toBe(2);
    clock.advance(250);
    expect(breaker.getMetrics().window.failures).toBe(0);
    expect(breaker.getMetrics().failures).toBe(3); // totals are lifetime
  });

  it('gives an ignored error no place in a count window: a window of N calls still reaches a minimumCalls of N', () => {
    const { breaker } = manualBreaker({
      failureThreshold: 0,
      slidingWindowType: 'count',
      slidingWindowSize: 4,
      failureRateThreshold: 50,
      minimumCalls: 4,
      isFailure: (error) => (error as Error).message !== 'not found',
    });
    const call = (message: string) => {
      try {
        breaker.executeSync(() => {
          throw new Error(message);
        });
      } catch {
        // the breaker rethrows; what counts is what it recorded
      }
    };
    for (let i = 0; i < 3; i++) call('down');
    expect(breaker.getState()).toBe('closed'); // 3 failures: under the minimum of 4
    // Every fourth call ignored: before, one of the window's 4 places always held one, so it
    // never held 4 outcomes and a service failing every other call never tripped the breaker
    // (an outside harness: 750 failures of 1,000 calls, still closed).
    call('not found');
    expect(breaker.getState()).toBe('closed');
    call('down');
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics()).toMatchObject({ ignored: 1, failures: 4, window: { calls: 4, failures: 4 } });
  });

  it('keeps the last N calls in a count window', () => {
    const { breaker } = manualBreaker({
      failureThreshold: 0,
      slidingWindowType: 'count',
      slidingWindowSize: 10,
      slidingWindowBuckets: 10,
      failureRateThreshold: 60,
      minimumCalls: 10,
    });
    fail(breaker, 5);
    succeed(breaker, 10); // the failures fall out of the last 10
    expect(breaker.getMetrics().window).toMatchObject({ calls: 10, failures: 0, successes: 10 });
    fail(breaker, 5);
    expect(breaker.getState()).toBe('closed'); // 5 of 10
    fail(breaker);
    expect(breaker.getState()).toBe('open'); // 6 of 10
  });

  it('trips on the slow-call rate, timing every call', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 0,
      slowCallRateThreshold: 50,
      slowCallDuration: 100,
      minimumCalls: 4,
    });
    const slow = () => breaker.executeSync(() => clock.advance(150));
    succeed(breaker, 2);
    slow();
    expect(breaker.getState()).toBe('closed');
    slow();
    expect(breaker.getState()).toBe('open');
    const metrics = breaker.getMetrics();
    expect(metrics.stateChanges.at(-1)?.reason).toBe('slow-call-rate');
    expect(metrics.slowCalls).toBe(2);
    expect(metrics.latency.samples).toBe(4);
  });

  it('counts a slow failure as slow too', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 0,
      slowCallRateThreshold: 100,
      slowCallDuration: 10,
      minimumCalls: 2,
    });
    expect(() =>
      breaker.executeSync(() => {
        clock.advance(20);
        throw new Error('slow and failed');
      }),
    ).toThrow('slow and failed');
    expect(breaker.getMetrics().slowCalls).toBe(1);
    breaker.executeSync(() => clock.advance(20));
    expect(breaker.getState()).toBe('open');
  });
});
