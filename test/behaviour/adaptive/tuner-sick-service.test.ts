import { describe, expect, it } from 'vitest';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry, type CircuitBreaker, type CircuitBreakerOptions } from '../../../src/index';
import { SeededRandom } from '../../../src/random';
import { assertCore, fail, succeed } from '../helpers';

/** Usual settings (the simulator's static breaker): 50% of a 10 s window, at least 20 calls, one probe per round. */
const USUAL: CircuitBreakerOptions = {
  slidingWindowType: 'time',
  slidingWindowSize: 10_000,
  failureRateThreshold: 50,
  minimumCalls: 20,
  failureThreshold: 0,
  halfOpenMaxCalls: 1,
};

/**
 * A static breaker and a tuned one with the same settings, side by side on one manual clock; the
 * tuner (a round every 10 s) has watched a minute of healthy traffic at `perSecond` calls/s, of
 * which every `failEvery`th fails (never two in a row) when it is given.
 */
function staticAndTuned(start: CircuitBreakerOptions, perSecond: number, failEvery = 0) {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const fixed = registry.getOrCreate('static', 'api', start);
  const tuned = registry.getOrCreate('tuned', 'api', start);
  const tuner = new AdaptiveTuner(registry, {
    kinds: ['tuned'],
    learningRate: 1,
    minDataPoints: 3,
    retrainingInterval: 10_000,
  });
  for (let second = 1; second <= 60; second++) {
    for (let call = 1; call <= perSecond; call++) {
      const outcome = failEvery > 0 && call % failEvery === 0 ? fail : succeed;
      outcome(fixed);
      outcome(tuned);
    }
    clock.advance(1000);
    registry.tick();
  }
  return { clock, registry, fixed, tuned, tuner };
}

/** Calls a service every `everyMs` for `forMs` through each breaker (tuning rounds keep falling due); the calls that reached it. */
async function callsReaching(
  setup: ReturnType<typeof staticAndTuned>,
  service: () => unknown,
  everyMs: number,
  forMs: number,
): Promise<{ fixed: number; tuned: number }> {
  const reached = { fixed: 0, tuned: 0 };
  const through = (breaker: CircuitBreaker, side: 'fixed' | 'tuned') =>
    breaker
      .execute(() => {
        reached[side]++;
        return service();
      })
      .catch(() => undefined);
  for (let t = 0; t < forMs; t += everyMs) {
    void through(setup.fixed, 'fixed');
    void through(setup.tuned, 'tuned');
    setup.clock.advance(everyMs);
    setup.registry.tick();
    await Promise.resolve();
  }
  return reached;
}

// Minutes of virtual time call by call: more work than most behaviour tests, hence the longer limit.
describe('adaptive tuner: never more calls to a sick service than the static breaker', { timeout: 30_000 }, () => {
  it('never sends more calls to a failing service than the static breaker does, at any call rate or recovery timeout', async () => {
    assertCore();
    for (const recoveryTimeout of [1000, 5000, 30_000]) {
      for (const perSecond of [2, 200]) {
        const setup = staticAndTuned({ ...USUAL, recoveryTimeout }, perSecond);
        const reached = await callsReaching(setup, () => Promise.reject(new Error('down')), 100, 3 * 60_000);
        expect(reached.tuned, `recoveryTimeout ${recoveryTimeout} ms, ${perSecond} calls/s`).toBeLessThanOrEqual(
          reached.fixed,
        );
        setup.tuner.stop();
      }
    }
  });

  it("never ends a probe round before the probe's own timeout, so a hanging service gets no more probes than the static breaker sends", async () => {
    const setup = staticAndTuned({ ...USUAL, recoveryTimeout: 2000, timeout: 5000 }, 300);
    // The tuner learned a short halfOpenTimeout from the fast healthy calls; a hanging probe still holds the round until its timeout.
    const reached = await callsReaching(setup, () => new Promise(() => undefined), 100, 5 * 60_000);
    expect(reached.tuned).toBeLessThanOrEqual(reached.fixed);
    expect(setup.tuned.options.halfOpenTimeout).toBeGreaterThanOrEqual(5000);
    setup.tuner.stop();
  });

  it('a failureThreshold raised over baseline noise lets that many more calls reach a failing service before the trip, and no more after it', async () => {
    const start = { failureThreshold: 3, recoveryTimeout: 5000 };
    const setup = staticAndTuned(start, 50, 5); // a 20% baseline, spread out: no run of failures
    expect(setup.tuned.options.failureThreshold).toBe(6); // runs of 6 at 20% have odds below 1e-4
    // A 20 s outage at 50 calls/s: the open periods and probes match; the trip comes 3 calls later.
    const reached = await callsReaching(setup, () => Promise.reject(new Error('down')), 20, 20_000);
    expect(reached).toEqual({ fixed: 3 + 2, tuned: 6 + 2 }); // the calls that trip it, then the same 2 probes
    setup.tuner.stop();
  });

  it('does not learn a brownout as baseline noise: the threshold stays, so the tuned breaker trips as often as the static one', async () => {
    const setup = staticAndTuned({ ...USUAL, recoveryTimeout: 10_000 }, 20);
    // 48% of calls fail from now on (the same outcome for both breakers at the same instant): the
    // static breaker trips whenever a window's share passes 50%.
    const brownout = () =>
      new SeededRandom(setup.clock.now()).chance(0.48) ? Promise.reject(new Error('503')) : Promise.resolve(1);
    const reached = await callsReaching(setup, brownout, 100, 5 * 60_000);
    expect(setup.tuned.options.failureRateThreshold).toBe(50);
    expect(reached.tuned).toBeLessThanOrEqual(reached.fixed);
    setup.tuner.stop();
  });
});
