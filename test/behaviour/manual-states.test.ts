import { describe, expect, it } from 'vitest';
import { fail, manualBreaker, succeed } from './helpers';

describe('manual states', () => {
  it('forceOpen refuses every call until close()', () => {
    const { breaker, clock } = manualBreaker();
    breaker.forceOpen();
    expect(breaker.getState()).toBe('forced-open');
    clock.advance(10 ** 9);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    breaker.close();
    expect(breaker.attempt(() => 1)).toEqual({ ok: true, value: 1 });
    expect(breaker.getMetrics().stateChanges.map((c) => c.reason)).toEqual(['force-open', 'manual-close']);
    expect(breaker.getMetrics().rejections).toBe(1);
  });

  it('disable admits everything, never trips, and still records', () => {
    const { breaker } = manualBreaker({ failureThreshold: 2 });
    breaker.disable();
    fail(breaker, 10);
    succeed(breaker, 3);
    expect(breaker.getState()).toBe('disabled');
    expect(breaker.getMetrics()).toMatchObject({ failures: 10, successes: 3, opens: 0 });
    breaker.close();
    fail(breaker, 2);
    expect(breaker.getState()).toBe('open');
  });

  it('close clears the window and the backoff but keeps totals; reset zeroes totals', () => {
    const { breaker } = manualBreaker({ failureThreshold: 2 });
    fail(breaker, 2);
    breaker.close();
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics()).toMatchObject({ failures: 2, window: { failures: 0 }, consecutiveFailures: 0 });
    fail(breaker);
    breaker.reset();
    expect(breaker.getMetrics()).toMatchObject({ failures: 0, totalCalls: 0, consecutiveFailures: 0, state: 'closed' });
    fail(breaker);
    expect(breaker.getState()).toBe('closed');
  });

  it('a manual operation on the state it is already in is not a transition', () => {
    const { breaker } = manualBreaker();
    const changes: string[] = [];
    breaker.on('stateChange', (c) => changes.push(c.to));
    breaker.close();
    breaker.forceOpen();
    breaker.forceOpen();
    expect(changes).toEqual(['forced-open']);
  });
});
