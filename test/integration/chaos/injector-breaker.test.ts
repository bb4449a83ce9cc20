import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock } from '../../../src/index';
import { FaultInjector, isInjectedFault } from '../../../src/chaos/index';
import type { Intensity } from '../../../src/chaos/index';

const ok = async () => 'ok';

function linked(options: { recordMildAndModerate?: boolean; failureThreshold?: number } = {}) {
  const clock = new ManualClock(0);
  const breaker = new CircuitBreaker({ clock, failureThreshold: options.failureThreshold ?? 5, recoveryTimeout: 1000 });
  const injector = new FaultInjector({
    breaker,
    timers: clock,
    seed: 21,
    recordMildAndModerate: options.recordMildAndModerate,
  });
  return { clock, breaker, injector };
}

/** Calls the wrapped function n times (outside the breaker), returning how many were hit. */
async function hits(injector: FaultInjector, n: number): Promise<number> {
  const wrapped = injector.wrap(ok);
  let hit = 0;
  for (let i = 0; i < n; i++) await wrapped().catch(() => hit++);
  return hit;
}

describe('FaultInjector linked to a breaker: state adaptation', () => {
  it('CLOSED allows every intensity', async () => {
    for (const intensity of ['mild', 'moderate', 'severe'] as Intensity[]) {
      const { injector, breaker } = linked({ failureThreshold: 0 });
      injector.inject('connection-reset', intensity);
      expect(breaker.getState()).toBe('closed');
      expect(await hits(injector, 200)).toBeGreaterThan(0);
      expect(injector.getFailureStats().suppressed).toBe(0);
    }
  });

  it('HALF_OPEN allows mild and moderate, and suppresses severe', async () => {
    const { injector, breaker, clock } = linked({ failureThreshold: 1 });
    breaker.recordFailure(new Error('trip'));
    clock.advance(1000);
    // A probe that never answers keeps the circuit half-open while the injector is called.
    void breaker.execute(() => new Promise(() => {}));
    expect(breaker.getState()).toBe('half-open');
    const stopSevere = injector.inject('reject', 'severe');
    expect(await hits(injector, 50)).toBe(0);
    expect(injector.getFailureStats().suppressed).toBe(50);
    stopSevere();
    injector.inject('reject', 'moderate');
    const moderate = await hits(injector, 200);
    expect(moderate).toBeGreaterThan(40);
    expect(breaker.getState()).toBe('half-open'); // moderate faults are not recorded by default
  });

  it('OPEN allows none', async () => {
    const { injector, breaker } = linked({ failureThreshold: 1 });
    breaker.recordFailure(new Error('trip'));
    expect(breaker.getState()).toBe('open');
    injector.inject('crash', 'mild');
    injector.inject('reject', 'severe');
    expect(await hits(injector, 100)).toBe(0);
    breaker.forceOpen();
    expect(await hits(injector, 100)).toBe(0);
    expect(injector.getFailureStats().injected).toBe(0);
  });
});

describe('FaultInjector linked to a breaker: selective recording', () => {
  it('records severe faults as failures in the breaker, which trips on them', async () => {
    const { injector, breaker } = linked({ failureThreshold: 3 });
    injector.inject('connection-refused', 'severe');
    await hits(injector, 3);
    expect(breaker.getMetrics().failures).toBe(3);
    expect(breaker.getState()).toBe('open');
    expect(injector.getFailureStats().recorded).toBe(3);
  });

  it('records crashes at any intensity', async () => {
    const { injector, breaker } = linked({ failureThreshold: 0 });
    injector.inject('crash', 'mild');
    const hit = await hits(injector, 300);
    expect(hit).toBeGreaterThan(0);
    expect(breaker.getMetrics().failures).toBe(hit);
  });

  it('does not record mild and moderate faults unless recordMildAndModerate is set', async () => {
    const quiet = linked({ failureThreshold: 0 });
    quiet.injector.inject('reject', 'moderate');
    expect(await hits(quiet.injector, 200)).toBeGreaterThan(0);
    expect(quiet.breaker.getMetrics().failures).toBe(0);
    expect(quiet.injector.getFailureStats().recorded).toBe(0);

    const loud = linked({ failureThreshold: 0, recordMildAndModerate: true });
    loud.injector.inject('reject', 'moderate');
    loud.injector.inject('throw', 'mild');
    const wrapped = loud.injector.wrap(ok);
    let hit = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await wrapped().catch(() => hit++);
      } catch {
        hit++;
      }
    }
    expect(hit).toBeGreaterThan(0);
    expect(loud.breaker.getMetrics().failures).toBe(hit);
  });

  it('a breaker that ignores injected errors counts only what the injector records (no double count)', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0, isFailure: (error) => !isInjectedFault(error) });
    const injector = new FaultInjector({ breaker, timers: clock, seed: 4 });
    injector.inject('reject', 'moderate');
    injector.inject('connection-reset', 'severe');
    const wrapped = injector.wrap(ok);
    for (let i = 0; i < 20; i++) await breaker.execute(wrapped).catch(() => {});
    expect(breaker.getMetrics().failures).toBe(injector.getFailureStats().byIntensity.severe);
    expect(injector.getFailureStats().byIntensity.severe).toBeGreaterThan(0);
  });
});

describe('getFailureStats', () => {
  it('counts injected faults by type and intensity', async () => {
    const injector = new FaultInjector({ seed: 8 });
    injector.inject('reject', 'severe');
    const wrapped = injector.wrap(ok);
    for (let i = 0; i < 5; i++) await wrapped().catch(() => {});
    injector.clear();
    injector.inject('connection-reset', 'severe');
    for (let i = 0; i < 3; i++) await wrapped().catch(() => {});
    injector.clear();
    await wrapped();
    const stats = injector.getFailureStats();
    expect(stats).toMatchObject({ calls: 9, injected: 8, suppressed: 0, notApplicable: 0, recorded: 0 });
    expect(stats.byType).toMatchObject({ reject: 5, 'connection-reset': 3, crash: 0 });
    expect(stats.byIntensity).toEqual({ mild: 0, moderate: 0, severe: 8 });
    expect(stats.byTypeAndIntensity.reject).toEqual({ mild: 0, moderate: 0, severe: 5 });
    expect(stats.circuit).toBeUndefined();
    injector.resetStats();
    expect(injector.getFailureStats().calls).toBe(0);
  });

  it('when linked, reports the circuit state, failure count, threshold and threshold percent', async () => {
    const { injector, breaker } = linked({ failureThreshold: 4 });
    injector.inject('crash', 'severe');
    await hits(injector, 3);
    expect(injector.getFailureStats().circuit).toMatchObject({
      name: breaker.name,
      state: 'closed',
      failureCount: 3,
      threshold: 4,
      thresholdPercent: 75,
    });
    await hits(injector, 1);
    expect(injector.getFailureStats().circuit).toMatchObject({ state: 'open', failureCount: 4, thresholdPercent: 100 });
  });

  it('threshold percent follows a failure-rate rule once the window holds minimumCalls', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 10 });
    const injector = new FaultInjector({ breaker, timers: clock });
    for (let i = 0; i < 8; i++) breaker.recordSuccess();
    breaker.recordFailure();
    expect(injector.getFailureStats().circuit).toMatchObject({ thresholdPercent: 0, failureRateThreshold: 50 });
    breaker.recordSuccess();
    // 1 failure in 10 calls = 10% of a 50% threshold.
    expect(injector.getFailureStats().circuit).toMatchObject({ thresholdPercent: 20, failureRate: 0.1 });
  });
});
