import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { ManualClock, Registry } from '../../../src/index';
import { runTick } from '../../../src/tick';
import { boom, fail, succeed } from '../helpers';
import { oneSecond, panickingModel, setup } from './early-warning-fixtures';

/**
 * A breaker that trips at 60% failing (no consecutive rule), warned in mode 'open', and one second
 * of it: `succeeding` calls, then `failing` ones (so the window never crosses 60% on its own), a
 * tick and a scoring round.
 */
function shardAt60(model: ScoringModel, options: { preOpenMs?: number }) {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const breaker = registry.endpointBreaker('shard', {
    failureThreshold: 0,
    failureRateThreshold: 60,
    minimumCalls: 10,
  });
  const warning = new EarlyWarning(registry, model, { mode: 'open', ...options });
  const round = async (failing: number, succeeding: number) => {
    succeed(breaker, succeeding);
    fail(breaker, failing);
    clock.advance(1000);
    runTick();
    return (await warning.step(clock.now()))[0];
  };
  return { registry, breaker, round };
}

describe('early warning guard rails', () => {
  it('a model that always predicts a trip never acts on a healthy breaker, in either mode, and says why', async () => {
    for (const mode of ['open', 'shed'] as const) {
      const { clock, registry, breaker, warning } = setup({ mode }, panickingModel);
      succeed(breaker, 200);
      fail(breaker, 10); // 5% of the calls: under half the threshold
      runTick();
      const [prediction] = await warning.step(clock.now());
      expect(prediction).toMatchObject({ probability: 1, preOpened: false, shedding: 0 });
      expect(breaker.getState()).toBe('closed');
      expect(warning.held).toBe(1);
      const event = registry.recent({ event_type: 'prediction' }).at(-1);
      expect(event?.detail).toMatchObject({
        action: 'held',
        reason: expect.stringMatching(/no recent failure, timeout or slow-call evidence/),
      });
      expect((event?.detail as { features: Record<string, number> }).features.failure_rate_recent).toBeCloseTo(
        10 / 210,
        2,
      );
    }
  });

  it('holds back on failures one round saw: the next round must still show them', async () => {
    const { clock, registry, breaker, warning } = setup({ mode: 'shed' }, panickingModel);
    succeed(breaker, 40);
    runTick();
    await warning.step(clock.now()); // a healthy round: no evidence before the burst
    fail(breaker, 40);
    expect((await warning.step(clock.now()))[0].shedding).toBe(0);
    expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
      action: 'held',
      reason: expect.stringMatching(/one round only/),
    });
    expect((await warning.step(clock.now()))[0].shedding).toBeCloseTo(0.125, 5); // a quarter of 0.5
  });

  it('starts no action while the recent failures recede from the round before, in either mode', async () => {
    for (const mode of ['open', 'shed'] as const) {
      const { clock, registry, breaker, warning } = setup({ mode }, panickingModel);
      succeed(breaker, 40);
      fail(breaker, 40);
      runTick();
      await warning.step(clock.now()); // 50% failed: the threshold, seen one round
      succeed(breaker, 40); // 40 of 120 failed: still two thirds of the threshold, but falling
      expect((await warning.step(clock.now()))[0]).toMatchObject({ preOpened: false, shedding: 0 });
      expect(breaker.getState()).toBe('closed');
      expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
        action: 'held',
        reason: expect.stringMatching(/receding/),
      });
      fail(breaker, 80); // 120 of 200: rising again, most calls failing beyond the noise of 200
      const [rising] = await warning.step(clock.now());
      if (mode === 'shed') expect(rising.shedding).toBeCloseTo(0.15, 5);
      else expect(rising.preOpened).toBe(true);
    }
  });

  it("acts only where the breaker's own rule is likely to trip: a steady 40% against 50% over many calls draws no action, in either mode", async () => {
    for (const mode of ['open', 'shed'] as const) {
      const clock = new ManualClock(0);
      const registry = new Registry({ clock, summaryEveryMs: 0 });
      const breaker = registry.endpointBreaker('steady', { failureThreshold: 0, failureRateThreshold: 50 });
      const warning = new EarlyWarning(registry, panickingModel, { mode });
      const second = (failing: number): void => oneSecond(breaker, clock, 10, failing);
      for (let round = 0; round < 4; round++) {
        second(4); // 100 calls a second, 40% of them failing: the window holds 40% and stays there
        runTick();
        expect((await warning.step(clock.now()))[0]).toMatchObject({ preOpened: false, shedding: 0 });
      }
      // Before, the recent quarter and the window at 80% of the threshold let it pre-open or shed.
      expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
        action: 'held',
        reason: expect.stringMatching(/unlikely to trip at the rate calls fail now \(trip chance 0\.0/),
      });
      second(7); // 70% now: at this rate the window crosses 50% within the horizon
      runTick();
      const [rising] = await warning.step(clock.now());
      expect(breaker.getState()).toBe('closed');
      if (mode === 'shed') expect(rising.shedding).toBeGreaterThan(0);
      else
        // 50% of the recent quarter's 300 calls fail: within their noise of half, a pre-open waits.
        expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail?.reason).toMatch(
          /most calls may succeed now \(50% of 300 fail\)/,
        );
      await registry.shutdown();
    }
  });

  it('pre-opens only while most calls fail: a 25% threshold crossed with 40% failing draws shedding, not a pre-open', async () => {
    // Failing calls of 40 every 100 ms: 15% for 7 s then 40%, or none then all of them.
    for (const [mode, usual, failing] of [
      ['open', 6, 16],
      ['shed', 6, 16],
      ['open', 0, 40],
    ] as const) {
      const clock = new ManualClock(0);
      const registry = new Registry({ clock, summaryEveryMs: 0 });
      const breaker = registry.endpointBreaker('quarter', { failureThreshold: 0, failureRateThreshold: 25 });
      const warning = new EarlyWarning(registry, panickingModel, { mode });
      const second = (failingOf40: number): void => oneSecond(breaker, clock, 40, failingOf40);
      let last: Awaited<ReturnType<typeof warning.step>>[number] | undefined;
      // Until the breaker acts (a shed breaker refuses some of the calls these helpers make).
      for (let round = 0; round < 9 && breaker.getState() === 'closed' && !(last?.shedding ?? 0); round++) {
        second(round < 7 ? usual : failing); // the window reaches 80% of the threshold, under the threshold
        runTick();
        [last] = await warning.step(clock.now());
      }
      const reason = registry.recent({ event_type: 'prediction' }).at(-1)?.detail?.reason;
      if (failing === 40)
        expect(last?.preOpened).toBe(true); // what it refuses would mostly have failed
      else if (mode === 'open') {
        // Before, the evidence at 80% of the threshold in the quarter and the window pre-opened it.
        expect(breaker.getState()).toBe('closed');
        expect(reason).toMatch(/most calls may succeed now \(3\d% of \d+ fail\)/);
      } else expect(last?.shedding).toBeGreaterThan(0);
      await registry.shutdown();
    }
  });

  it('pre-opens only with calls failing at the threshold beyond their noise: 9 of 11 against 60% is held, 14 of 14 is not', async () => {
    // Three seconds of [failing, succeeding] calls: the recent quarter read at a bucket's start.
    for (const [burst, preOpens] of [
      [
        [
          [3, 1],
          [3, 0],
          [3, 1],
        ],
        false,
      ], // 9 of the last 11 calls fail: over 60%, but within the noise of a 50% service (they stand out of a usual 30%)
      [
        [
          [5, 0],
          [5, 0],
          [4, 0],
        ],
        true,
      ], // 14 of 14 (the window at 58%): the breaker's own rule is about to trip
    ] as const) {
      const { registry, breaker, round } = shardAt60(panickingModel, {});
      for (let s = 0; s < 9; s++) await round(5, 5); // a service failing half its calls, 10 calls a second
      let last: Awaited<ReturnType<typeof round>> | undefined;
      for (const [failing, succeeding] of burst) last = await round(failing, succeeding);
      expect(last?.preOpened).toBe(preOpens);
      if (!preOpens) {
        // Before, the Wilson bound of "most calls fail" alone (9 of 11: 0.57) let it pre-open.
        expect(breaker.getState()).toBe('closed');
        expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail?.reason).toMatch(
          /calls may fail below the breaker's threshold now \(82% of 11 fail, against 60%\)/,
        );
      }
      await registry.shutdown();
    }
  });

  it('pre-opens only where it spares more than it refuses: the calls left before the trip, against the open period, by the probability', async () => {
    const sure = (p: number): ScoringModel => ({
      featureList: CORE_FEATURES,
      score: async (rows) => new Float32Array(rows.length / CORE_FEATURE_COUNT).fill(p),
    });
    for (const [preOpenMs, preOpens] of [
      [undefined, false], // the breaker's 60 s: some 600 calls refused, should no trip come
      [500, true], // 5 calls refused, should no trip come
    ] as const) {
      const { registry, round } = shardAt60(sure(0.85), { preOpenMs });
      for (let s = 0; s < 9; s++) await round(5, 5);
      await round(7, 0);
      const last = await round(7, 0); // the window near 60%: a few more failing calls trip it
      expect(last.preOpened).toBe(preOpens);
      if (!preOpens)
        expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail?.reason).toMatch(
          /^a pre-open would spare at most [1-9] failing calls at a 85% chance of a trip, and refuse about \d{3} calls of its 60000 ms otherwise: too costly \(shedding is allowed\)$/,
        );
      await registry.shutdown();
    }
  });

  it("acts on failures that stand out from the breaker's usual share, not on a service that always fails near its threshold", async () => {
    for (const mode of ['open', 'shed'] as const) {
      const clock = new ManualClock(0);
      const registry = new Registry({ clock, summaryEveryMs: 0 });
      const chronic = registry.endpointBreaker('chronic', { failureThreshold: 0, failureRateThreshold: 50 });
      const sickening = registry.endpointBreaker('sickening', { failureThreshold: 0, failureRateThreshold: 50 });
      const warning = new EarlyWarning(registry, panickingModel, { mode });
      /** One second of 100 calls to each breaker, `percent` of them failing, spread over its tenths. */
      const second = (chronicPercent: number, sickeningPercent: number): void => {
        for (let tenth = 0; tenth < 10; tenth++) {
          for (const [breaker, percent] of [
            [chronic, chronicPercent],
            [sickening, sickeningPercent],
          ] as const) {
            const failing = Math.floor(((tenth + 1) * percent) / 10) - Math.floor((tenth * percent) / 10);
            for (let call = 0; call < 10; call++) {
              try {
                breaker.executeSync(call < 10 - failing ? () => 1 : boom); // successes first: never 50% on few calls
              } catch {
                // a failure, or a call shed while the usual share is still being learnt
              }
            }
          }
          clock.advance(100);
        }
      };
      const round = async () => {
        runTick();
        const predictions = await warning.step(clock.now());
        return { chronic: predictions[0], sickening: predictions[1] };
      };
      for (let s = 0; s < 36; s++) {
        second(47, 10); // learnt as each one's usual share after 30 s
        const { chronic: steady } = await round();
        if (s > 32) expect(steady).toMatchObject({ preOpened: false, shedding: 0 });
      }
      // Noise: the recent quarter reads over 50% and the window 48%, the breaker's own trip chance
      // over a half; before, mode 'open' pre-opened here (and mode 'shed' shed at 47% all along).
      second(57, 10);
      const { chronic: noisy } = await round();
      expect(noisy).toMatchObject({ preOpened: false, shedding: 0 });
      expect(chronic.getState()).toBe('closed');
      expect(registry.recent({ event_type: 'prediction', breaker: 'chronic' }).at(-1)?.detail).toMatchObject({
        action: 'held',
        reason: expect.stringMatching(/within the breaker's usual share \(recent 5\d% against a usual 47%\)/),
      });
      let rising = { preOpened: false, shedding: 0 };
      for (let s = 0; s < 5 && !rising.preOpened && rising.shedding === 0; s++) {
        second(47, 70); // from a usual 10% to 70%: trouble, acted on before its own rule trips
        rising = (await round()).sickening;
      }
      expect(rising.preOpened || rising.shedding > 0).toBe(true);
      await registry.shutdown();
    }
  });

  it('holds back on a pause that fills the recent quarter with failures but not the window, in either mode', async () => {
    for (const mode of ['open', 'shed'] as const) {
      const { clock, registry, breaker, warning } = setup({ mode }, panickingModel);
      succeed(breaker, 200);
      runTick();
      clock.advance(8000); // the successes stay in the 10 s window, out of its recent quarter
      fail(breaker, 30); // every recent call failed; the window 30 of 230 (26% of the 50% threshold)
      for (let round = 0; round < 3; round++) {
        expect((await warning.step(clock.now()))[0]).toMatchObject({ preOpened: false, shedding: 0 });
      }
      expect(breaker.getState()).toBe('closed');
      expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail).toMatchObject({
        action: 'held',
        reason: expect.stringMatching(/not the window/),
      });
    }
  });

  it('sheds no more than a quarter of the share of recent calls that failed, and the event carries the evidence', async () => {
    const { clock, registry, breaker, warning } = setup({ mode: 'shed' }, panickingModel);
    succeed(breaker, 60);
    fail(breaker, 40);
    runTick();
    await warning.step(clock.now());
    const [prediction] = await warning.step(clock.now());
    expect(prediction.shedding).toBeCloseTo(0.1, 5);
    const detail = registry.recent({ event_type: 'prediction' }).at(-1)?.detail as {
      action: string;
      reason: string;
      features: Record<string, number>;
    };
    expect(detail).toMatchObject({
      action: 'shed',
      reason: expect.stringMatching(/capped at the recent failure share/),
    });
    expect(detail.features.failure_rate_recent).toBeCloseTo(0.4, 3);
  });

  it('records a prediction when its log-odds move by recordChange or it crosses the threshold; recordChange 0 records every round', async () => {
    // The probabilities a model gives round after round (a scripted model: the rule under test is
    // what gets recorded, whatever the model says).
    const answers = [0.02, 0.03, 0.05, 0.06, 0.3, 0.72, 0.71, 0.6, 0.62, 0.8, 0.91];
    const recorded = async (options: ConstructorParameters<typeof EarlyWarning>[2]) => {
      let round = 0;
      const scripted: ScoringModel = {
        featureList: CORE_FEATURES,
        score: async (rows) => new Float32Array(rows.length / CORE_FEATURE_COUNT).fill(answers[round++]),
      };
      const { clock, registry, breaker } = setup({ mode: 'observe', ...options }, scripted);
      const latest: number[] = [];
      for (let i = 0; i < answers.length; i++) {
        succeed(breaker, 5);
        await clock.runFor(1000); // one scoring round, on the registry's schedule
        latest.push(registry.breakerHealth('endpoint', 'model')!.probability!);
      }
      expect(latest.map((p) => +p.toFixed(2))).toEqual(answers); // every round's score, recorded or not
      return registry.recent({ event_type: 'prediction' }).map((event) => +event.probability!.toFixed(2));
    };
    // The first; 0.06 and 0.3 (log-odds 1.14 and 1.90 from the last recorded; 0.05 moved 0.95);
    // 0.72, 0.6 and 0.8 (crossed 0.7); not 0.91 (0.93 from 0.8, though 0.11 in probability).
    expect(await recorded({})).toEqual([0.02, 0.06, 0.3, 0.72, 0.6, 0.8]);
    expect(await recorded({ recordChange: 2 })).toEqual([0.02, 0.3, 0.72, 0.6, 0.8]);
    expect(await recorded({ recordChange: 0 })).toEqual(answers);
  });
});
