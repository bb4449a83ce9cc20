import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { predictProbabilities, type GbdtModel } from '../../../src/adaptive/gbdt/model';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { exportTensorised } from '../../../src/adaptive/onnx/export-tensorised';
import { exportTreeEnsemble } from '../../../src/adaptive/onnx/export-tree-ensemble';
import { modelFromTreeEnsemble } from '../../../src/adaptive/onnx/import-tree-ensemble';
import { decodeModel, readModelInfo } from '../../../src/adaptive/onnx/model-file';
import { FEATURES, syntheticSet } from './helpers';

const ort = createRequire(__filename)('onnxruntime-node') as typeof import('onnxruntime-node');

/** P(failure) of every row, as onnxruntime-node computes it on the CPU. */
async function scoreWithOnnxRuntime(bytes: Uint8Array, rows: Float32Array): Promise<Float32Array> {
  const width = FEATURES.features.length;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const out = await session.run({ features: new ort.Tensor('float32', rows, [rows.length / width, width]) });
  await session.release();
  const pairs = out.probabilities.data as Float32Array;
  expect(out.probabilities.dims).toEqual([rows.length / width, 2]);
  return Float32Array.from({ length: rows.length / width }, (_, i) => {
    expect(pairs[2 * i] + pairs[2 * i + 1]).toBeCloseTo(1, 6);
    return pairs[2 * i + 1];
  });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Test rows with missing values and infinities mixed in, to follow every branch kind. */
function rowsWithEdges(seed: number): Float32Array {
  const rows = syntheticSet(3000, seed, 2, 0.1).set.features.slice();
  rows[1] = Number.POSITIVE_INFINITY;
  rows[8] = Number.NEGATIVE_INFINITY;
  rows.fill(Number.NaN, 12, 18);
  return rows;
}

describe('ONNX export, scored by onnxruntime-node', () => {
  const { set } = syntheticSet(6000, 21, 2, 0.15);
  const model = trainGbdt(set, { seed: 21, rounds: 150, earlyStoppingRounds: 0 });
  const rows = rowsWithEdges(22);
  const expected = predictProbabilities(model, rows);

  it('TreeEnsembleClassifier: the same probabilities as the trainer within 1e-6', async () => {
    const scored = await scoreWithOnnxRuntime(exportTreeEnsemble(model), rows);
    expect(maxDifference(scored, expected)).toBeLessThan(1e-6);
  });

  it('tensorised MatMul/compare/MatMul graph: the same probabilities within 1e-6', async () => {
    const scored = await scoreWithOnnxRuntime(exportTensorised(model), rows);
    expect(maxDifference(scored, expected)).toBeLessThan(1e-6);
  });

  it('stumps, a model with subsampling, and a model with no trees export too', async () => {
    const stumps = trainGbdt(set, { maxDepth: 1, rounds: 40, rowSubsample: 0.5, featureSubsample: 0.5, seed: 2 });
    const empty: GbdtModel = { ...stumps, trees: [] };
    for (const m of [stumps, empty]) {
      const want = predictProbabilities(m, rows);
      expect(maxDifference(await scoreWithOnnxRuntime(exportTreeEnsemble(m), rows), want)).toBeLessThan(1e-6);
      expect(maxDifference(await scoreWithOnnxRuntime(exportTensorised(m), rows), want)).toBeLessThan(1e-6);
    }
  });

  it('trained on infinities too: both forms agree with the trainer on ±Infinity', async () => {
    const { set: withInfinity } = syntheticSet(3000, 23, 2);
    const features = withInfinity.features.slice();
    for (let i = 0; i < features.length; i += 7)
      features[i] = i % 2 === 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    const trained = trainGbdt({ ...withInfinity, features }, { seed: 23, rounds: 60 });
    const want = predictProbabilities(trained, features);
    expect(maxDifference(await scoreWithOnnxRuntime(exportTreeEnsemble(trained), features), want)).toBeLessThan(1e-6);
    expect(maxDifference(await scoreWithOnnxRuntime(exportTensorised(trained), features), want)).toBeLessThan(1e-6);
  });

  it('declares IR 8, opset 17 and ai.onnx.ml 3, uses standard ops only in the tensorised form, and has no ZipMap', () => {
    const ensemble = decodeModel(exportTreeEnsemble(model));
    const tensorised = decodeModel(exportTensorised(model));
    for (const m of [ensemble, tensorised]) {
      expect(m.irVersion).toBe(8);
      expect(m.opsetImport.map(({ domain, version }) => [domain ?? '', version])).toEqual([
        ['', 17],
        ['ai.onnx.ml', 3],
      ]);
      expect(m.graph.node.some((n) => n.opType === 'ZipMap')).toBe(false);
    }
    expect(ensemble.graph.node.map((n) => n.opType)).toEqual(['TreeEnsembleClassifier']);
    expect(tensorised.graph.node.every((n) => (n.domain ?? '') === '')).toBe(true);
    expect(tensorised.graph.node.filter((n) => n.opType === 'MatMul')).toHaveLength(4);
  });

  it('stores the versioned feature list and the training summary in metadata_props', () => {
    const info = readModelInfo(exportTreeEnsemble(model, { extra: { data: 'synthetic', horizonSeconds: '30' } }));
    expect(info.featureList).toEqual(FEATURES);
    expect(info.description).toMatchObject({
      format: 'breakwater.gbdt',
      formatVersion: 1,
      form: 'tree-ensemble',
      trees: 150,
      input: 'features',
      output: 'probabilities',
    });
    expect(info.description.extra).toEqual({ data: 'synthetic', horizonSeconds: '30' });
    expect(info.description.summary.trainingRows).toBe(model.summary.trainingRows);
    expect(readModelInfo(exportTensorised(model)).description.form).toBe('tensorised');
  });

  it('reads the tree ensemble back into the same model (the TypeScript walker scores it alike)', () => {
    const back = modelFromTreeEnsemble(decodeModel(exportTreeEnsemble(model)));
    expect(back.trees).toEqual(model.trees);
    expect(back.baseScore).toBe(model.baseScore);
    expect(predictProbabilities(back, rows)).toEqual(expected);
  });
});
