import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureListMismatchError } from '../../../src/errors/FeatureListMismatchError';
import { predictProbabilities } from '../../../src/adaptive/gbdt/model';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { exportTensorised } from '../../../src/adaptive/onnx/export-tensorised';
import { exportTreeEnsemble } from '../../../src/adaptive/onnx/export-tree-ensemble';
import { decodeModel } from '../../../src/adaptive/onnx/model-file';
import { ModelFileError } from '../../../src/adaptive/errors/ModelFileError';
import { modelProtoType } from '../../../src/adaptive/onnx/schema';
import { loadOnnxRuntime } from '../../../src/adaptive/onnxruntime';
import { Predictor } from '../../../src/adaptive/predictor';
import { defaultModelPath } from '../../../src/adaptive/default-model';
import { CORE_FEATURES, CORE_FEATURE_COUNT, coreColumn } from '../../../src/features/core-features';
import { LATENCY_TO_TIMEOUT_FEATURES } from '../../../src/features/column-groups';
import { chunkRows } from '../../../src/adaptive/scorers';
import { FEATURES, buildAdaptiveBundle, syntheticSet } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'breakwater-predictor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { set } = syntheticSet(4000, 31, 2, 0.1);
const model = trainGbdt(set, { seed: 31, rounds: 80 });
const treeFile = join(dir, 'model.onnx');
const tensorFile = join(dir, 'model-tensorised.onnx');
writeFileSync(treeFile, exportTreeEnsemble(model));
writeFileSync(tensorFile, exportTensorised(model));
/** 1000 breakers' rows, one batch. */
const batch = syntheticSet(1000, 32, 2, 0.1).set.features;
const expected = predictProbabilities(model, batch);

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('Predictor scores a batch of breakers in one run', () => {
  it.each([
    ['tree-ensemble', treeFile],
    ['tensorised', tensorFile],
  ])('from a %s model file, on the CPU by default', async (form, file) => {
    const predictor = await Predictor.load(file, { featureList: FEATURES });
    expect(predictor.executionProvider).toBe('cpu');
    expect(predictor.description.form).toBe(form);
    if (form === 'tensorised') {
      // The tensorised graph runs in memory-bounded chunks of rows: a batch of two and a half chunks.
      const chunk = chunkRows(predictor.description);
      const large = syntheticSet(Math.ceil(2.5 * chunk), 33, 2, 0.1).set.features;
      expect(maxDifference(await predictor.score(large), predictProbabilities(model, large))).toBeLessThan(1e-6);
    } else {
      expect(chunkRows(predictor.description)).toBe(Number.POSITIVE_INFINITY);
    }
    const scores = await predictor.score(batch);
    expect(scores).toHaveLength(1000);
    expect(maxDifference(scores, expected)).toBeLessThan(1e-6);
    expect(await predictor.score(new Float32Array(0))).toHaveLength(0);
    await predictor.close();
    await expect(predictor.score(batch)).rejects.toThrow(/predictor is closed/);
  });

  it('from bytes', async () => {
    const predictor = await Predictor.load(exportTreeEnsemble(model), { featureList: FEATURES, intraOpThreads: 1 });
    expect(maxDifference(await predictor.score(batch), expected)).toBeLessThan(1e-6);
    await predictor.close();
  });

  it('asked for CUDA where there is none: falls back to the CPU, says why, warns once, same scores', async () => {
    const warnings: string[] = [];
    const listen = (warning: Error) => warnings.push(warning.message);
    process.on('warning', listen);
    try {
      const first = await Predictor.load(treeFile, { featureList: FEATURES, executionProviders: ['cuda', 'cpu'] });
      const second = await Predictor.load(tensorFile, { featureList: FEATURES, executionProviders: ['cuda', 'cpu'] });
      await new Promise((done) => setImmediate(done));
      for (const predictor of [first, second]) {
        expect(predictor.executionProvider).toBe('cpu');
        expect(predictor.fallbackReason).toMatch(/^CUDA execution provider unavailable: ./);
        expect(maxDifference(await predictor.score(batch), expected)).toBeLessThan(1e-6);
        await predictor.close();
      }
      expect(warnings.filter((w) => w.includes('CUDA'))).toHaveLength(1);
    } finally {
      process.off('warning', listen);
    }
  });

  it('with the TypeScript tree walker: the same scores, from tree-ensemble models only', async () => {
    const walker = await Predictor.load(treeFile, { featureList: FEATURES, executionProviders: ['typescript'] });
    expect(walker.executionProvider).toBe('typescript');
    expect(maxDifference(await walker.score(batch), expected)).toBeLessThan(1e-6);
    await walker.close();
    await expect(
      Predictor.load(tensorFile, { featureList: FEATURES, executionProviders: ['typescript'] }),
    ).rejects.toThrow(/model-tensorised.onnx: holds a tensorised graph, not a TreeEnsembleClassifier/);
  });

  it('asked for CUDA only, without a CPU fallback: a clear error', async () => {
    await expect(Predictor.load(treeFile, { featureList: FEATURES, executionProviders: ['cuda'] })).rejects.toThrow(
      /CUDA execution provider unavailable.*add 'cpu' to executionProviders/,
    );
  });
});

describe('Predictor refuses what it cannot score', () => {
  it('rows of another feature list: name, version, order', async () => {
    const cases = [
      [{ ...FEATURES, name: 'other' }, /trained on test.synthetic@1 \(6 features\), the rows are other@1/],
      [{ ...FEATURES, version: 2 }, /the rows are test.synthetic@2/],
      [{ ...FEATURES, features: ['b', 'a', 'c', 'd', 'e', 'f'] }, /column 0 is "a" in the model but "b" in the rows/],
      [{ ...FEATURES, features: ['a', 'b', 'c'] }, /expects 6 features, the rows have 3/],
    ] as const;
    for (const [featureList, message] of cases) {
      const load = Predictor.load(treeFile, { featureList });
      await expect(load).rejects.toBeInstanceOf(FeatureListMismatchError);
      await expect(load).rejects.toThrow(message);
    }
  });

  it('a missing file, a truncated file, a file that is not ONNX, an ONNX file without breakwater metadata', async () => {
    const bytes = exportTreeEnsemble(model);
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
    const text = join(dir, 'text.onnx');
    writeFileSync(text, 'this is not a model\n');
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    const decoded = decodeModel(bytes);
    const type = modelProtoType();
    const foreign = join(dir, 'foreign.onnx');
    writeFileSync(foreign, type.encode(type.fromObject({ ...decoded, metadataProps: [] })).finish());
    const cases = [
      [join(dir, 'absent.onnx'), /absent.onnx: no such file/],
      [truncated, /truncated.onnx: not an ONNX model \(truncated or not protobuf\)/],
      [text, /text.onnx: not an ONNX model/],
      [empty, /empty.onnx: the file is empty/],
      [foreign, /foreign.onnx: not a breakwater model: metadata_props lack "breakwater.features"/],
      // Before: 'model : no such file', as if a file named nothing had gone missing.
      ['', /model "": an empty path; give the model file's path, or its bytes as a Uint8Array/],
      ['  ', /model " {2}": an empty path/],
    ] as const;
    for (const [file, message] of cases) {
      const load = Predictor.load(file, { featureList: FEATURES });
      await expect(load).rejects.toBeInstanceOf(ModelFileError);
      await expect(load).rejects.toThrow(message);
    }
    // Damaged trees, found by flipping bytes of the shipped model: the walker met a hole and threw
    // a TypeError. Each is a ModelFileError naming the tree and the node.
    const damaged = (name: string, change: (ints: Map<string, number[]>) => void): string => {
      const copy = decodeModel(bytes);
      const ensemble = copy.graph.node.find((node) => node.opType === 'TreeEnsembleClassifier');
      const ints = new Map((ensemble?.attribute ?? []).map((a) => [a.name, a.ints ?? []]));
      change(ints);
      const file = join(dir, name);
      writeFileSync(file, type.encode(type.fromObject(copy)).finish());
      return file;
    };
    const childGone = damaged('child-gone.onnx', (ints) => {
      const modes = ints.get('nodes_truenodeids') as number[];
      modes[0] = (ints.get('nodes_nodeids') as number[]).filter((_, i) => ints.get('nodes_treeids')?.[i] === 0).length;
    });
    const hole = damaged('hole.onnx', (ints) => {
      const nodeIds = ints.get('nodes_nodeids') as number[];
      nodeIds[1] = nodeIds.length - 1; // tree 0 loses its node 1, gains one far past its end
    });
    const walker = { featureList: FEATURES, executionProviders: ['typescript'] } as const;
    await expect(Predictor.load(childGone, walker)).rejects.toThrow(
      /child-gone.onnx: tree 0 node 0 points at node \d+, which the tree lacks/,
    );
    await expect(Predictor.load(hole, walker)).rejects.toThrow(/hole.onnx: tree 0 has no node 1 \(node ids skip it\)/);
    // Loaded once, such models failed every score: a root that is its own child, a split on no feature.
    const rootOf = (ints: Map<string, number[]>): number =>
      (ints.get('nodes_treeids') as number[]).findIndex(
        (tree, i) => tree === 0 && ints.get('nodes_nodeids')?.[i] === 0,
      );
    const cycle = damaged('cycle.onnx', (ints) => {
      (ints.get('nodes_truenodeids') as number[])[rootOf(ints)] = 0;
    });
    const noFeature = damaged('no-feature.onnx', (ints) => {
      (ints.get('nodes_featureids') as number[])[rootOf(ints)] = 999;
    });
    await expect(Predictor.load(cycle, walker)).rejects.toThrow(
      /cycle.onnx: tree 0 reaches node 0 twice \(a cycle, or a node with two parents\)/,
    );
    await expect(Predictor.load(noFeature, walker)).rejects.toThrow(
      new RegExp(`no-feature.onnx: tree 0 node 0 splits on feature 999; the model has ${FEATURES.features.length}`),
    );
  });

  it("the shipped model with no options: the early warning's rows, on the CPU", async () => {
    const predictor = await Predictor.load(defaultModelPath());
    expect(predictor.featureList).toEqual(CORE_FEATURES);
    expect(predictor.executionProvider).toBe('cpu');
    const [probability] = await predictor.score(new Float32Array(CORE_FEATURE_COUNT));
    expect(probability).toBeGreaterThanOrEqual(0);
    expect(probability).toBeLessThanOrEqual(1);
    await predictor.close();
  });

  it('the shipped model scores a breaker without a timeout as one whose latency sits at the training median of its timeout', async () => {
    const card = JSON.parse(readFileSync(`${defaultModelPath()}.card.json`, 'utf8')) as {
      missingAs: Record<string, number>;
    };
    expect(Object.keys(card.missingAs).sort()).toEqual([...LATENCY_TO_TIMEOUT_FEATURES].sort());
    const calm = (toTimeout: (name: string) => number) => {
      const row = new Float32Array(CORE_FEATURE_COUNT);
      for (const name of LATENCY_TO_TIMEOUT_FEATURES) row[coreColumn(name)] = toTimeout(name);
      return row;
    };
    for (const executionProviders of [['cpu'], ['typescript']] as const) {
      const predictor = await Predictor.load(defaultModelPath(), { executionProviders: [...executionProviders] });
      const [withoutTimeout, atMedian, nearTimeout] = await predictor.score(
        Float32Array.from([...calm(() => Number.NaN), ...calm((name) => card.missingAs[name]), ...calm(() => 0.95)]),
      );
      expect(withoutTimeout).toBe(atMedian);
      expect(nearTimeout).toBeGreaterThan(atMedian);
      await predictor.close();
    }
  });

  it('bad options and bad rows', async () => {
    await expect(Predictor.load(treeFile, null as never)).rejects.toThrow(
      /Predictor.load options must be an object, got null/,
    );
    await expect(Predictor.load(treeFile, { featureList: 'core' as never })).rejects.toThrow(
      /options.featureList must be an object/,
    );
    // Without a featureList the rows are the early warning's: a model of other features is refused.
    await expect(Predictor.load(treeFile)).rejects.toThrow(FeatureListMismatchError);
    await expect(
      Predictor.load(treeFile, { featureList: FEATURES, executionProviders: ['tpu' as never] }),
    ).rejects.toThrow(/unknown provider "tpu" \(known: 'cpu', 'cuda', 'typescript'\)/);
    await expect(Predictor.load(treeFile, { featureList: FEATURES, executionProviders: [] })).rejects.toThrow(
      /executionProviders must be a non-empty array/,
    );
    await expect(Predictor.load(treeFile, { featureList: FEATURES, intraOpThreads: 0 })).rejects.toThrow(
      /intraOpThreads must be an integer from 1 to 1024, got 0/,
    );
    const predictor = await Predictor.load(treeFile, { featureList: FEATURES });
    await expect(predictor.score(new Float32Array(7))).rejects.toThrow(/got 7 values, not whole rows of 6 features/);
    await expect(predictor.score([1, 2, 3, 4, 5, 6] as never)).rejects.toThrow(/needs a Float32Array/);
    await predictor.close();
  });

  it('names the optional package when it is not installed', () => {
    expect(() => loadOnnxRuntime('onnxruntime-node-not-installed')).toThrow(
      /needs the optional peer dependency onnxruntime-node-not-installed; install it with `npm install onnxruntime-node-not-installed`/,
    );
  });
});

describe('onnxruntime-node is loaded only when a model is', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = buildAdaptiveBundle();
  });
  afterAll(() => rmSync(dirname(bundle), { recursive: true, force: true }));

  it("import { CircuitBreaker } from 'breakwater' does not load it; the adaptive entry loads it on Predictor.load", () => {
    const script = `
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('onnxruntime'));
      require(${JSON.stringify(resolve(__dirname, '../../../dist/index.js'))});
      const afterCore = loaded();
      const adaptive = require(${JSON.stringify(bundle)});
      const afterAdaptive = loaded();
      adaptive.Predictor.load(${JSON.stringify(treeFile)}, { featureList: ${JSON.stringify(FEATURES)} }).then((p) => {
        console.log(JSON.stringify({ afterCore, afterAdaptive, afterLoad: loaded() }));
        return p.close();
      });`;
    // The bundle sits in a temp folder: NODE_PATH lets its require('onnxruntime-node') find the package.
    const output = execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: resolve(__dirname, '../../../node_modules') },
    });
    expect(JSON.parse(output)).toEqual({ afterCore: false, afterAdaptive: false, afterLoad: true });
  });

  it('where onnxruntime-node is not installed: a named error, or the tree walker when asked for it', () => {
    // From a temp folder without NODE_PATH, require('onnxruntime-node') finds nothing, as in a user's app without it.
    const script = `
      const adaptive = require(${JSON.stringify(bundle)});
      const rows = new Float32Array(new Uint8Array(Buffer.from('${Buffer.from(batch.slice(0, 60).buffer).toString('base64')}', 'base64')).buffer);
      const options = (executionProviders) => ({ featureList: ${JSON.stringify(FEATURES)}, executionProviders });
      process.on('warning', (w) => console.error('warning', w.code));
      (async () => {
        const missing = await adaptive.Predictor.load(${JSON.stringify(treeFile)}, options(['cpu'])).then(() => 'loaded', (e) => e.message);
        const walker = await adaptive.Predictor.load(${JSON.stringify(treeFile)}, options(['cpu', 'typescript']));
        console.log(JSON.stringify({ missing, provider: walker.executionProvider, reason: walker.fallbackReason, scores: Array.from(await walker.score(rows)) }));
      })();`;
    const env = { ...process.env };
    delete env.NODE_PATH;
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env, cwd: tmpdir() });
    const result = JSON.parse(output) as { missing: string; provider: string; reason: string; scores: number[] };
    expect(result.missing).toMatch(
      /needs the optional peer dependency onnxruntime-node; install it with `npm install onnxruntime-node`, or score with the built-in tree walker: Predictor.load\(model, \{ executionProviders: \['typescript'\] \}\)/,
    );
    expect(result.provider).toBe('typescript');
    expect(result.reason).toMatch(
      /^cpu: scoring a model with onnxruntime needs the optional peer dependency onnxruntime-node/,
    );
    expect(maxDifference(result.scores, expected.subarray(0, 10))).toBeLessThan(1e-6);
  });
});
