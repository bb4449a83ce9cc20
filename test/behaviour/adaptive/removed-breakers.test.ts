import { describe, expect, it } from 'vitest';
import { EarlyWarning } from '../../../src/adaptive/early-warning';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry, type CircuitBreaker } from '../../../src/index';
import { runTick } from '../../../src/tick';
import { fail, recentFailureShareModel, succeed } from '../helpers';

/**
 * A breaker that leaves the registry leaves nothing of itself in the early warning and the tuner:
 * a service whose names come and go (tenants, endpoints) kept a latch, a last probability, a
 * history and its floors for every name it ever had (the heap grew by about 150 bytes per breaker
 * made and removed), and a breaker made again under a removed name inherited them.
 */
/** 100 calls, `failures` of them failing, spread evenly. */
function windowOf(breaker: CircuitBreaker, failures: number): void {
  for (let i = 0; i < 100; i++)
    (Math.floor(((i + 1) * failures) / 100) > Math.floor((i * failures) / 100) ? fail : succeed)(breaker);
}

describe('a breaker removed from the registry', () => {
  it('leaves no pre-open latch behind: a breaker made again under its name is pre-opened on its own evidence', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const warning = new EarlyWarning(registry, recentFailureShareModel, { mode: 'open' });
    const options = { failureThreshold: 0, minimumCalls: 10, recoveryTimeout: 5000 };
    const troubled = (): CircuitBreaker => {
      const breaker = registry.endpointBreaker('payments', options);
      succeed(breaker, 20);
      runTick();
      fail(breaker, 56);
      return breaker;
    };
    const first = troubled();
    expect((await warning.step(clock.now()))[0].preOpened).toBe(false); // evidence in one round only
    expect((await warning.step(clock.now()))[0].preOpened).toBe(true);
    expect(first.getState()).toBe('open');
    registry.remove('endpoint', 'payments');
    const second = troubled();
    // Its own evidence, twice: the first breaker's round of evidence does not count for it.
    expect((await warning.step(clock.now()))[0].preOpened).toBe(false);
    // Before, the first breaker's latch (its probability never fell below releaseThreshold) held it back.
    expect((await warning.step(clock.now()))[0].preOpened).toBe(true);
    expect(second.getState()).toBe('open');
    warning.stop();
    await registry.shutdown();
  });

  it("leaves no history behind: a breaker made again under its name is not tuned on its predecessor's", () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const tuner = new AdaptiveTuner(registry, { learningRate: 0.5, minDataPoints: 3 });
    const options = { failureThreshold: 0, failureRateThreshold: 25, minimumCalls: 10 };
    const noisy = registry.endpointBreaker('search', { ...options, labels: { hardware: 'gpu' } });
    for (let round = 0; round < 8; round++) {
      windowOf(noisy, round % 2 === 0 ? 12 : 20); // a 16% baseline that swings by 4 points
      tuner.step();
      clock.advance(10_000);
    }
    expect(noisy.options.failureRateThreshold).toBeGreaterThan(26);
    registry.remove('endpoint', 'search');
    // Another service under the name, on hardware of its own, quiet: one round, under minDataPoints.
    const quiet = registry.endpointBreaker('search', { ...options, labels: { hardware: 'tpu' } });
    windowOf(quiet, 2);
    tuner.step();
    // Before, it took the removed breaker's history (16% ± 4%) and was raised at once.
    expect(quiet.options.failureRateThreshold).toBe(25);
    tuner.stop();
  });
});
