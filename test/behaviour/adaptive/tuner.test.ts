import { describe, expect, it } from 'vitest';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry, type CircuitBreaker } from '../../../src/index';
import { assertCore, fail, succeed } from '../helpers';

/** A window of traffic: `calls` calls of which `failures` fail, spread evenly over the calls. */
function windowOf(breaker: CircuitBreaker, calls: number, failures: number): void {
  let failed = 0;
  for (let i = 1; i <= calls; i++) {
    if (failed < Math.floor((i * failures) / calls)) {
      fail(breaker);
      failed++;
    } else {
      succeed(breaker);
    }
  }
}

describe('adaptive tuner', () => {
  it("raises a failure-rate threshold that the breaker's own baseline noise comes near, and says why", () => {
    assertCore();
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    // Different hardware labels: each learns from its own profile.
    const noisy = registry.endpointBreaker('noisy', {
      failureThreshold: 0,
      failureRateThreshold: 25,
      minimumCalls: 10,
      labels: { hardware: 'gpu' },
    });
    const quiet = registry.endpointBreaker('quiet', {
      failureThreshold: 0,
      failureRateThreshold: 25,
      minimumCalls: 10,
      labels: { hardware: 'cpu' },
    });
    const tuner = new AdaptiveTuner(registry, { learningRate: 0.5, minDataPoints: 3 });
    const noisyThresholds: number[] = [];
    for (let round = 0; round < 8; round++) {
      windowOf(noisy, 100, round % 2 === 0 ? 12 : 20); // a 16% baseline that swings by 4 points
      windowOf(quiet, 100, 2);
      tuner.step();
      noisyThresholds.push(noisy.options.failureRateThreshold);
      clock.advance(10_000); // a fresh window for the next round
    }
    expect(noisyThresholds.slice(0, 2)).toEqual([25, 25]); // fewer than minDataPoints samples: no move
    expect(noisyThresholds.at(-1)!).toBeGreaterThan(26); // climbing toward about 16% + 4 x 4%
    expect(Math.min(...noisyThresholds)).toBeGreaterThanOrEqual(25); // never below its own setting
    expect(quiet.options.failureRateThreshold).toBe(25); // never below the breaker's own setting
    const [event] = registry.recent({ event_type: 'tuning', breaker: 'noisy', limit: 1 });
    expect(event).toMatchObject({
      breaker: 'noisy',
      detail: {
        source: 'tuner',
        reason: expect.stringMatching(/failureRateThreshold: baseline failure rate 1\d\.\d\d% ± /),
      },
    });
    tuner.stop();
  });

  it('does not learn a failure that grows a few points a round as the baseline, so the threshold stays', () => {
    assertCore();
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const options = { failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 10 };
    const tuned = registry.getOrCreate('tuned', 'api', options);
    const fixed = registry.getOrCreate('static', 'api', options);
    const tuner = new AdaptiveTuner(registry, { kinds: ['tuned'], learningRate: 0.5, minDataPoints: 3 });
    const round = (failures: number) => {
      for (const breaker of [tuned, fixed]) windowOf(breaker, 100, failures);
      tuner.step();
      clock.advance(10_000); // a fresh window for the next round
    };
    for (let calm = 0; calm < 12; calm++) round(calm % 2 === 0 ? 18 : 22); // a 20% baseline
    // Each window stays within 4 spreads of the one before: read as a mean and variance, the
    // baseline followed the rise and the threshold rose over it from the window at 38%.
    for (let failures = 26; failures <= 46; failures += 4) {
      round(failures);
      expect(tuned.options.failureRateThreshold, `after a window at ${failures}%`).toBe(50);
    }
    expect(tuned.getState()).toBe('closed'); // every rising window was there to be learnt
    tuner.stop();
  });

  it('lengthens recoveryTimeout so half-open probes cost at most probeShare of the normal call rate, and never shortens it', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const busy = registry.workerBreaker('busy', { recoveryTimeout: 60_000, slidingWindowSize: 10_000 });
    const slow = registry.workerBreaker('slow', { recoveryTimeout: 10_000, slidingWindowSize: 10_000 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 3, probeShare: 0.02 });
    let changes: ReturnType<AdaptiveTuner['step']> = [];
    for (let round = 0; round < 3; round++) {
      windowOf(busy, 100, 0); // 10 calls/s
      windowOf(slow, 5, 0); // 0.5 calls/s
      changes = tuner.step();
      clock.advance(10_000);
    }
    expect(busy.options.recoveryTimeout).toBe(60_000); // 1000 / (0.02 x 10) = 5000 would probe 12x as often as it started
    expect(slow.options.recoveryTimeout).toBe(100_000); // 1000 / (0.02 x 0.5)
    expect(slow.options.maxRecoveryTimeout).toBeGreaterThanOrEqual(100_000);
    expect(changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'slow',
          option: 'recoveryTimeout',
          after: 100_000,
          reason: expect.stringMatching(/normal 0\.5 calls\/s/),
        }),
      ]),
    );
    expect(changes.filter((c) => c.name === 'busy' && c.option === 'recoveryTimeout')).toEqual([]);
  });

  it('leaves recoveryTimeout alone without probeShare: a quiet breaker recovers as soon as it started to', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const quiet = registry.workerBreaker('quiet', { recoveryTimeout: 10_000, slidingWindowSize: 10_000 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 3 });
    for (let round = 0; round < 3; round++) {
      windowOf(quiet, 5, 0); // 0.5 calls/s: with probeShare 0.02, 100 s
      expect(tuner.step().filter((change) => change.option === 'recoveryTimeout')).toEqual([]);
      clock.advance(10_000);
    }
    expect(quiet.options.recoveryTimeout).toBe(10_000);
  });

  it('keeps the probe budget over its bounds: a breaker set above them is not pulled down', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const breaker = registry.workerBreaker('patient', {
      recoveryTimeout: 400_000,
      halfOpenTimeout: 200_000,
      timeout: 0,
      slidingWindowSize: 10_000,
    });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 3 }); // bounds: recoveryTimeout <= 300000, halfOpenTimeout <= 120000
    for (let round = 0; round < 4; round++) {
      windowOf(breaker, 100, 0);
      tuner.step();
      clock.advance(10_000);
    }
    expect(breaker.options.recoveryTimeout).toBe(400_000);
    expect(breaker.options.halfOpenTimeout).toBe(200_000);
  });

  it('keeps a threshold at its starting value over bounds below it, as documented', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const breaker = registry.endpointBreaker('strict', { failureThreshold: 10, failureRateThreshold: 40 });
    const tuner = new AdaptiveTuner(registry, {
      learningRate: 1,
      minDataPoints: 3,
      bounds: { failureThreshold: [3, 4], failureRateThreshold: [5, 20] },
    });
    for (let round = 0; round < 4; round++) {
      windowOf(breaker, 100, 1);
      tuner.step();
      clock.advance(10_000);
    }
    expect(breaker.options).toMatchObject({ failureThreshold: 10, failureRateThreshold: 40 });
  });

  it("takes an operator's reconfigure() as the new floor: a lowered failureThreshold is not walked back", () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const breaker = registry.endpointBreaker('payments', { failureThreshold: 6 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 0.5, minDataPoints: 3 });
    const rounds = (count: number) => {
      for (let round = 0; round < count; round++) {
        windowOf(breaker, 200, 1); // a 0.5% baseline: runs of 2 are already rare enough
        tuner.step();
        clock.advance(10_000);
      }
    };
    rounds(4);
    expect(breaker.options.failureThreshold).toBe(6); // the starting value is the floor
    breaker.reconfigure({ failureThreshold: 4 });
    rounds(4);
    expect(breaker.options.failureThreshold).toBe(4); // was walked back to 6, "runs of failures at a 0.50% baseline"
    expect(registry.recent({ event_type: 'tuning', breaker: 'payments' }).map((e) => e.detail!.source)).toEqual([
      'user',
    ]);
  });

  it('a breaker without history learns from the profile of its hardware label', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const veteran = registry.hardwareBreaker('gpu', { recoveryTimeout: 10_000, minimumCalls: 5 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 1, minDataPoints: 3, probeShare: 0.02 });
    for (let round = 0; round < 3; round++) {
      windowOf(veteran, 5, 0); // 0.5 calls/s
      tuner.step();
      clock.advance(10_000);
    }
    const newcomer = registry.getOrCreate('gpu-worker', 'g2', { recoveryTimeout: 10_000, labels: { hardware: 'gpu' } });
    const cpu = registry.getOrCreate('cpu-worker', 'c1', { recoveryTimeout: 10_000, labels: { hardware: 'cpu' } });
    succeed(newcomer);
    succeed(cpu);
    tuner.step();
    expect(tuner.profile('gpu')).toMatchObject({ samples: 3 });
    // From the gpu profile: about 1000 / (0.02 x 0.5 calls/s), with the newcomer's first second (0.1 calls/s)
    // and the veteran's idle fourth window averaged in.
    expect(newcomer.options.recoveryTimeout).toBeGreaterThanOrEqual(100_000);
    expect(newcomer.options.recoveryTimeout).toBeLessThan(125_000);
    expect(cpu.options.recoveryTimeout).toBe(10_000);
  });

  it('counts recovery episodes from the history: trip, failed probes, close', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const breaker = registry.hardwareBreaker('webgpu', { failureThreshold: 2, recoveryTimeout: 1000 });
    const tuner = new AdaptiveTuner(registry, { minDataPoints: 100 });
    fail(breaker, 2);
    clock.advance(1000);
    fail(breaker); // a failed probe
    clock.advance(1000);
    succeed(breaker);
    expect(tuner.profile('webgpu')).toMatchObject({ recoveries: 1 });
  });

  it('runs on the registry tick every retrainingInterval, within bounds', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const breaker = registry.workerBreaker('w', { recoveryTimeout: 1000, slidingWindowSize: 60_000 });
    new AdaptiveTuner(registry, {
      learningRate: 1,
      minDataPoints: 1,
      retrainingInterval: 60_000,
      bounds: { recoveryTimeout: [500, 2500] },
      probeShare: 0.02,
    });
    clock.advance(10_000); // calls 10 s in: still in the 60 s window when the tuner runs at 60 s
    windowOf(breaker, 600, 0); // 10 calls/s over the minute: the target 5000 ms is capped at 2500
    registry.tick();
    expect(breaker.options.recoveryTimeout).toBe(1000); // not due yet
    clock.advance(49_999);
    registry.tick();
    clock.advance(1);
    registry.tick();
    expect(breaker.options.recoveryTimeout).toBe(2500);
  });

  it('refuses bad options by name', () => {
    const registry = new Registry();
    expect(() => new AdaptiveTuner(registry, { learningRate: 0 })).toThrow(
      /"learningRate" must be a number in \(0, 1\]/,
    );
    expect(() => new AdaptiveTuner(registry, { retrainingInterval: 0.5 })).toThrow(/"retrainingInterval"/);
    expect(() => new AdaptiveTuner(registry, { minDataPoints: 0 })).toThrow(/"minDataPoints"/);
    expect(() => new AdaptiveTuner(registry, { probeShare: 2 })).toThrow(/"probeShare"/);
    expect(() => new AdaptiveTuner(registry, { bounds: { recoveryTimeout: [10, 1] } })).toThrow(
      /"bounds.recoveryTimeout" must be \[min, max\]/,
    );
    // JSON showed NaN as null: "got [null,10]".
    expect(() => new AdaptiveTuner(registry, { bounds: { failureThreshold: [NaN, 10] } })).toThrow(
      /"bounds.failureThreshold" must be \[min, max\] with 0 <= min <= max, got \[NaN,10\]$/,
    );
    expect(() => new AdaptiveTuner(registry, { bounds: { jitter: [0, 1] } as never })).toThrow(
      /"bounds.jitter" is not a tuned option/,
    );
    // Unchecked, a string matched kinds by substring, and anything else failed every round.
    expect(() => new AdaptiveTuner(registry, { kinds: 'endpoint' as never })).toThrow(
      /option "kinds" must be an array of kind names \(e.g. \['endpoint'\]\), got "endpoint"/,
    );
    expect(() => new AdaptiveTuner(registry, { kinds: [1] as never })).toThrow(/option "kinds"/);
    // An empty list tuned nothing, without a word.
    expect(() => new AdaptiveTuner(registry, { kinds: [] })).toThrow(
      'breakwater/adaptive: option "kinds" must name at least one kind (leave it out for every kind), got []',
    );
  });
});
