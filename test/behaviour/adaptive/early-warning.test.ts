import { describe, expect, it } from 'vitest';
import { CORE_FEATURES } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { FeatureListMismatchError } from '../../../src/errors/FeatureListMismatchError';
import { ManualClock, Registry } from '../../../src/index';
import { runTick } from '../../../src/tick';
import { assertCore, fail, succeed, recentFailureShareModel } from '../helpers';
import { setup } from './early-warning-fixtures';

describe('early warning', () => {
  it('opens a closed breaker before it trips when the model says so, with reason "predicted"', async () => {
    assertCore();
    const { clock, registry, breaker, warning } = setup();
    succeed(breaker, 20);
    runTick();
    expect((await warning.step(clock.now()))[0]).toMatchObject({ preOpened: false, probability: 0 });
    fail(breaker, 16); // 16 of the recent quarter's 36 calls... still under 0.7
    expect((await warning.step(clock.now()))[0].preOpened).toBe(false);
    fail(breaker, 40);
    const [prediction] = await warning.step(clock.now());
    expect(prediction.preOpened).toBe(true);
    expect(prediction.probability).toBeGreaterThanOrEqual(0.7);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics().stateChanges.at(-1)).toMatchObject({ to: 'open', reason: 'predicted' });
    expect(breaker.getMetrics().retryAfterMs).toBe(5000);
    const events = registry.recent({ event_type: 'prediction' });
    expect(events.at(-1)).toMatchObject({
      probability: prediction.probability,
      detail: { action: 'pre-open', threshold: 0.7 },
    });
    expect(registry.breakerHealth('endpoint', 'model')?.probability).toBeCloseTo(prediction.probability, 5);
    // The pre-open's transition carries the probability that caused it, not the round before's.
    const transition = registry.recent({ event_type: 'transition' }).at(-1);
    expect(transition).toMatchObject({ detail: { to: 'open', reason: 'predicted' } });
    expect(transition?.probability).toBe(prediction.probability);
  });

  it('pre-opens only when the whole window is near the threshold too, not on a burst alone', async () => {
    const { clock, breaker, warning } = setup({ mode: 'open' });
    succeed(breaker, 70);
    runTick();
    clock.advance(8000); // the successes stay in the 10 s window, out of its recent quarter
    fail(breaker, 40); // the recent quarter all failures; the window 40 of 110 (73% of the 50% threshold)
    const [burst] = await warning.step(clock.now());
    expect(burst).toMatchObject({ probability: 1, preOpened: false });
    expect(breaker.getState()).toBe('closed');
    fail(breaker, 20); // the window 60 of 130 (92% of the threshold), still under it: no trip of its own
    expect(breaker.getState()).toBe('closed');
    const [near] = await warning.step(clock.now());
    expect(near.preOpened).toBe(true);
    expect(breaker.getMetrics().stateChanges.at(-1)).toMatchObject({ to: 'open', reason: 'predicted' });
  });

  it('does not pre-open again until the probability fell below the release threshold', async () => {
    const { clock, breaker, warning } = setup({ mode: 'open', preOpenMs: 1000 });
    fail(breaker, 20);
    expect((await warning.step(clock.now()))[0].preOpened).toBe(false); // evidence in one round only
    expect((await warning.step(clock.now()))[0].preOpened).toBe(true);
    clock.advance(1000);
    succeed(breaker); // the probe closes it; the window is cleared on close
    fail(breaker, 20);
    expect((await warning.step(clock.now()))[0].preOpened).toBe(false); // still latched
    succeed(breaker, 200);
    runTick();
    expect((await warning.step(clock.now()))[0].probability).toBeLessThan(0.5); // released
    fail(breaker, 2000);
    await warning.step(clock.now());
    expect((await warning.step(clock.now()))[0].preOpened).toBe(true);
    expect(warning.preOpens).toBe(2);
  });

  it('observe mode, and a window under minimumCalls, record probabilities without acting', async () => {
    const observing = setup({ mode: 'observe' });
    fail(observing.breaker, 20);
    expect((await observing.warning.step(observing.clock.now()))[0]).toMatchObject({
      probability: 1,
      preOpened: false,
    });
    expect(observing.breaker.getState()).toBe('closed');
    const sparse = setup({ mode: 'open' }, recentFailureShareModel, 50);
    fail(sparse.breaker, 20);
    expect((await sparse.warning.step(sparse.clock.now()))[0].preOpened).toBe(false);
    expect(sparse.registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
      action: 'held',
      reason: expect.stringMatching(/minimumCalls/),
    });
  });

  it('scores on the registry tick; refuses a model of other features and bad options', async () => {
    const { clock, registry, breaker, warning } = setup({ mode: 'open', everyMs: 500 });
    fail(breaker, 20);
    for (let round = 0; round < 2; round++) {
      clock.advance(500);
      registry.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(warning.rounds).toBe(2);
    expect(breaker.getState()).toBe('open');
    const other = { ...recentFailureShareModel, featureList: { ...CORE_FEATURES, version: 99 } };
    expect(() => new EarlyWarning(registry, other)).toThrow(FeatureListMismatchError);
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { predictionThreshold: 2 })).toThrow(
      /"predictionThreshold" must be a number from 0 to 1/,
    );
    expect(
      () => new EarlyWarning(registry, recentFailureShareModel, { predictionThreshold: 0.5, releaseThreshold: 0.6 }),
    ).toThrow(/"releaseThreshold"/);
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { recordChange: -0.1 })).toThrow(
      /option "recordChange" must be a finite number >= 0, got -0.1/,
    );
    expect(() => new EarlyWarning(registry, {} as never)).toThrow(/needs a model/);
    // A score() without a featureList read `.name` of undefined (a TypeError naming nothing).
    for (const featureList of [undefined, null, 'breakwater.core'])
      expect(() => new EarlyWarning(registry, { featureList, score: recentFailureShareModel.score } as never)).toThrow(
        'breakwater/adaptive: EarlyWarning needs a model with featureList and score(rows) (a Predictor)',
      );
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { kinds: {} as never })).toThrow(
      /option "kinds" must be an array of kind names/,
    );
    expect(() => new EarlyWarning(registry, recentFailureShareModel, { scoreTimeoutMs: 0 })).toThrow(
      /option "scoreTimeoutMs" must be an integer >= 1, got 0/,
    );
  });

  it('fails a round whose model throws something other than an Error with an Error that says so', async () => {
    for (const thrown of [Symbol('down'), 'down']) {
      const model: ScoringModel = {
        featureList: CORE_FEATURES,
        score: () => {
          throw thrown;
        },
      };
      const { clock, breaker, warning } = setup({ mode: 'open' }, model);
      fail(breaker, 20);
      const round = warning.step(clock.now());
      await expect(round).rejects.toBeInstanceOf(Error);
      await expect(round).rejects.toThrow(
        `breakwater/adaptive: the model's score(rows) threw ${typeof thrown === 'symbol' ? 'Symbol(down)' : '"down"'}, not an Error`,
      );
    }
  });

  it('drops a round whose scores are not probabilities, naming the breaker; before, NaN was stored as 0 and 7 as 1', async () => {
    for (const score of [NaN, 7, -3]) {
      const model: ScoringModel = {
        featureList: CORE_FEATURES,
        score: async (rows) => rows.subarray(0, 1).fill(score),
      };
      const { clock, registry, breaker, warning } = setup({ mode: 'open' }, model);
      fail(breaker, 20);
      await expect(warning.step(clock.now())).rejects.toThrow(
        new RegExp(`scored breaker endpoint/"model" ${score}; score\\(rows\\) must give probabilities from 0 to 1`),
      );
      expect(registry.recent({ event_type: 'prediction' })).toHaveLength(0);
      expect(breaker.getState()).toBe('closed');
    }
  });

  it('fails a round the model does not answer within scoreTimeoutMs and asks again next round; skips rounds while 3 answers are overdue', async () => {
    const answers: ((scores: Float32Array) => void)[] = [];
    const hanging: ScoringModel = {
      featureList: CORE_FEATURES,
      score: () => new Promise((resolve) => answers.push(resolve)),
    };
    const { clock, breaker, warning } = setup({ mode: 'observe', scoreTimeoutMs: 1 }, hanging);
    fail(breaker, 20);
    // Before, the first round waited for good, and the registry ran no round after it.
    for (let round = 0; round < 3; round++)
      await expect(warning.step(clock.now())).rejects.toThrow(/did not answer within scoreTimeoutMs \(1 ms\)/);
    await expect(warning.step(clock.now())).rejects.toThrow(
      /has not answered 3 rounds past scoreTimeoutMs \(1 ms\), the oldest \d+ ms ago; rounds are skipped/,
    );
    expect(answers).toHaveLength(3); // a model that hangs every time is not called without end
    answers[0](new Float32Array([0.5])); // a late answer frees a place
    await new Promise((resolve) => setImmediate(resolve));
    const pending = warning.step(clock.now());
    answers[3](new Float32Array([0.25]));
    expect((await pending)[0].probability).toBe(0.25);
  });

  it('defaults scoreTimeoutMs to 5 rounds, at least a second', () => {
    const { registry } = setup({ mode: 'observe' });
    const observe = { mode: 'observe' } as const;
    expect(new EarlyWarning(registry, recentFailureShareModel, observe).options.scoreTimeoutMs).toBe(5000);
    expect(
      new EarlyWarning(registry, recentFailureShareModel, { ...observe, everyMs: 100 }).options.scoreTimeoutMs,
    ).toBe(1000);
  });
});

describe('early warning, shed mode', () => {
  it('sheds a share of calls instead of opening (the probability, capped at a quarter of the recent failure share), and stops when the probability falls', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const breaker = registry.endpointBreaker('soft', { failureThreshold: 0 });
    const warning = new EarlyWarning(registry, recentFailureShareModel);
    expect(warning.options.mode).toBe('shed'); // the default
    succeed(breaker, 10);
    fail(breaker, 30); // the recent failure rate is 0.75
    expect((await warning.step(clock.now()))[0].shedding).toBe(0); // evidence in one round only
    const [prediction] = await warning.step(clock.now());
    expect(prediction).toMatchObject({ preOpened: false, shedding: 0.1875 });
    expect(breaker.getState()).toBe('closed');
    const admitted = Array.from({ length: 16 }, () => breaker.attempt(() => 1).ok).filter(Boolean).length;
    expect(admitted).toBe(13);
    expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
      action: 'shed',
      shedding: 0.1875,
    });
    for (let i = 0; i < 1600; i++) breaker.attempt(() => 1); // most get through and succeed
    runTick();
    expect((await warning.step(clock.now()))[0].shedding).toBe(0);
    expect(Array.from({ length: 8 }, () => breaker.attempt(() => 1).ok).every(Boolean)).toBe(true);
  });
});

describe('early warning, shed mode, over rounds', () => {
  it('names an action only in the round that decides it, and a circuit that leaves closed sheds no more', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const breaker = registry.endpointBreaker('soft', { failureThreshold: 0 });
    const warning = new EarlyWarning(registry, recentFailureShareModel, { recordChange: 0 });
    const lastDetail = () => registry.recent({ event_type: 'prediction' }).at(-1)?.detail;
    succeed(breaker, 10);
    fail(breaker, 30);
    await warning.step(clock.now());
    await warning.step(clock.now());
    expect(lastDetail()).toMatchObject({ action: 'shed', shedding: 0.1875, reason: expect.any(String) });
    await warning.step(clock.now());
    // Before, every round of shedding said 'shed', without a reason or features: counting actions
    // from the events counted shedding that went on as new sheds.
    expect(lastDetail()).toMatchObject({ action: 'none', shedding: 0.1875 });
    expect(lastDetail()).not.toHaveProperty('reason');
    breaker.preOpen(1000);
    expect(breaker.sheddingShare).toBe(0);
    await warning.step(clock.now());
    expect(lastDetail()).toMatchObject({ action: 'none' }); // before: 'shed', on an open circuit
    expect(lastDetail()).not.toHaveProperty('shedding');
  });
});
