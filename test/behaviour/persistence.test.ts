import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index';
import { fail, manualBreaker } from './helpers';

describe('toJSON and restore', () => {
  it('a restarted breaker resumes an open circuit with the time it had left, minus the downtime', () => {
    const { breaker, clock } = manualBreaker({
      name: 'search',
      failureThreshold: 1,
      recoveryTimeout: 10_000,
      backoffFactor: 2,
    });
    fail(breaker);
    clock.advance(10_000);
    fail(breaker); // reopen: 20 s, reopens = 1
    clock.advance(5_000);
    const saved = JSON.parse(JSON.stringify(breaker));
    expect(saved).toMatchObject({
      version: 1,
      name: 'search',
      state: 'open',
      remainingMs: 15_000,
      reopens: 1,
      clock: 'manual',
    });
    clock.advance(3_000); // the process was down for 3 s
    const restored = CircuitBreaker.fromJSON(saved, { clock });
    expect(restored.getState()).toBe('open');
    expect(restored.getMetrics().retryAfterMs).toBe(12_000);
    clock.advance(12_000);
    expect(() =>
      restored.executeSync(() => {
        throw new Error('still down');
      }),
    ).toThrow('still down');
    expect(restored.getMetrics().retryAfterMs).toBe(40_000); // the backoff resumed: 10 s * 2^2
  });

  it("holds a restored circuit open no longer than the breaker's own maxRecoveryTimeout", () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      maxRecoveryTimeout: 5_000,
    });
    fail(breaker);
    const saved = breaker.toJSON();
    for (const remainingMs of [9_000, 2 ** 31, 1e15]) {
      const restored = CircuitBreaker.fromJSON({ ...saved, remainingMs }, { clock });
      expect(restored.getMetrics().retryAfterMs).toBe(5_000);
    }
    const restored = CircuitBreaker.fromJSON({ ...saved, remainingMs: 4_000 }, { clock });
    expect(restored.getMetrics().retryAfterMs).toBe(4_000);
  });

  it('restores a half-open circuit as open with nothing left, and a closed one as closed', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 100 });
    fail(breaker);
    clock.advance(100);
    void breaker.execute(() => new Promise(() => {}));
    expect(breaker.getState()).toBe('half-open');
    const restored = CircuitBreaker.fromJSON(breaker.toJSON(), { clock });
    expect(restored.toJSON()).toMatchObject({ state: 'open', remainingMs: 0 });
    expect(restored.getState()).toBe('half-open'); // what the next call meets: it is a probe
    expect(restored.attempt(() => 'probe')).toEqual({ ok: true, value: 'probe' });
    const closed = CircuitBreaker.fromJSON(manualBreaker().breaker.toJSON(), { clock });
    expect(closed.getState()).toBe('closed');
  });

  it('rejects snapshots that are not one, naming the problem', () => {
    const { breaker } = manualBreaker();
    expect(() => breaker.restore(null as never)).toThrow(TypeError);
    expect(() => breaker.restore({ ...breaker.toJSON(), version: 2 as 1 })).toThrow(/version 2/);
    expect(() => breaker.restore({ ...breaker.toJSON(), state: 'ajar' as never })).toThrow(/state must be one of/);
    expect(() => breaker.restore({ ...breaker.toJSON(), remainingMs: -5 })).toThrow(/"remainingMs"/);
  });
});
