import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { TrainingSet } from '../../../src/adaptive/dataset';
import { predictProbabilities, predictRaw } from '../../../src/adaptive/gbdt/model';
import { priorTrees } from '../../../src/adaptive/gbdt/prior';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { logLoss } from '../../../src/adaptive/classification-metrics';
import { exportTensorised } from '../../../src/adaptive/onnx/export-tensorised';
import { exportTreeEnsemble } from '../../../src/adaptive/onnx/export-tree-ensemble';
import { SeededRandom } from '../../../src/random';
import { FEATURES } from './helpers';

const ort = createRequire(__filename)('onnxruntime-node') as typeof import('onnxruntime-node');
const logit = (p: number) => Math.log(p / (1 - p));
const PRIOR = { features: ['a', 'b'], floor: 0.05, steps: 16 };
const STEP = (2 * logit(0.95)) / 16;

/**
 * Rows whose columns a and b are chances (NaN now and then, as a rule that is off) and whose label
 * is drawn from max(a, b) nudged by column c: the prior is nearly right, c is what trees must add.
 */
function chanceRows(rows: number, seed: number): TrainingSet & { truth: Float64Array } {
  const random = new SeededRandom(seed);
  const width = FEATURES.features.length;
  const features = new Float32Array(rows * width);
  const labels = new Uint8Array(rows);
  const truth = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = random.next() < 0.2 ? Number.NaN : Math.fround(random.next() ** 3);
    const b = random.next() < 0.2 ? Number.NaN : Math.fround(random.next() ** 3);
    const c = Math.fround(random.next() * 2 - 1);
    features.set([a, b, c, random.next(), random.next(), random.next()], r * width);
    const q = Math.min(0.95, Math.max(0.05, Math.max(a || 0, b || 0)));
    truth[r] = 1 / (1 + Math.exp(-(logit(q) + 0.8 * c)));
    labels[r] = random.next() < truth[r] ? 1 : 0;
  }
  return { featureList: FEATURES, features, labels, rowCount: rows, truth };
}

describe('boosting from a prior of trip chances', () => {
  it("the prior's trees are the log-odds of max(columns) clipped to [floor, 1 - floor], to half a step", () => {
    const { baseScore, trees } = priorTrees(FEATURES, PRIOR);
    expect(trees).toHaveLength(16);
    const rows = chanceRows(2000, 1);
    const raw = predictRaw({ featureList: FEATURES, baseScore, trees }, rows.features);
    for (let r = 0; r < rows.rowCount; r++) {
      const a = rows.features[r * 6];
      const b = rows.features[r * 6 + 1];
      const q = Math.min(0.95, Math.max(0.05, Math.max(Number.isNaN(a) ? 0 : a, Number.isNaN(b) ? 0 : b)));
      expect(Math.abs(raw[r] - logit(q))).toBeLessThanOrEqual(STEP / 2 + 1e-5);
    }
  });

  it('never falls as either column grows, and a missing column counts as 0', () => {
    const model = { featureList: FEATURES, ...priorTrees(FEATURES, PRIOR) };
    const row = (a: number, b: number) => Float32Array.of(a, b, 0, 0, 0, 0);
    let last = -Infinity;
    for (let i = 0; i <= 100; i++) {
      const score = predictRaw(model, row(i / 100, 0.3))[0];
      expect(score).toBeGreaterThanOrEqual(last);
      last = score;
    }
    expect(predictRaw(model, row(Number.NaN, 0.5))[0]).toBe(predictRaw(model, row(0, 0.5))[0]);
    expect(predictRaw(model, row(Number.NaN, Number.NaN))[0]).toBe(predictRaw(model, row(0, 0))[0]);
  });

  it('the trainer starts from it: its trees come first, and the few rounds after it fit better than the same rounds from the base rate', () => {
    const train = chanceRows(6000, 2);
    const test = chanceRows(4000, 3);
    const options = { rounds: 5, maxDepth: 2, earlyStoppingRounds: 0, seed: 1 };
    const fromPrior = trainGbdt(train, { ...options, startFrom: PRIOR });
    const fromBaseRate = trainGbdt(train, options);
    expect(fromPrior.trees).toHaveLength(16 + 5);
    expect(fromPrior.trees.slice(0, 16)).toEqual(priorTrees(FEATURES, PRIOR).trees);
    expect(fromPrior.baseScore).toBe(Math.fround(logit(0.05)));
    expect(fromBaseRate.trees).toHaveLength(5);
    const loss = (model: typeof fromPrior) => logLoss(test.labels, predictProbabilities(model, test.features));
    expect(loss(fromPrior)).toBeLessThan(loss(fromBaseRate) - 0.02);
    // Within reach of the truth itself.
    expect(loss(fromPrior)).toBeLessThan(logLoss(test.labels, test.truth) + 0.02);
  });

  it('both ONNX forms score a prior-started model as the walker does', async () => {
    const model = trainGbdt(chanceRows(3000, 4), { rounds: 10, maxDepth: 3, earlyStoppingRounds: 0, startFrom: PRIOR });
    const rows = chanceRows(500, 5).features;
    const expected = predictProbabilities(model, rows);
    for (const bytes of [exportTreeEnsemble(model), exportTensorised(model)]) {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const out = await session.run({ features: new ort.Tensor('float32', rows, [500, 6]) });
      await session.release();
      const pairs = out.probabilities.data as Float32Array;
      for (let r = 0; r < 500; r++) expect(Math.abs(pairs[2 * r + 1] - expected[r])).toBeLessThan(1e-6);
    }
  });

  it('names what is wrong with a prior', () => {
    const set = chanceRows(200, 6);
    expect(() => trainGbdt(set, { startFrom: { ...PRIOR, features: ['a', 'nope'] } })).toThrow(
      /startFrom names "nope", which is not a feature of test.synthetic@1/,
    );
    expect(() => trainGbdt(set, { startFrom: { ...PRIOR, floor: 0.5 } })).toThrow(
      /startFrom.floor must be a number in \(0, 0.5\), got 0.5/,
    );
    expect(() => trainGbdt(set, { startFrom: { ...PRIOR, steps: 0 } })).toThrow(
      /startFrom.steps must be an integer in \[1, 64\], got 0/,
    );
    expect(() => trainGbdt(set, { startFrom: { ...PRIOR, features: [] } })).toThrow(
      /startFrom.features must be a non-empty array/,
    );
    expect(() => trainGbdt(set, { startFrom: { ...PRIOR, shift: 1 } as never })).toThrow(
      /startFrom has unknown keys shift/,
    );
  });
});
