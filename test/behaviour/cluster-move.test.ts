import { describe, expect, it } from 'vitest';
import { fail, manualBreaker } from './helpers';

describe("the cluster's decisions (clusterMove)", () => {
  it('opens a closed circuit for the period given, which then probes as after a trip', () => {
    const { breaker, clock } = manualBreaker({ recoveryTimeout: 60_000 });
    expect(breaker.clusterMove('open', 5_000)).toBe(true);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics().retryAfterMs).toBe(5_000);
    clock.advance(4_999);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    clock.advance(1);
    expect(breaker.attempt(() => 1)).toEqual({ ok: true, value: 1 });
    expect(breaker.getMetrics().stateChanges.map((c) => `${c.to}:${c.reason}`)).toEqual([
      'open:cluster',
      'half-open:recovery-timeout',
      'closed:probe-success',
    ]);
  });

  it('gives an open circuit a new deadline, and closes open and half-open circuits', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    const heard: string[] = [];
    breaker.on('stateChange', (change) => heard.push(`${change.from}>${change.to}:${change.reason}`));
    fail(breaker);
    expect(breaker.clusterMove('open', 30_000)).toBe(true);
    clock.advance(1_000);
    expect(breaker.attempt(() => 1).ok).toBe(false); // the trip's own deadline no longer holds
    expect(breaker.getMetrics().retryAfterMs).toBe(29_000);
    expect(breaker.clusterMove('open', 0)).toBe(true); // the probe lease: the deadline is now
    expect(breaker.getMetrics().retryAfterMs).toBe(0);
    expect(breaker.clusterMove('open', 30_000)).toBe(true);
    // Moving an open circuit's deadline is no change of state: no event, no open counted, not in
    // stateChanges (before: 'open' heard and counted again at each move).
    expect(heard).toEqual(['closed>open:consecutive-failures']);
    expect(breaker.getMetrics().opens).toBe(1);
    expect(breaker.clusterMove('closed')).toBe(true);
    expect(breaker.getState()).toBe('closed');
    expect(breaker.clusterMove('closed')).toBe(false);
    expect(breaker.getMetrics().stateChanges.map((c) => `${c.from}>${c.to}:${c.reason}`)).toEqual([
      'closed>open:consecutive-failures',
      'open>closed:cluster',
    ]);
    expect(heard).toEqual(['closed>open:consecutive-failures', 'open>closed:cluster']);
  });

  it('leaves a circuit forced open or disabled by hand alone', () => {
    const { breaker } = manualBreaker();
    breaker.forceOpen();
    expect(breaker.clusterMove('closed')).toBe(false);
    expect(breaker.getState()).toBe('forced-open');
    breaker.disable();
    expect(breaker.clusterMove('open', 1_000)).toBe(false);
    expect(breaker.getState()).toBe('disabled');
  });
});
