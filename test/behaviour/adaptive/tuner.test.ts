import { describe, expect, it } from 'vitest';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry, type CircuitBreaker } from '../../../src/index';
import { assertCore, fail, succeed } from '../helpers';

/** A window of traffic with the given failures out of 100. */
function windowOf(breaker: CircuitBreaker, failures: number): void {
  succeed(breaker, 100 - failures);
  fail(breaker, failures);
}

/** A trip, then `rounds - 1` failed probes and a good one, `gapMs` apart. */
function episode(breaker: CircuitBreaker, clock: ManualClock, rounds: number, gapMs: number): void {
  fail(breaker, breaker.options.failureThreshold);
  for (let round = 1; round <= rounds; round++) {
    clock.advance(gapMs);
    if (round < rounds) fail(breaker);
    else succeed(breaker);
  }
}

describe('adaptive tuner', () => {
  it('moves the failure-rate threshold toward the baseline + 4 sigma, a learning-rate step per round, and says why', () => {
    assertCore();
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const breaker = registry.createEndpointBreaker('api', { failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 10 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 0.5, minDataPoints: 3 });
    const thresholds: number[] = [];
    for (let round = 0; round < 8; round++) {
      windowOf(breaker, 2);
      tuner.step();
      thresholds.push(breaker.options.failureRateThreshold);
      clock.advance(10_000); // a fresh window for the next round
    }
    expect(thresholds.slice(0, 2)).toEqual([50, 50]); // fewer than minDataPoints samples: no move
    expect(thresholds.at(-1)!).toBeLessThan(10);
    expect(thresholds.at(-1)!).toBeGreaterThanOrEqual(5); // the lower bound
    for (let i = 1; i < thresholds.length; i++) expect(thresholds[i]).toBeLessThanOrEqual(thresholds[i - 1]);
    const [event] = registry.recent({ event_type: 'tuning', limit: 1 });
    expect(event.detail).toMatchObject({ source: 'tuner', reason: expect.stringMatching(/failureRateThreshold: baseline failure rate 2\.00%/) });
    tuner.stop();
  });

  it('lengthens recoveryTimeout when recoveries need several probe rounds, shortens it when the first probe closes', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const slow = registry.createWorkerBreaker('slow-to-heal', { failureThreshold: 2, recoveryTimeout: 1000 });
    const quick = registry.createWorkerBreaker('quick', { failureThreshold: 2, recoveryTimeout: 8000 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 3, bounds: { recoveryTimeout: [500, 60_000] } });
    for (let i = 0; i < 3; i++) {
      episode(slow, clock, 4, 1000); // healed after ~4 s: three probes were wasted
      episode(quick, clock, 1, 8000);
    }
    const changes = tuner.step();
    expect(changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'slow-to-heal', option: 'recoveryTimeout', before: 1000, after: 4000 }),
        expect.objectContaining({ name: 'quick', option: 'recoveryTimeout', before: 8000, after: 6400 }),
      ]),
    );
    expect(slow.options.recoveryTimeout).toBe(4000);
    expect(quick.options.recoveryTimeout).toBe(6400);
  });

  it('a breaker without history learns from the profile of its hardware label', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const veteran = registry.createHardwareBreaker('gpu', { failureThreshold: 2, recoveryTimeout: 1000 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 2 });
    for (let i = 0; i < 2; i++) episode(veteran, clock, 3, 1000);
    const newcomer = registry.getOrCreate('gpu-worker', 'g2', { failureThreshold: 2, recoveryTimeout: 1000, labels: { hardware: 'gpu' } });
    const cpu = registry.getOrCreate('cpu-worker', 'c1', { failureThreshold: 2, recoveryTimeout: 1000, labels: { hardware: 'cpu' } });
    succeed(newcomer);
    succeed(cpu);
    tuner.step();
    expect(tuner.profile('gpu')).toMatchObject({ recoveries: 2 });
    expect(newcomer.options.recoveryTimeout).toBe(3000);
    expect(cpu.options.recoveryTimeout).toBe(1000);
  });

  it('runs on the registry tick every retrainingInterval, within bounds', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const breaker = registry.createWorkerBreaker('w', { failureThreshold: 2, recoveryTimeout: 1000 });
    new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 1, retrainingInterval: 60_000, bounds: { recoveryTimeout: [500, 2500] } });
    episode(breaker, clock, 5, 1000);
    registry.tick();
    expect(breaker.options.recoveryTimeout).toBe(1000); // not due yet
    clock.advance(60_000);
    registry.tick();
    expect(breaker.options.recoveryTimeout).toBe(2500); // the median 5 s, capped by the bound
  });

  it('refuses bad options by name', () => {
    const registry = new Registry();
    expect(() => new AdaptiveTuner(registry, { learningRate: 0 })).toThrow(/"learningRate" must be a number in \(0, 1\]/);
    expect(() => new AdaptiveTuner(registry, { retrainingInterval: 0.5 })).toThrow(/"retrainingInterval"/);
    expect(() => new AdaptiveTuner(registry, { minDataPoints: 0 })).toThrow(/"minDataPoints"/);
    expect(() => new AdaptiveTuner(registry, { bounds: { recoveryTimeout: [10, 1] } })).toThrow(/"bounds.recoveryTimeout" must be \[min, max\]/);
    expect(() => new AdaptiveTuner(registry, { bounds: { jitter: [0, 1] } as never })).toThrow(/"bounds.jitter" is not a tuned option/);
  });
});
