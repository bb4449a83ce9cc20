import { describe, expect, it } from 'vitest';
import { calibrate, calibrated, reliabilityTable } from '../../../src/adaptive/calibration';
import { CORE_FEATURES } from '../../../src/features/core-features';
import { trainingSetFromRows } from '../../../src/adaptive/dataset';
import { predictProbabilities, predictRaw, sigmoid } from '../../../src/adaptive/gbdt/model';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { logLoss } from '../../../src/adaptive/classification-metrics';
import { RECENT_QUARTER_RULE, TREND_RULE } from '../../../src/adaptive/rule-baselines';
import { FEATURES, split, syntheticSet } from './helpers';

/** Rows that sweep feature `b` (sin(2b) in the true signal: not monotone) with the others fixed. */
function sweepOfB(fixed: number[]): Float32Array {
  const width = FEATURES.features.length;
  const rows = new Float32Array(81 * width);
  for (let i = 0; i <= 80; i++) {
    rows.set(fixed, i * width);
    rows[i * width + 1] = -2 + i * 0.05;
  }
  return rows;
}

const rises = (values: ArrayLike<number>): boolean =>
  Array.from(values).every((v, i, all) => i === 0 || v >= all[i - 1]);

describe('monotone constraints', () => {
  it('a constrained feature never lowers the score, wherever the other features sit; unconstrained it does', () => {
    const { set } = syntheticSet(6000, 4, 3);
    const free = trainGbdt(set, { seed: 4, rounds: 60 });
    const monotone = trainGbdt(set, { seed: 4, rounds: 60, increasing: ['b'] });
    const points = [
      [0, 0, 0, 0, 0, 0],
      [1, 0, -1, 0.5, 0, 0],
      [-1, 0, 1, 0, 2, -2],
    ];
    expect(points.some((p) => !rises(predictRaw(free, sweepOfB(p))))).toBe(true);
    for (const p of points) expect(rises(predictRaw(monotone, sweepOfB(p)))).toBe(true);
    expect(monotone.trees.length).toBeGreaterThan(10);
  });

  it('names an unknown constrained feature', () => {
    const { set } = syntheticSet(500, 5, 1);
    expect(() => trainGbdt(set, { increasing: ['nope'] })).toThrow(
      /increasing names "nope", which is not a feature of test.synthetic@1/,
    );
    expect(() => trainGbdt(set, { increasing: 'b' as never })).toThrow(/increasing must be an array of feature names/);
  });
});

describe('calibration', () => {
  it('Platt scaling folded into the trees: the same probabilities as scaling the raw score, and a better log-loss on new rows', () => {
    const { set } = syntheticSet(12000, 6, 0.8);
    const [train, rest] = split(set, 4000);
    const [calibration, test] = split(rest, 4000);
    // Deep trees and many rounds on few noisy rows: over-confident probabilities.
    const overfit = trainGbdt(train, {
      seed: 6,
      rounds: 150,
      maxDepth: 6,
      learningRate: 0.3,
      earlyStoppingRounds: 0,
      minSamplesLeaf: 5,
    });
    const { model, scaling } = calibrate(overfit, calibration.features, calibration.labels);
    expect(scaling.slope).toBeGreaterThan(0);
    expect(scaling.slope).toBeLessThan(1); // over-confidence shrinks
    const raw = predictRaw(overfit, test.features);
    const folded = predictProbabilities(model, test.features);
    raw.forEach((r, i) => expect(folded[i]).toBeCloseTo(sigmoid(scaling.slope * r + scaling.intercept), 4));
    expect(logLoss(test.labels, folded)).toBeLessThan(
      logLoss(test.labels, predictProbabilities(overfit, test.features)) - 0.02,
    );
    expect(() => calibrated(overfit, { slope: -1, intercept: 0 })).toThrow(/slope must be > 0/);
  });

  it('the reliability table bins predictions and counts what happened', () => {
    const table = reliabilityTable([0.05, 0.08, 0.55, 0.95, 0.99, 1], [0, 1, 1, 1, 1, 0]);
    expect(table).toEqual([
      { from: 0, to: 0.1, rows: 2, meanPredicted: expect.closeTo(0.065, 6), observedRate: 0.5 },
      { from: 0.5, to: 0.6, rows: 1, meanPredicted: expect.closeTo(0.55, 6), observedRate: 1 },
      { from: 0.9, to: 1, rows: 3, meanPredicted: expect.closeTo(0.98, 6), observedRate: expect.closeTo(2 / 3, 6) },
    ]);
  });
});

describe('rule baselines', () => {
  const row = (values: Record<string, number>): number[] => CORE_FEATURES.features.map((name) => values[name] ?? 0);

  it("score the recent quarter (and its trend) against the breaker's own thresholds, or the consecutive rule", () => {
    const set = trainingSetFromRows(
      CORE_FEATURES,
      [
        row({
          failure_rate: 0.1,
          failure_rate_recent: 0.2,
          failure_rate_recent_to_threshold: 0.8,
          window_calls_to_minimum: 4,
          consecutive_failures_to_threshold: Number.NaN,
        }),
        row({
          failure_rate: 0.1,
          failure_rate_recent: 0.2,
          failure_rate_recent_to_threshold: Number.NaN,
          window_calls_to_minimum: 4,
          consecutive_failures_to_threshold: 0.2,
        }),
        row({
          failure_rate: 0.1,
          failure_rate_recent: 0.2,
          failure_rate_recent_to_threshold: 0.8,
          window_calls_to_minimum: 0.5,
          consecutive_failures_to_threshold: 0.9,
        }),
        row({
          failure_rate_recent_to_threshold: Number.NaN,
          consecutive_failures_to_threshold: Number.NaN,
          slow_call_rate_recent_to_threshold: 1.4,
          slow_call_rate_to_threshold: 0.6,
          window_calls_to_minimum: 2,
        }),
      ],
      [0, 0, 1, 1],
    );
    const recent = RECENT_QUARTER_RULE.scores(set);
    expect(recent[0]).toBeCloseTo(0.8, 5); // 20% against a 25% threshold
    expect(recent[1]).toBeCloseTo(0.4, 5); // rate rule off: against the usual 50%
    expect(recent[2]).toBeCloseTo(0.9, 5); // under minimumCalls the consecutive rule is what can trip
    expect(recent[3]).toBeCloseTo(1.4, 5); // no failure, slow calls at 1.4 times the slow-call rule's threshold
    const trend = TREND_RULE.scores(set);
    expect(trend[0]).toBeCloseTo(((2 * 0.2 - 0.1) / 0.2) * 0.8, 5); // 30% projected, over 25%
    expect(trend[3]).toBeCloseTo(2 * 1.4 - 0.6, 5);
    expect(() => RECENT_QUARTER_RULE.scores({ ...set, featureList: FEATURES })).toThrow(
      /rule baselines score breakwater.core@10 rows/,
    );
  });
});
