import { describe, expect, it } from 'vitest';
import { trainingSetFromRows } from '../../../src/adaptive/dataset';
import { predictProbabilities, type GbdtModel } from '../../../src/adaptive/gbdt/model';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { rocAuc } from '../../../src/adaptive/classification-metrics';
import { SeededRandom } from '../../../src/random';
import { FEATURES, split, syntheticSet } from './helpers';

const column = (model: GbdtModel, set: { features: Float32Array }) => predictProbabilities(model, set.features);

describe('the GBDT trainer learns', () => {
  it('almost separable data: test AUC above 0.97 and close to the true probability', () => {
    const { set, truth } = syntheticSet(8000, 1, 12);
    const [train, test] = split(set, 6000);
    const model = trainGbdt(train, { seed: 1 });
    const auc = rocAuc(test.labels, column(model, test));
    const best = rocAuc(test.labels, truth.subarray(6000));
    expect(auc).toBeGreaterThan(0.97);
    expect(auc).toBeGreaterThan(best - 0.02);
  });

  it('noisy data: within 0.02 of the true probability, far above a one-feature baseline', () => {
    const { set, truth } = syntheticSet(12000, 2, 1.2);
    const [train, test] = split(set, 8000);
    const model = trainGbdt(train, { seed: 2 });
    const auc = rocAuc(test.labels, column(model, test));
    const best = rocAuc(test.labels, truth.subarray(8000));
    const width = FEATURES.features.length;
    const oneFeature = Float64Array.from({ length: test.rowCount }, (_, r) => test.features[r * width]);
    expect(auc).toBeGreaterThan(best - 0.02);
    expect(auc).toBeGreaterThan(rocAuc(test.labels, oneFeature) + 0.03);
  });

  it('stops early on labels that are pure noise, keeping only the best rounds', () => {
    const { set } = syntheticSet(4000, 3, 0);
    const model = trainGbdt(set, { rounds: 500, earlyStoppingRounds: 5, seed: 3 });
    expect(model.summary.stoppedEarly).toBe(true);
    expect(model.summary.roundsGrown).toBeLessThan(500);
    expect(model.trees.length).toBe(model.summary.bestRound);
    expect(model.summary.roundsGrown - model.summary.bestRound).toBe(5);
  });

  it('grows every round without early stopping', () => {
    const { set } = syntheticSet(2000, 4, 3);
    const model = trainGbdt(set, { rounds: 30, earlyStoppingRounds: 0 });
    expect(model.trees.length).toBe(30);
    expect(model.summary.validationRows).toBe(0);
    expect(model.trees.every((tree) => tree.nodes.length <= 2 ** 7 - 1)).toBe(true);
  });

  it('early-stops on a validation set of your own, or only reports its loss when early stopping is off', () => {
    const { set } = syntheticSet(4000, 13, 0);
    const [train, validation] = split(set, 3000);
    const losses: number[] = [];
    const stopped = trainGbdt(
      train,
      { earlyStoppingRounds: 3, rounds: 300 },
      { validation, onRound: (p) => losses.push(p.validationLogLoss) },
    );
    expect(stopped.summary).toMatchObject({ stoppedEarly: true, validationRows: 1000, trainingRows: 3000 });
    expect(losses.every((loss) => Number.isFinite(loss))).toBe(true);
    const watched = trainGbdt(train, { earlyStoppingRounds: 0, rounds: 25 }, { validation });
    expect(watched.trees).toHaveLength(25);
    expect(watched.summary.stoppedEarly).toBe(false);
  });

  it('respects the depth limit', () => {
    const { set } = syntheticSet(3000, 5, 3);
    const depth = (model: GbdtModel, tree = 0, node = 0): number => {
      const n = model.trees[tree].nodes[node];
      return n.kind === 'leaf' ? 0 : 1 + Math.max(depth(model, tree, n.left), depth(model, tree, n.right));
    };
    const model = trainGbdt(set, { maxDepth: 2, rounds: 10, earlyStoppingRounds: 0 });
    expect(Math.max(...model.trees.map((_, t) => depth(model, t)))).toBe(2);
  });
});

describe('determinism', () => {
  it('the same data, options and seed give the same model', () => {
    const { set } = syntheticSet(3000, 6, 2);
    const options = { seed: 7, rowSubsample: 0.7, featureSubsample: 0.5, rounds: 40 };
    expect(JSON.stringify(trainGbdt(set, options))).toBe(JSON.stringify(trainGbdt(set, options)));
  });

  it('another seed draws other rows and features', () => {
    const { set } = syntheticSet(3000, 6, 2);
    const a = trainGbdt(set, { seed: 7, rowSubsample: 0.7, featureSubsample: 0.5, rounds: 40 });
    const b = trainGbdt(set, { seed: 8, rowSubsample: 0.7, featureSubsample: 0.5, rounds: 40 });
    expect(JSON.stringify(a.trees)).not.toBe(JSON.stringify(b.trees));
  });
});

describe('missing values (NaN)', () => {
  it('learns from missingness itself and sends NaN down the learned side', () => {
    const random = new SeededRandom(9);
    const rows: Array<Array<number | null>> = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const missing = random.next() < 0.3;
      const a = random.next();
      rows.push([missing ? null : a, random.next(), random.next(), random.next(), random.next(), random.next()]);
      labels.push(missing || a > 0.8 ? 1 : 0);
    }
    const [train, test] = split(trainingSetFromRows(FEATURES, rows, labels), 3000);
    const model = trainGbdt(train, { seed: 9 });
    expect(rocAuc(test.labels, column(model, test))).toBeGreaterThan(0.99);
    const probe = new Float32Array([Number.NaN, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const [whenMissing, whenLow] = predictProbabilities(model, probe);
    expect(whenMissing).toBeGreaterThan(0.9);
    expect(whenLow).toBeLessThan(0.1);
    expect(
      model.trees.some((tree) => tree.nodes.some((n) => n.kind === 'split' && n.feature === 0 && n.missingGoesLeft)),
    ).toBe(true);
  });

  it('with missingAsMedian, trains and scores a missing value as the median: its absence alone moves no score', () => {
    const random = new SeededRandom(14);
    const rows: Array<Array<number | null>> = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      // Its value says nothing; its absence says "rarely" (2% against 30%): a base rate, not evidence.
      const missing = random.next() < 0.4;
      rows.push([
        missing ? null : random.next(),
        random.next(),
        random.next(),
        random.next(),
        random.next(),
        random.next(),
      ]);
      labels.push(random.next() < (missing ? 0.02 : 0.3) ? 1 : 0);
    }
    const set = trainingSetFromRows(FEATURES, rows, labels);
    const learnt = trainGbdt(set, { seed: 14, rounds: 40 });
    const filled = trainGbdt(set, { seed: 14, rounds: 40, missingAsMedian: ['a'] });
    const median = filled.summary.missingAs.a;
    expect(median).toBeGreaterThan(0.45);
    expect(median).toBeLessThan(0.55);
    expect(learnt.summary.missingAs).toEqual({});
    const probe = (a: number) => new Float32Array([a, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const [learntMissing] = predictProbabilities(learnt, probe(Number.NaN));
    const [learntMedian] = predictProbabilities(learnt, probe(median));
    expect(learntMissing).toBeLessThan(learntMedian / 2);
    const [filledMissing] = predictProbabilities(filled, probe(Number.NaN));
    const [filledMedian] = predictProbabilities(filled, probe(median));
    expect(filledMissing).toBe(filledMedian);
    // Every split on the column sends NaN where its median goes: the trees alone carry the fill.
    for (const tree of filled.trees)
      for (const node of tree.nodes)
        if (node.kind === 'split' && node.feature === 0) expect(node.missingGoesLeft).toBe(median <= node.threshold);
  });

  it('scores NaN in a feature that was never missing in training (it follows the bigger child)', () => {
    const { set } = syntheticSet(3000, 10, 3);
    const model = trainGbdt(set, { seed: 10, rounds: 20 });
    const row = new Float32Array(FEATURES.features.length).fill(Number.NaN);
    const [p] = predictProbabilities(model, row);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
  });

  it('trains when a third of all values are missing', () => {
    const { set, truth } = syntheticSet(6000, 11, 4, 0.33);
    const [train, test] = split(set, 4000);
    const model = trainGbdt(train, { seed: 11 });
    expect(rocAuc(test.labels, column(model, test))).toBeGreaterThan(rocAuc(test.labels, truth.subarray(4000)) - 0.15);
  });
});

describe('bad input gets a named error', () => {
  const { set } = syntheticSet(500, 12, 2);

  it.each([
    [{ rounds: 0 }, /gbdt option rounds must be an integer in \[1, 100000\], got 0/],
    [{ learningRate: 0 }, /gbdt option learningRate must be a number in \(0, 1\]/],
    [{ maxDepth: 2.5 }, /gbdt option maxDepth must be an integer/],
    [{ maxBins: 256 }, /gbdt option maxBins/],
    [{ l2: -1 }, /gbdt option l2/],
    [{ rowSubsample: 1.5 }, /gbdt option rowSubsample/],
    [{ featureSubsample: 0 }, /gbdt option featureSubsample/],
    [{ validationFraction: 1 }, /gbdt option validationFraction/],
    [{ seed: 'x' }, /gbdt option seed must be an integer .* got string/],
    [{ minSamplesLeaf: Number.NaN }, /gbdt option minSamplesLeaf/],
    [{ depth: 3 }, /unknown gbdt option "depth"/],
    [{ missingAsMedian: 'a' }, /gbdt option missingAsMedian must be an array of feature names/],
    [{ missingAsMedian: ['z'] }, /gbdt option missingAsMedian names "z", which is not a feature of test.synthetic@1/],
    [
      { missingAsMedian: ['a'], startFrom: { features: ['a'], floor: 0.05, steps: 4 } },
      /gbdt option missingAsMedian names "a", a startFrom column/,
    ],
  ])('%j', (options, message) => {
    expect(() => trainGbdt(set, options as never)).toThrow(message);
  });

  it('labels other than 0/1, rows of the wrong width, one class only', () => {
    expect(() => trainGbdt({ ...set, labels: new Uint8Array(500).fill(2) })).toThrow(
      /labels\[0\] is 2, expected 0 or 1/,
    );
    expect(() => trainGbdt({ ...set, features: set.features.subarray(1) })).toThrow(
      /features has 2999 values, expected rowCount × features = 500 × 6/,
    );
    expect(() => trainGbdt({ ...set, labels: new Uint8Array(500) })).toThrow(/need both labels, got 0 positive of/);
    expect(() => trainingSetFromRows(FEATURES, [[1, 2, 3]], [1])).toThrow(/rows\[0\] must hold 6 values/);
    expect(() => trainingSetFromRows(FEATURES, [[1, 2, 3, 4, 5, 6]], [3])).toThrow(
      /labels\[0\] must be 0, 1, false or true/,
    );
    expect(() => trainingSetFromRows({ name: 'x', version: 0, features: ['a'] }, [], [])).toThrow(
      /featureList.version must be a positive integer/,
    );
    expect(() => trainingSetFromRows({ name: 'x', version: 1, features: ['a', 'a'] }, [], [])).toThrow(
      /featureList.features has "a" twice/,
    );
  });

  it('a validation set of other features', () => {
    const other = { ...set, featureList: { ...FEATURES, version: 2 } };
    expect(() => trainGbdt(set, {}, { validation: other })).toThrow(
      /validation set does not match the training set: the model was trained on test.synthetic@1/,
    );
  });
});
