import type { GbdtModel, Tree } from '../gbdt/model';
import { attribute, node, tensorValue } from './builders';
import { encodeModel, type ModelDescription } from './model-file';
import { DataType } from './schema';

/** Options shared by both exporters. */
export interface ExportOptions {
  /** Free-form strings stored in the model's description (training data, horizon, ...). */
  readonly extra?: Readonly<Record<string, string>>;
}

export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'probabilities';

/** The description every exporter writes, for one form. */
export function describe(model: GbdtModel, form: ModelDescription['form'], options: ExportOptions): ModelDescription {
  return {
    format: 'breakwater.gbdt',
    formatVersion: 1,
    form,
    trees: model.trees.length,
    maxLeaves: Math.max(1, ...model.trees.map((tree) => tree.nodes.filter((n) => n.kind === 'leaf').length)),
    baseScore: model.baseScore,
    summary: model.summary,
    input: INPUT_NAME,
    output: OUTPUT_NAME,
    extra: { ...options.extra },
  };
}

/**
 * Exports the ensemble as one ai.onnx.ml TreeEnsembleClassifier (no ZipMap): input `features`
 * float [N, F], outputs `label` int64 [N] and `probabilities` float [N, 2] = [1 - p, p].
 *
 * Why the classifier and not TreeEnsembleRegressor + LOGISTIC: onnxruntime ignores the regressor's
 * post_transform LOGISTIC when there is one target, and silently returns log-odds. The classifier
 * with two class labels and the weights of a single class is onnxruntime's "binary case": it adds
 * base_values[0] to the summed leaf weights s and returns [sigmoid(-s), sigmoid(s)].
 */
export function exportTreeEnsemble(model: GbdtModel, options: ExportOptions = {}): Uint8Array {
  const nodes = {
    treeids: [] as number[],
    nodeids: [] as number[],
    featureids: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    truenodeids: [] as number[],
    falsenodeids: [] as number[],
    missing: [] as number[],
  };
  const leaves = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  // With no leaf weights at all onnxruntime leaves the binary case and returns no probabilities;
  // a model without trees (early stopping found nothing better than the base rate) gets one zero leaf.
  const trees: readonly Tree[] = model.trees.length > 0 ? model.trees : [{ nodes: [{ kind: 'leaf', value: 0 }] }];
  trees.forEach((tree, treeId) => {
    tree.nodes.forEach((n, nodeId) => {
      nodes.treeids.push(treeId);
      nodes.nodeids.push(nodeId);
      if (n.kind === 'split') {
        nodes.featureids.push(n.feature);
        nodes.modes.push('BRANCH_LEQ');
        nodes.values.push(n.threshold);
        nodes.truenodeids.push(n.left);
        nodes.falsenodeids.push(n.right);
        nodes.missing.push(n.missingGoesLeft ? 1 : 0);
      } else {
        nodes.featureids.push(0);
        nodes.modes.push('LEAF');
        nodes.values.push(0);
        nodes.truenodeids.push(0);
        nodes.falsenodeids.push(0);
        nodes.missing.push(0);
        leaves.treeids.push(treeId);
        leaves.nodeids.push(nodeId);
        leaves.ids.push(0);
        leaves.weights.push(n.value);
      }
    });
  });
  const width = model.featureList.features.length;
  const ensemble = node(
    'TreeEnsembleClassifier',
    [INPUT_NAME],
    ['label', OUTPUT_NAME],
    [
      attribute.ints('classlabels_int64s', [0, 1]),
      attribute.ints('nodes_treeids', nodes.treeids),
      attribute.ints('nodes_nodeids', nodes.nodeids),
      attribute.ints('nodes_featureids', nodes.featureids),
      attribute.strings('nodes_modes', nodes.modes),
      attribute.floats('nodes_values', nodes.values),
      attribute.ints('nodes_truenodeids', nodes.truenodeids),
      attribute.ints('nodes_falsenodeids', nodes.falsenodeids),
      attribute.ints('nodes_missing_value_tracks_true', nodes.missing),
      attribute.ints('class_treeids', leaves.treeids),
      attribute.ints('class_nodeids', leaves.nodeids),
      attribute.ints('class_ids', leaves.ids),
      attribute.floats('class_weights', leaves.weights),
      attribute.floats('base_values', [model.baseScore]),
      attribute.string('post_transform', 'LOGISTIC'),
    ],
    'ai.onnx.ml',
  );
  return encodeModel(
    {
      name: 'breakwater_gbdt_tree_ensemble',
      node: [ensemble],
      input: [tensorValue(INPUT_NAME, DataType.FLOAT, ['N', width])],
      output: [tensorValue('label', DataType.INT64, ['N']), tensorValue(OUTPUT_NAME, DataType.FLOAT, ['N', 2])],
    },
    model.featureList,
    describe(model, 'tree-ensemble', options),
  );
}
