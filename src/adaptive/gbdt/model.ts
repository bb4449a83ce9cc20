import type { FeatureList } from '../../features/feature-list';
import { compileEnsemble, type CompiledEnsemble } from './compiled';
import type { Tree } from './tree';

export type { LeafNode, SplitNode, Tree, TreeNode } from './tree';

/** How training went, stored in the model's metadata. */
export interface TrainingSummary {
  readonly trainingRows: number;
  readonly validationRows: number;
  readonly positiveShare: number;
  /** Trees grown before stopping, and how many of them were kept (up to the best round when early stopping). */
  readonly roundsGrown: number;
  readonly bestRound: number;
  /** Validation log-loss of the kept trees; null without a validation set. */
  readonly validationLogLoss: number | null;
  readonly stoppedEarly: boolean;
  /** The value each missingAsMedian feature's NaN reads as (empty without that option). */
  readonly missingAs: Readonly<Record<string, number>>;
}

/** A trained binary classifier: P(y = 1 | x) = sigmoid(baseScore + Σ leaf values). */
export interface GbdtModel {
  readonly featureList: FeatureList;
  /** Log-odds of the training labels' mean, a float32 value. */
  readonly baseScore: number;
  readonly trees: readonly Tree[];
  readonly summary: TrainingSummary;
}

/** What scoring needs of a model. */
export type Ensemble = Pick<GbdtModel, 'featureList' | 'baseScore' | 'trees'>;

/**
 * The ensemble as flat typed arrays, all trees' nodes end to end: walking numbers instead of
 * node objects of two shapes keeps V8 on monomorphic loads (several times faster on big batches).
 */
interface FlatEnsemble {
  /** Index of each tree's root. */
  roots: Int32Array;
  /** -1 for a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  /** Absolute node indices of the children. */
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

const flattened = new WeakMap<Ensemble, FlatEnsemble>();

function flatten(model: Ensemble): FlatEnsemble {
  const cached = flattened.get(model);
  if (cached) return cached;
  const total = model.trees.reduce((sum, tree) => sum + tree.nodes.length, 0);
  const flat: FlatEnsemble = {
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(total).fill(-1),
    threshold: new Float64Array(total),
    missingLeft: new Uint8Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total),
  };
  let base = 0;
  model.trees.forEach((tree, t) => {
    flat.roots[t] = base;
    tree.nodes.forEach((node, i) => {
      if (node.kind === 'leaf') {
        flat.value[base + i] = node.value;
        return;
      }
      flat.feature[base + i] = node.feature;
      flat.threshold[base + i] = node.threshold;
      flat.missingLeft[base + i] = node.missingGoesLeft ? 1 : 0;
      flat.left[base + i] = base + node.left;
      flat.right[base + i] = base + node.right;
    });
    base += tree.nodes.length;
  });
  flattened.set(model, flat);
  return flat;
}

const compiledEnsembles = new WeakMap<Ensemble, CompiledEnsemble | null>();

/** Raw scores (log-odds) of every row of a row-major Float32Array. */
export function predictRaw(model: Ensemble, features: Float32Array): Float64Array {
  const width = model.featureList.features.length;
  if (features.length % width !== 0)
    throw new RangeError(
      `breakwater/adaptive: features has ${features.length} values, not a multiple of the model's ${width} features`,
    );
  const rows = features.length / width;
  let compiled = compiledEnsembles.get(model);
  if (compiled === undefined) compiledEnsembles.set(model, (compiled = compileEnsemble(model.trees, width) ?? null));
  if (compiled !== null) {
    const raw = new Float64Array(rows).fill(model.baseScore);
    compiled(features, rows, width, raw);
    return raw;
  }
  return walkTrees(model, features, rows, width);
}

/** predictRaw() without generated code: walks the flat arrays. */
function walkTrees(model: Ensemble, features: Float32Array, rows: number, width: number): Float64Array {
  const { roots, feature, threshold, missingLeft, left, right, value } = flatten(model);
  const raw = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const offset = r * width;
    let sum = model.baseScore;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      while (feature[node] >= 0) {
        const x = features[offset + feature[node]];
        // NaN fails every comparison, so `x <= threshold` is false for it: ask missingLeft instead.
        const goLeft = x <= threshold[node] || (x !== x && missingLeft[node] === 1);
        node = goLeft ? left[node] : right[node];
      }
      sum += value[node];
    }
    raw[r] = sum;
  }
  return raw;
}

/** The logistic function. */
export function sigmoid(raw: number): number {
  return 1 / (1 + Math.exp(-raw));
}

/** P(y = 1) of every row of a row-major Float32Array. */
export function predictProbabilities(model: Ensemble, features: Float32Array): Float64Array {
  return predictRaw(model, features).map(sigmoid);
}
