import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { ManualClock, Registry } from '../../../src/index';
import { runTick } from '../../../src/tick';
import { assertCore } from '../helpers';

/** A model that always predicts a trip: what the warning does is then the guard rails' alone. */
const panickingModel: ScoringModel = {
  featureList: CORE_FEATURES,
  score: async (rows) => new Float32Array(rows.length / CORE_FEATURE_COUNT).fill(1),
};

/** A breaker that trips on slow calls alone (50% over 200 ms), 20 calls a second, none failing. */
function slowRuleOnly(mode: 'open' | 'shed') {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const breaker = registry.endpointBreaker('search', {
    failureThreshold: 0,
    failureRateThreshold: 0,
    slowCallRateThreshold: 50,
    slowCallDuration: 200,
    minimumCalls: 10,
    slidingWindowSize: 20_000,
  });
  const warning = new EarlyWarning(registry, panickingModel, { mode });
  const second = async (slowShare: number): Promise<void> => {
    for (let i = 0; i < 20; i++) breaker.recordSuccess(i < slowShare * 20 ? 400 : 20);
    runTick();
    clock.advance(1000);
    await warning.step(clock.now());
  };
  const lastDetail = () => registry.recent({ event_type: 'prediction' }).at(-1)?.detail as Record<string, unknown>;
  return { breaker, second, lastDetail };
}

describe('early warning on a breaker that trips on slow calls', () => {
  it('holds on a fast service, and sheds once slow calls near the slow-call rule in the window', async () => {
    assertCore();
    const { breaker, second, lastDetail } = slowRuleOnly('shed');
    for (let s = 0; s < 20; s++) await second(0);
    expect(lastDetail()).toMatchObject({
      action: 'held',
      reason: expect.stringMatching(/no recent failure, timeout or slow-call evidence/),
    });
    // Slow calls climb; no call fails. Before, the rails read failures alone and held every round.
    for (let s = 0; s < 8 && breaker.sheddingShare === 0; s++) await second(0.9);
    expect(breaker.getState()).toBe('closed');
    expect(breaker.sheddingShare).toBeGreaterThan(0);
    // A quarter of the recent slow share (90%), as for failures.
    expect(breaker.sheddingShare).toBeLessThanOrEqual(0.25 * 0.9 + 1e-9);
    const features = (lastDetail().features ?? {}) as Record<string, number>;
    expect(features.slow_call_rate_recent_to_threshold).toBeGreaterThan(1);
    expect(features.slow_call_trip_chance).toBeGreaterThan(0.5);
  });

  it('never acts on slow calls for a breaker without the slow-call rule', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const breaker = registry.endpointBreaker('search', {
      failureThreshold: 0,
      minimumCalls: 10,
      slidingWindowSize: 20_000,
    });
    const warning = new EarlyWarning(registry, panickingModel, { mode: 'open' });
    for (let s = 0; s < 30; s++) {
      for (let i = 0; i < 20; i++) breaker.recordSuccess(s >= 10 ? 400 : 20);
      runTick();
      clock.advance(1000);
      await warning.step(clock.now());
    }
    expect(breaker.getState()).toBe('closed');
    expect(breaker.sheddingShare).toBe(0);
    expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
      action: 'held',
      reason: expect.stringMatching(/no recent failure, timeout or slow-call evidence/),
    });
  });
});
