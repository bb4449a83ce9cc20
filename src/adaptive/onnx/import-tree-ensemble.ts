import type { GbdtModel, TreeNode } from '../gbdt/model';
import { modelInfo } from './model-file';
import { ModelFileError } from '../errors/ModelFileError';
import type { AttributeMessage, ModelMessage } from './proto-types';

const utf8 = new TextDecoder();

/**
 * Reads the ensemble back from a decoded tree-ensemble model: the TypeScript tree walker scores
 * it without onnxruntime, and the predictor re-exports it in tensorised form for GPU providers.
 */
export function modelFromTreeEnsemble(message: ModelMessage, source = '<bytes>'): GbdtModel {
  const { featureList, description } = modelInfo(message, source);
  const ensemble = message.graph.node.find((n) => n.opType === 'TreeEnsembleClassifier');
  if (description.form !== 'tree-ensemble' || ensemble === undefined)
    throw new ModelFileError(source, `holds a ${description.form} graph, not a TreeEnsembleClassifier`);
  const attributes = new Map((ensemble.attribute ?? []).map((a) => [a.name, a]));
  const ints = (name: string): number[] => need(attributes.get(name), name, source).ints ?? [];
  const floats = (name: string): number[] => need(attributes.get(name), name, source).floats ?? [];
  const treeIds = ints('nodes_treeids');
  const nodeIds = ints('nodes_nodeids');
  const featureIds = ints('nodes_featureids');
  const modes = (need(attributes.get('nodes_modes'), 'nodes_modes', source).strings ?? []).map((s) => utf8.decode(s));
  const values = floats('nodes_values');
  const trueIds = ints('nodes_truenodeids');
  const falseIds = ints('nodes_falsenodeids');
  const missing = ints('nodes_missing_value_tracks_true');
  const weights = new Map<string, number>();
  const leafTrees = ints('class_treeids');
  const leafNodes = ints('class_nodeids');
  floats('class_weights').forEach((weight, i) => weights.set(`${leafTrees[i]}/${leafNodes[i]}`, weight));
  const trees: TreeNode[][] = [];
  const count = treeIds.length;
  const inRange = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < count;
  treeIds.forEach((tree, i) => {
    if (!inRange(tree) || !inRange(nodeIds[i]))
      throw new ModelFileError(
        source,
        `node ${i} has tree id ${tree} and node id ${nodeIds[i]}; expected ids below ${count}`,
      );
    const nodes = (trees[tree] ??= []);
    if (modes[i] === 'LEAF') {
      nodes[nodeIds[i]] = { kind: 'leaf', value: weights.get(`${tree}/${nodeIds[i]}`) ?? 0 };
    } else if (modes[i] === 'BRANCH_LEQ') {
      nodes[nodeIds[i]] = {
        kind: 'split',
        feature: featureIds[i],
        threshold: values[i],
        missingGoesLeft: missing[i] === 1,
        left: trueIds[i],
        right: falseIds[i],
      };
    } else {
      throw new ModelFileError(source, `node mode ${modes[i]} is not one breakwater writes (BRANCH_LEQ, LEAF)`);
    }
  });
  // Every tree numbered without gaps, every node of it present, every child one of its nodes: a
  // damaged file must not reach the walker as a tree with holes.
  for (let t = 0; t < trees.length; t++) {
    const nodes = trees[t];
    if (nodes === undefined) throw new ModelFileError(source, `tree ${t} has no nodes (tree ids skip it)`);
    const hole = nodes.findIndex((node) => node === undefined);
    if (hole >= 0) throw new ModelFileError(source, `tree ${t} has no node ${hole} (node ids skip it)`);
    for (let n = 0; n < nodes.length; n++) {
      const node = nodes[n];
      if (node.kind !== 'split') continue;
      const lacking = [node.left, node.right].find((child) => nodes[child] === undefined);
      if (lacking !== undefined)
        throw new ModelFileError(source, `tree ${t} node ${n} points at node ${lacking}, which the tree lacks`);
      const width = featureList.features.length;
      if (!(Number.isInteger(node.feature) && node.feature >= 0 && node.feature < width))
        throw new ModelFileError(
          source,
          `tree ${t} node ${n} splits on feature ${node.feature}; the model has ${width}`,
        );
    }
    const shape = shapeProblem(nodes);
    if (shape !== undefined) throw new ModelFileError(source, `tree ${t} ${shape}`);
  }
  return {
    featureList,
    baseScore: floats('base_values')[0] ?? 0,
    trees: trees.map((nodes) => ({ nodes })),
    summary: description.summary,
  };
}

/** The deepest tree a model may hold: the compiled scorer nests an `if` a level. */
const MAX_TREE_DEPTH = 64;

/**
 * Why the nodes are not one tree from node 0, or undefined: a node reached twice (a cycle, or a
 * node with two parents) or a path deeper than MAX_TREE_DEPTH. A few damaged bytes made such a
 * model load and then fail every score.
 */
function shapeProblem(nodes: readonly TreeNode[]): string | undefined {
  const reached = new Uint8Array(nodes.length);
  const pending: [number, number][] = [[0, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [index, depth] = next;
    if (reached[index] === 1) return `reaches node ${index} twice (a cycle, or a node with two parents)`;
    if (depth > MAX_TREE_DEPTH) return `is deeper than ${MAX_TREE_DEPTH} levels`;
    reached[index] = 1;
    const node = nodes[index];
    if (node.kind === 'split') pending.push([node.left, depth + 1], [node.right, depth + 1]);
  }
  return undefined;
}

function need(attribute: AttributeMessage | undefined, name: string, source: string): AttributeMessage {
  if (attribute === undefined) throw new ModelFileError(source, `the TreeEnsembleClassifier lacks attribute ${name}`);
  return attribute;
}
