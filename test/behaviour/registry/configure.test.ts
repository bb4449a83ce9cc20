import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src/index';
import { fail } from '../helpers';

describe('registry configuration per kind', () => {
  it('applies to existing and future breakers of the kind; creation options win', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const early = registry.workerBreaker('early');
    const pinned = registry.workerBreaker('pinned', { failureThreshold: 7 });
    const other = registry.endpointBreaker('https://x');
    registry.configure('worker', {
      failureThreshold: 2,
      recoveryTimeout: 5000,
      backoffFactor: 2,
      maxRecoveryTimeout: 60_000,
      halfOpenSuccessThreshold: 2,
    });
    const late = registry.workerBreaker('late');
    for (const breaker of [early, late]) {
      expect(breaker.options).toMatchObject({
        failureThreshold: 2,
        recoveryTimeout: 5000,
        backoffFactor: 2,
        maxRecoveryTimeout: 60_000,
        halfOpenSuccessThreshold: 2,
      });
    }
    expect(pinned.options.failureThreshold).toBe(7);
    expect(pinned.options.recoveryTimeout).toBe(5000);
    expect(other.options.failureThreshold).toBe(5);
    fail(early, 2);
    expect(early.getState()).toBe('open');
    expect(registry.kindConfiguration('worker')).toMatchObject({ failureThreshold: 2 });
  });

  it('a bad configuration is refused before anything changes, naming the option', () => {
    const registry = new Registry();
    const breaker = registry.workerBreaker('w');
    expect(() => registry.configure('worker', { failureRateThreshold: 150 })).toThrow(
      /option "failureRateThreshold" must be a number from 0 to 100/,
    );
    expect(() => registry.configure('worker', { labels: {} } as never)).toThrow(
      /option "labels" can't change on a live breaker/,
    );
    expect(breaker.options.failureRateThreshold).toBe(0);
    expect(() => registry.configure('', {})).toThrow(/kind must be a non-empty string/);
  });

  it('names the breaker a kind configuration can not apply to', () => {
    const registry = new Registry();
    registry.workerBreaker('used').executeSync(() => 1);
    expect(() => registry.configure('worker', { slidingWindowBuckets: 20 })).toThrow(
      /can't apply to worker "used".*"slidingWindowBuckets" can be at most 10/,
    );
  });

  it('getOrCreate returns the same breaker for a kind and name; bad names are refused', () => {
    const registry = new Registry();
    const first = registry.getOrCreate('gpu-pool', 'a100-1');
    expect(registry.getOrCreate('gpu-pool', 'a100-1')).toBe(first);
    expect(first.name).toBe('gpu-pool/a100-1');
    expect(registry.size).toBe(1);
    expect([...registry.entries()].map((e) => [e.kind, e.name])).toEqual([['gpu-pool', 'a100-1']]);
    expect(() => registry.getOrCreate('worker', '')).toThrow(/a worker breaker needs a non-empty string name/);
    expect(() => registry.getOrCreate('endpoint', '')).toThrow(/an endpoint breaker needs a non-empty string name/);
    expect(() => registry.getOrCreate('worker', 'x', { clock: new ManualClock() })).toThrow(/registry's clock/);
    expect(registry.remove('gpu-pool', 'a100-1')).toBe(true);
    expect(registry.remove('gpu-pool', 'a100-1')).toBe(false);
    expect(() => first.executeSync(() => 1)).toThrow(/disposed/);
  });

  it('many registered breakers cost no core slot and no timer each', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    for (let i = 0; i < 100_000; i++) registry.endpointBreaker(`e${i}`);
    expect(timers() - before).toBeLessThanOrEqual(1);
    expect(clock.pool.arenas.length).toBe(0);
    expect(registry.health()).toMatchObject({ total: 100_000, closed: 100_000, averageHealth: 100 });
    expect(clock.pool.arenas.length).toBe(0);
  });
});
