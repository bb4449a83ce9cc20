import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/index';
import { fail, manualBreaker } from './helpers';

/**
 * A probe whose holder died (a process killed, a worker terminated) never settles, and its call
 * timer died with it. Here the holder is a view with no timeout of its own: its probe never
 * answers, as a dead holder's would not.
 */
function tripWithLostProbe(options: CircuitBreakerOptions) {
  const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 1000, ...options });
  const holder = CircuitBreaker.fromHandle(breaker.handle, { timeout: 0 });
  fail(breaker);
  clock.advance(1000);
  const hold = () => void holder.execute(() => new Promise(() => {}));
  return { breaker, clock, hold };
}

/** A round of two probes that both must succeed, timed calls, no half-open timeout. */
const TWO_PROBES = { timeout: 500, halfOpenTimeout: 0, halfOpenMaxCalls: 2, halfOpenSuccessThreshold: 2 };

describe('a half-open round whose probe holder is gone', () => {
  it('ends the call timeout after the probe was granted, with halfOpenTimeout 0, and probes again', () => {
    const { breaker, clock, hold } = tripWithLostProbe({ timeout: 500, halfOpenTimeout: 0 });
    hold();
    expect(breaker.getState()).toBe('half-open');
    clock.advance(499);
    expect(breaker.attempt(() => 1).ok).toBe(false); // the probe is still out: it may yet answer
    expect(breaker.getState()).toBe('half-open');
    clock.advance(1);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics().stateChanges.at(-1)?.reason).toBe('half-open-timeout');
    clock.advance(1000);
    expect(breaker.attempt(() => 1).ok).toBe(true); // a new probe, which closes it
    expect(breaker.getState()).toBe('closed');
  });

  it('ends it before halfOpenTimeout when the call timeout is shorter', () => {
    const { breaker, clock, hold } = tripWithLostProbe({ timeout: 500, halfOpenTimeout: 60_000 });
    hold();
    clock.advance(500);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('open');
  });

  it('counts from the newest probe: an older one overdue leaves a newer one its time', () => {
    const { breaker, clock, hold } = tripWithLostProbe(TWO_PROBES);
    hold();
    clock.advance(400);
    hold();
    clock.advance(499); // the first is 899 ms out, the second 499
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('half-open');
    clock.advance(1);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('open');
  });

  it('never cuts a round that still has a probe to give: sparse traffic closes it probe by probe', () => {
    const { breaker, clock } = tripWithLostProbe(TWO_PROBES);
    expect(breaker.attempt(() => 1).ok).toBe(true);
    clock.advance(60_000); // the next call comes a minute later
    expect(breaker.getState()).toBe('half-open');
    expect(breaker.attempt(() => 1).ok).toBe(true);
    expect(breaker.getState()).toBe('closed');
  });

  it('holds the round while the probe is out when the breaker has neither timeout nor halfOpenTimeout (README)', () => {
    const { breaker, clock, hold } = tripWithLostProbe({ timeout: 0, halfOpenTimeout: 0 });
    hold();
    clock.advance(86_400_000);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('half-open');
    breaker.close(); // by hand, or reset()
    expect(breaker.attempt(() => 1).ok).toBe(true);
  });
});
