import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { ManualClock, Registry } from '../../../src/index';
import { fail, succeed } from '../helpers';

/** A model whose answer waits until the test lets it go, as onnxruntime's does on its own thread. */
function heldModel() {
  let release: () => void = () => undefined;
  const model: ScoringModel = {
    featureList: CORE_FEATURES,
    score: (rows) =>
      new Promise((resolve) => {
        release = () => resolve(new Float32Array(rows.length / CORE_FEATURE_COUNT).fill(0.9));
      }),
  };
  return { model, release: () => release() };
}

describe('a breaker that changes while its round is being scored', () => {
  it('a breaker removed meanwhile is skipped, and the others are still acted on', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const { model, release } = heldModel();
    const warning = new EarlyWarning(registry, model, { mode: 'shed' });
    const options = { failureThreshold: 0, minimumCalls: 10 };
    const gone = registry.endpointBreaker('gone', options);
    const kept = registry.endpointBreaker('kept', options);
    fail(gone, 20);
    fail(kept, 20);
    const round = warning.step(clock.now());
    registry.remove('endpoint', 'gone');
    release();
    const predictions = await round;
    expect(predictions.map((p) => p.name)).toEqual(['kept']);
    expect(kept.sheddingShare).toBeGreaterThan(0);
    expect(registry.recent({ event_type: 'prediction' }).map((e) => e.breaker)).toEqual(['kept']);
    await registry.shutdown();
  });

  it("a breaker removed and made again meanwhile is not given the old one's score", async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const { model, release } = heldModel();
    const warning = new EarlyWarning(registry, model, { mode: 'shed' });
    const options = { failureThreshold: 0, minimumCalls: 10 };
    fail(registry.endpointBreaker('payments', options), 20);
    const round = warning.step(clock.now());
    registry.remove('endpoint', 'payments');
    const fresh = registry.endpointBreaker('payments', options);
    succeed(fresh, 20);
    release();
    expect(await round).toEqual([]);
    expect(fresh.sheddingShare).toBe(0);
    expect(registry.breakerHealth('endpoint', 'payments')?.probability).toBeNull(); // not scored yet
    await registry.shutdown();
  });

  it('a registry shut down meanwhile: the round ends without an error, and nothing more is recorded', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const { model, release } = heldModel();
    const warning = new EarlyWarning(registry, model, { mode: 'shed' });
    const seen: string[] = [];
    registry.onEvent((event) => seen.push(event.event_type));
    fail(registry.endpointBreaker('payments', { failureThreshold: 0, minimumCalls: 10 }), 20);
    const round = warning.step(clock.now());
    const shutdown = registry.shutdown();
    release();
    await Promise.all([round, shutdown]);
    await clock.runFor(3000);
    expect(warning.rounds).toBe(1);
    expect(seen.filter((type) => type === 'prediction').length).toBeLessThanOrEqual(1);
  });

  it('a model that gives the wrong number of scores fails the round by name, acting on nothing', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const short: ScoringModel = { featureList: CORE_FEATURES, score: async () => new Float32Array(1).fill(1) };
    const warning = new EarlyWarning(registry, short, { mode: 'shed' });
    const options = { failureThreshold: 0, minimumCalls: 10 };
    const breakers = ['a', 'b'].map((name) => registry.endpointBreaker(name, options));
    for (const breaker of breakers) fail(breaker, 20);
    // Before, the second breaker read a missing score as 0 and the first was acted on.
    await expect(warning.step(clock.now())).rejects.toThrow('the model gave 1 scores for 2 rows');
    expect(breakers.map((breaker) => breaker.sheddingShare)).toEqual([0, 0]);
    await registry.shutdown();
  });
});
