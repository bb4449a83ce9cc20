import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { assertCore, fail } from './helpers';

const DAY = 24 * 3600 * 1000;
/** Idle spans where 32-bit serial arithmetic alone calls an expired deadline "ahead" again. */
const IDLE_SPANS = [25 * DAY, 2 ** 32 - 30_000, 2 ** 32 + 1000, 60 * DAY, 400 * DAY];

describe('an open circuit idle for weeks', () => {
  it.each(IDLE_SPANS)('admits a probe after %d ms idle', (idleMs) => {
    assertCore();
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 60_000 });
    fail(breaker);
    expect(breaker.attempt(() => 1).ok).toBe(false); // refused while open (the core confirms the deadline)
    expect(breaker.attempt(() => 1).ok).toBe(false); // and again, decided in JS
    clock.advance(idleMs);
    expect(breaker.attempt(() => 'probe')).toEqual({ ok: true, value: 'probe' });
    expect(breaker.getState()).toBe('closed');
  });

  it.each(IDLE_SPANS)('reads half-open with nothing left to wait after %d ms idle', (idleMs) => {
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 60_000 });
    fail(breaker);
    clock.advance(idleMs);
    expect(breaker.getMetrics()).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
    expect(breaker.getState()).toBe('half-open');
  });

  it('still refuses for exactly its open period when it tripped after a long idle', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 60_000 });
    breaker.executeSync(() => 1);
    clock.advance(2 ** 32 - 10); // the trip's deadline wraps past 2^32 ms
    fail(breaker);
    clock.advance(59_999);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getMetrics().retryAfterMs).toBe(1);
    clock.advance(1);
    expect(breaker.attempt(() => 'probe').ok).toBe(true);
  });

  it('a half-open circuit whose probe never answered reopens on its half-open timeout after weeks idle', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1000, halfOpenTimeout: 5000 });
    fail(breaker);
    clock.advance(1000);
    void breaker.execute(() => new Promise(() => {})); // the one probe, never settled
    clock.advance(30 * DAY);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getMetrics().stateChanges.at(-1)?.reason).toBe('half-open-timeout');
  });
});

describe('the state a read reports', () => {
  it('is what the next call meets: half-open once the open period is over, consistent with retryAfterMs and events', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1000 });
    const changes: string[] = [];
    breaker.on('stateChange', (change) => changes.push(`${change.from}->${change.to}`));
    fail(breaker);
    clock.advance(999);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics()).toMatchObject({ state: 'open', retryAfterMs: 1 });
    clock.advance(201);
    expect(breaker.getState()).toBe('half-open');
    expect(breaker.getMetrics()).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
    expect(changes).toEqual(['closed->open']); // a read moves nothing; the next call makes the transition
    expect(breaker.attempt(() => 'probe').ok).toBe(true);
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a forced-open circuit stays forced-open however long it waits', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock });
    breaker.forceOpen();
    clock.advance(100 * DAY);
    expect(breaker.getState()).toBe('forced-open');
  });
});
