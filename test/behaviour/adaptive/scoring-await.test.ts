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

const OPTIONS = { failureThreshold: 0, minimumCalls: 10 };

/** A registry on a manual clock whose early warning sheds on `model`'s scores. */
function setup(model: ScoringModel) {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const warning = new EarlyWarning(registry, model, { mode: 'shed' });
  return { clock, registry, warning };
}

describe('a breaker that changes while its round is being scored', () => {
  it('a breaker removed meanwhile is skipped, and the others are still acted on', async () => {
    const { model, release } = heldModel();
    const { clock, registry, warning } = setup(model);
    const gone = registry.endpointBreaker('gone', OPTIONS);
    const kept = registry.endpointBreaker('kept', OPTIONS);
    fail(gone, 20);
    fail(kept, 20);
    const evidence = warning.step(clock.now()); // the guard rails want a round of evidence before
    release();
    await evidence;
    expect(kept.sheddingShare).toBe(0);
    const round = warning.step(clock.now());
    registry.remove('endpoint', 'gone');
    release();
    const predictions = await round;
    expect(predictions.map((p) => p.name)).toEqual(['kept']);
    expect(kept.sheddingShare).toBeGreaterThan(0);
    expect(registry.recent({ event_type: 'prediction' }).map((e) => e.breaker)).toEqual(['gone', 'kept', 'kept']);
    await registry.shutdown();
  });

  it("a breaker removed and made again meanwhile is not given the old one's score", async () => {
    const { model, release } = heldModel();
    const { clock, registry, warning } = setup(model);
    fail(registry.endpointBreaker('payments', OPTIONS), 20);
    const round = warning.step(clock.now());
    registry.remove('endpoint', 'payments');
    const fresh = registry.endpointBreaker('payments', OPTIONS);
    succeed(fresh, 20);
    release();
    expect(await round).toEqual([]);
    expect(fresh.sheddingShare).toBe(0);
    expect(registry.breakerHealth('endpoint', 'payments')?.probability).toBeNull(); // not scored yet
    await registry.shutdown();
  });

  it('a registry shut down meanwhile: the round in flight ends without an error, and no round runs after it', async () => {
    const { model, release } = heldModel();
    const { clock, registry, warning } = setup(model);
    const seen: string[] = [];
    registry.onEvent((event) => seen.push(event.event_type));
    fail(registry.endpointBreaker('payments', OPTIONS), 20);
    const round = warning.step(clock.now());
    const shutdown = registry.shutdown();
    release();
    await Promise.all([round, shutdown]);
    await clock.runFor(3000);
    expect(warning.rounds).toBe(1);
    expect(seen).toEqual(['prediction']); // the round in flight's, and nothing after
  });

  it('a model that gives the wrong number of scores fails the round by name, acting on nothing', async () => {
    const short: ScoringModel = { featureList: CORE_FEATURES, score: async () => new Float32Array(1).fill(1) };
    const { clock, registry, warning } = setup(short);
    const breakers = ['a', 'b'].map((name) => registry.endpointBreaker(name, OPTIONS));
    for (const breaker of breakers) fail(breaker, 20);
    // Before, the second breaker read a missing score as 0 and the first was acted on.
    await expect(warning.step(clock.now())).rejects.toThrow('the model gave 1 scores for 2 rows');
    expect(breakers.map((breaker) => breaker.sheddingShare)).toEqual([0, 0]);
    await registry.shutdown();
  });
});
