import { describe, expect, it } from 'vitest';
import { CORE_FEATURES } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry } from '../../../src/index';
import { fail, succeed, recentFailureShareModel } from '../helpers';

/** The recent failure share as the probability until `broken` is set, then a model that throws. */
function breakableModel(): { model: ScoringModel; breakIt: () => void } {
  let broken = false;
  return {
    model: {
      featureList: CORE_FEATURES,
      score: async (rows) => {
        if (broken) throw new Error('model: session closed');
        return recentFailureShareModel.score(rows);
      },
    },
    breakIt: () => (broken = true),
  };
}

/** A breaker shedding 0.1875 of its calls after two rounds of 30 failures in 40 calls. */
async function shedding(model: ScoringModel) {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const breaker = registry.endpointBreaker('soft', { failureThreshold: 0 });
  const warning = new EarlyWarning(registry, model, { recordChange: 0 });
  succeed(breaker, 10);
  fail(breaker, 30);
  await warning.step(clock.now());
  await warning.step(clock.now());
  expect(breaker.sheddingShare).toBe(0.1875);
  return { clock, registry, breaker, warning };
}

describe('an early warning that can no longer score', () => {
  it('stops shedding when a round fails, says why in a prediction event, and keeps no stale probability', async () => {
    const { model, breakIt } = breakableModel();
    const { clock, registry, breaker, warning } = await shedding(model);
    expect(registry.breakerHealth('endpoint', 'soft')?.probability).toBe(0.75);
    breakIt();
    await expect(warning.step(clock.now())).rejects.toThrow('model: session closed');
    // Before, the breaker went on refusing 0.1875 of its calls for as long as the model stayed down,
    // and its health kept the last score as if it were current.
    expect(breaker.sheddingShare).toBe(0);
    expect(registry.breakerHealth('endpoint', 'soft')?.probability).toBeNull();
    expect(registry.recent({ event_type: 'prediction' }).at(-1)).toMatchObject({
      probability: null,
      detail: { action: 'none', reason: 'released: the scoring round failed (model: session closed)' },
    });
  });

  it('stops shedding when stopped', async () => {
    const { registry, breaker, warning } = await shedding(recentFailureShareModel);
    warning.stop();
    expect(breaker.sheddingShare).toBe(0);
    expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
      reason: 'released: the early warning stopped',
    });
  });
  it('stops shedding when its registry shuts down: the breakers stay usable', async () => {
    const { registry, breaker } = await shedding(recentFailureShareModel);
    await registry.shutdown();
    // Before, the breaker refused 0.1875 of its calls for good after shutdown(), its health
    // showing the last score, until the warning itself was stopped.
    expect(breaker.sheddingShare).toBe(0);
    expect(registry.breakerHealth('endpoint', 'soft')?.probability).toBeNull();
    expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
      reason: 'released: the registry was shut down',
    });
  });
});

describe('early warnings sharing a registry', () => {
  it('takes one acting early warning per kind; observers beside it, and another once it stopped', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const acting = new EarlyWarning(registry, recentFailureShareModel, { kinds: ['endpoint'] });
    // Before, both shed and pre-opened the same breakers, unannounced.
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { mode: 'open' })).toThrow(
      "breakwater/adaptive: this registry already has an EarlyWarning in mode 'shed' acting on kinds endpoint; two would both shed and pre-open the same breakers (stop() it first, give them kinds apart, or use mode 'observe')",
    );
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { kinds: ['db', 'endpoint'] })).toThrow(
      /acting on kinds endpoint;/,
    );
    new EarlyWarning(registry, recentFailureShareModel, { mode: 'observe' });
    const apart = new EarlyWarning(registry, recentFailureShareModel, { mode: 'open', kinds: ['db'] });
    acting.stop();
    apart.stop();
    new EarlyWarning(registry, recentFailureShareModel, { mode: 'open' });
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { kinds: ['db'] })).toThrow(
      /in mode 'open' acting on kinds db;/,
    );
  });

  it('refuses a registry that was shut down, as the tuner does, where before both were made and never ran', async () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    await registry.shutdown();
    expect(() => new EarlyWarning(registry, recentFailureShareModel)).toThrow(
      'breakwater: schedule("early-warning") on a registry that was shut down',
    );
    expect(() => new AdaptiveTuner(registry)).toThrow(
      'breakwater: schedule("adaptive-tuner") on a registry that was shut down',
    );
  });

  it('refuses options that would warn every breaker, score no kind, or pre-open for no time', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const observe = { mode: 'observe' } as const;
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { ...observe, kinds: [] })).toThrow(
      'breakwater/adaptive: option "kinds" must name at least one kind (leave it out for every kind), got []',
    );
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { ...observe, predictionThreshold: 0 })).toThrow(
      /"predictionThreshold" must be above 0/,
    );
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { ...observe, preOpenMs: 0 })).toThrow(
      /option "preOpenMs" must be an integer >= 1, got 0/,
    );
    // The default release is 0.2 under the threshold, read as a person would write it.
    expect(new EarlyWarning(registry, recentFailureShareModel, observe).options.releaseThreshold).toBe(0.5);
  });
});
