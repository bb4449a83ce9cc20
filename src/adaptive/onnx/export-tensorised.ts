import type { GbdtModel, Tree } from '../gbdt/model';
import { attribute, floatTensor, int64Tensor, node, tensorValue } from './builders';
import { INPUT_NAME, OUTPUT_NAME, describe, type ExportOptions } from './export-tree-ensemble';
import { encodeModel } from './model-file';
import { DataType } from './schema';

/** The largest finite float32: infinities are clipped to it, since Inf × 0 in MatMul would be NaN. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** One tree as matrices (Hummingbird's GEMM strategy), padded to the ensemble's widest tree. */
interface TreeMatrices {
  /** splits: the inner nodes, in node order; leaves: the leaves, in node order. */
  splits: number[];
  leaves: number[];
  /** For each leaf, the inner nodes above it and whether it lies in their left subtree. */
  paths: Map<number, Array<{ split: number; left: boolean }>>;
}

function treeMatrices(tree: Tree): TreeMatrices {
  const splits: number[] = [];
  const leaves: number[] = [];
  const paths = new Map<number, Array<{ split: number; left: boolean }>>();
  const walk = (index: number, path: Array<{ split: number; left: boolean }>): void => {
    const n = tree.nodes[index];
    if (n.kind === 'leaf') {
      leaves.push(index);
      paths.set(index, path);
      return;
    }
    splits.push(index);
    walk(n.left, [...path, { split: index, left: true }]);
    walk(n.right, [...path, { split: index, left: false }]);
  };
  walk(0, []);
  return { splits, leaves, paths };
}

/**
 * Exports the same ensemble as a graph of standard ops only, which GPU execution providers run:
 * for T trees padded to I inner nodes and L leaves,
 *
 *   goLeft  = (X·A <= B), or the learned direction where the split's feature is missing   [T, N, I]
 *   leaf    = (goLeft·C == D)                                                               [T, N, L]
 *   raw     = Σ_trees leaf·E + base;  probabilities = [1 - σ(raw), σ(raw)]                  [N, 2]
 *
 * A [T,F,I] picks each node's feature, B [T,1,I] holds thresholds, C [T,I,L] is +1 where a leaf is
 * in a node's left subtree and -1 in its right one, D [T,1,L] counts each leaf's left turns (-1
 * for padding, so a padded leaf never matches), E [T,L,1] holds leaf values. X·A only copies values
 * (one 1 per column), so comparisons are exact; NaN is zeroed first and handled through the
 * missing-value mask, because NaN × 0 would poison every node of the row. A tree that is a lone
 * leaf has no inner node: its leaf is reached with zero left turns, and matches.
 */
export function exportTensorised(model: GbdtModel, options: ExportOptions = {}): Uint8Array {
  const width = model.featureList.features.length;
  const matrices = model.trees.map(treeMatrices);
  const trees = Math.max(1, matrices.length);
  const inner = Math.max(1, ...matrices.map((m) => m.splits.length));
  const leafCount = Math.max(1, ...matrices.map((m) => m.leaves.length));
  const A = new Float32Array(trees * width * inner);
  const B = new Float32Array(trees * inner);
  const missingLeft = new Float32Array(trees * inner);
  const C = new Float32Array(trees * inner * leafCount);
  const D = new Float32Array(trees * leafCount).fill(-1);
  const E = new Float32Array(trees * leafCount);
  matrices.forEach(({ splits, leaves, paths }, t) => {
    const tree = model.trees[t];
    const column = new Map(splits.map((index, i) => [index, i]));
    splits.forEach((index, i) => {
      const n = tree.nodes[index];
      if (n.kind !== 'split') return;
      A[(t * width + n.feature) * inner + i] = 1;
      // Inputs are clipped to the float32 range, so thresholds are too: ±Infinity compares alike.
      B[t * inner + i] = Math.min(Math.max(n.threshold, -FLOAT32_MAX), FLOAT32_MAX);
      missingLeft[t * inner + i] = n.missingGoesLeft ? 1 : 0;
    });
    leaves.forEach((index, l) => {
      const n = tree.nodes[index];
      if (n.kind !== 'leaf') return;
      let leftTurns = 0;
      for (const step of paths.get(index) ?? []) {
        C[(t * inner + (column.get(step.split) ?? 0)) * leafCount + l] = step.left ? 1 : -1;
        if (step.left) leftTurns++;
      }
      D[t * leafCount + l] = leftTurns;
      E[t * leafCount + l] = n.value;
    });
  });
  const toFloat = attribute.int('to', DataType.FLOAT);
  const graphNodes = [
    node('IsNaN', [INPUT_NAME], ['missing']),
    node('Where', ['missing', 'zero', INPUT_NAME], ['x_no_nan']),
    node('Clip', ['x_no_nan', 'lowest', 'highest'], ['x']),
    node('Cast', ['missing'], ['missing_f'], [toFloat]),
    node('MatMul', ['x', 'A'], ['node_value']),
    node('MatMul', ['missing_f', 'A'], ['node_missing']),
    node('LessOrEqual', ['node_value', 'B'], ['le']),
    node('Cast', ['le'], ['le_f'], [toFloat]),
    // goLeft = le + missing × (missingLeft - le): le where present, the learned side where missing.
    node('Sub', ['missing_left', 'le_f'], ['toward_missing']),
    node('Mul', ['node_missing', 'toward_missing'], ['missing_shift']),
    node('Add', ['le_f', 'missing_shift'], ['go_left']),
    node('MatMul', ['go_left', 'C'], ['left_turns']),
    node('Equal', ['left_turns', 'D'], ['at_leaf']),
    node('Cast', ['at_leaf'], ['at_leaf_f'], [toFloat]),
    node('MatMul', ['at_leaf_f', 'E'], ['tree_values']),
    node('ReduceSum', ['tree_values', 'tree_axis'], ['sum'], [attribute.int('keepdims', 0)]),
    node('Add', ['sum', 'base'], ['raw']),
    node('Sigmoid', ['raw'], ['p']),
    node('Sub', ['one', 'p'], ['q']),
    node('Concat', ['q', 'p'], [OUTPUT_NAME], [attribute.int('axis', 1)]),
  ];
  return encodeModel(
    {
      name: 'breakwater_gbdt_tensorised',
      node: graphNodes,
      initializer: [
        floatTensor('zero', [], [0]),
        floatTensor('one', [], [1]),
        floatTensor('lowest', [], [-FLOAT32_MAX]),
        floatTensor('highest', [], [FLOAT32_MAX]),
        floatTensor('A', [trees, width, inner], A),
        floatTensor('B', [trees, 1, inner], B),
        floatTensor('missing_left', [trees, 1, inner], missingLeft),
        floatTensor('C', [trees, inner, leafCount], C),
        floatTensor('D', [trees, 1, leafCount], D),
        floatTensor('E', [trees, leafCount, 1], E),
        int64Tensor('tree_axis', [1], [0]),
        floatTensor('base', [], [model.baseScore]),
      ],
      input: [tensorValue(INPUT_NAME, DataType.FLOAT, ['N', width])],
      output: [tensorValue(OUTPUT_NAME, DataType.FLOAT, ['N', 2])],
    },
    model.featureList,
    describe(model, 'tensorised', options),
  );
}
