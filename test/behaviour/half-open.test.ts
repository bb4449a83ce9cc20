import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/index';
import { fail, manualBreaker, succeed } from './helpers';

describe('recovery through half-open', () => {
  it('admits halfOpenMaxCalls probes after recoveryTimeout and refuses the rest', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1000,
      halfOpenMaxCalls: 2,
      halfOpenSuccessThreshold: 2,
    });
    fail(breaker);
    clock.advance(999);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    clock.advance(1);
    const probes: Array<() => void> = [];
    const hold = () => new Promise<void>((resolve) => probes.push(resolve));
    const first = breaker.execute(hold);
    expect(breaker.getState()).toBe('half-open');
    const second = breaker.execute(hold);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(probes).toHaveLength(2);
    return (async () => {
      probes[0]();
      await first;
      expect(breaker.getState()).toBe('half-open');
      probes[1]();
      await second;
      expect(breaker.getState()).toBe('closed');
      expect(breaker.getMetrics().stateChanges.map((c) => c.reason)).toEqual([
        'consecutive-failures',
        'recovery-timeout',
        'probe-success',
      ]);
    })();
  });

  it('reopens on a probe failure', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 1000 });
    fail(breaker);
    clock.advance(1000);
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics().stateChanges.at(-1)?.reason).toBe('probe-failure');
    expect(breaker.getMetrics().retryAfterMs).toBe(1000);
  });

  it('reopens when halfOpenTimeout passes without enough successes', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1000,
      halfOpenTimeout: 500,
      halfOpenMaxCalls: 1,
    });
    fail(breaker);
    clock.advance(1000);
    void breaker.execute(() => new Promise(() => {})); // a probe that never answers
    expect(breaker.getState()).toBe('half-open');
    clock.advance(499);
    expect(breaker.attempt(() => 1).ok).toBe(false); // the probe is out
    clock.advance(1);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics().stateChanges.at(-1)?.reason).toBe('half-open-timeout');
  });

  it('multiplies the open period by backoffFactor per reopen, up to maxRecoveryTimeout, and a clean close resets it', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1000,
      backoffFactor: 2,
      maxRecoveryTimeout: 5000,
    });
    fail(breaker);
    const periods: number[] = [];
    for (let i = 0; i < 4; i++) {
      periods.push(breaker.getMetrics().retryAfterMs);
      clock.advance(periods.at(-1)!);
      fail(breaker); // the probe fails: reopen
    }
    periods.push(breaker.getMetrics().retryAfterMs);
    expect(periods).toEqual([1000, 2000, 4000, 5000, 5000]);
    clock.advance(5000);
    succeed(breaker);
    expect(breaker.getState()).toBe('closed');
    fail(breaker);
    expect(breaker.getMetrics().retryAfterMs).toBe(1000);
    expect(breaker.getMetrics().reopens).toBe(0);
  });

  it('shortens open periods by at most the jitter fraction, deterministically per generation', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 10_000, jitter: 0.5 });
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      fail(breaker);
      const period = breaker.getMetrics().retryAfterMs;
      expect(period).toBeGreaterThan(5000);
      expect(period).toBeLessThanOrEqual(10_000);
      seen.add(period);
      clock.advance(period);
      succeed(breaker);
    }
    expect(seen.size).toBeGreaterThan(10);
  });

  it('an outcome admitted under an older generation does not move the new state', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 1000 });
    let release!: (value: unknown) => void;
    const slow = breaker.execute(() => new Promise((_, reject) => (release = reject)));
    fail(breaker); // trips while the slow call is in flight
    clock.advance(1000);
    succeed(breaker); // probe succeeds: closed, new generation
    expect(breaker.getState()).toBe('closed');
    release(new Error('late failure'));
    await expect(slow).rejects.toThrow('late failure');
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics().failures).toBe(2); // still counted
  });

  it('rejects with CircuitOpenError carrying the name and the time left', () => {
    const { breaker, clock } = manualBreaker({ name: 'payments', failureThreshold: 1, recoveryTimeout: 30_000 });
    fail(breaker);
    clock.advance(10_000);
    try {
      breaker.executeSync(() => 1);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(error).toMatchObject({ breaker: 'payments', retryAfterMs: 20_000, state: 'open', code: 'ECIRCUITOPEN' });
    }
  });

  it('ignored probe outcomes give the probe back', () => {
    const { breaker, clock } = manualBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1000,
      isFailure: (e) => !(e instanceof RangeError),
    });
    fail(breaker);
    clock.advance(1000);
    expect(() =>
      breaker.executeSync(() => {
        throw new RangeError('not our fault');
      }),
    ).toThrow(RangeError);
    expect(breaker.getState()).toBe('half-open');
    succeed(breaker); // the probe was returned, so this one is admitted
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics().ignored).toBe(1);
  });
});
