import type { FeatureList } from '../../features/feature-list';
import { sigmoid } from './model';
import type { Tree, TreeNode } from './tree';

/**
 * Where boosting starts: the log-odds of the largest of some columns that already are
 * probabilities (the breaker's own trip chances), instead of the training set's base rate. The
 * boosted trees then learn corrections to that prior, so on rows unlike the training data the
 * score falls back on the breaker's mechanics rather than on whatever the trees last split on.
 */
export interface ProbabilityPrior {
  /** Feature names whose values are probabilities in [0, 1]; a missing value (NaN) counts as 0. */
  readonly features: readonly string[];
  /** The prior is clipped to [floor, 1 - floor]: no column alone makes a row certain. (0, 0.5). */
  readonly floor: number;
  /** Steps of the prior's staircase in log-odds (one small tree each). 1..64. */
  readonly steps: number;
}

/** Checks a prior's shape; names are checked against the training set's features when it trains. */
export function checkPrior(value: unknown): ProbabilityPrior {
  const where = 'breakwater/adaptive: gbdt option startFrom';
  if (typeof value !== 'object' || value === null) throw new TypeError(`${where} must be an object`);
  const { features, floor, steps, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new TypeError(`${where} has unknown keys ${unknown.join(', ')} (known: features, floor, steps)`);
  if (!Array.isArray(features) || features.length === 0 || features.some((name) => typeof name !== 'string'))
    throw new TypeError(`${where}.features must be a non-empty array of feature names`);
  if (typeof floor !== 'number' || !(floor > 0 && floor < 0.5))
    throw new RangeError(`${where}.floor must be a number in (0, 0.5), got ${String(floor)}`);
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > 64)
    throw new RangeError(`${where}.steps must be an integer in [1, 64], got ${String(steps)}`);
  return { features: [...(features as string[])], floor, steps };
}

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * The prior as a base score and one tree per step: with q = max of the columns, step k adds
 * (L_K - L_0) / K when q > t_k, t_k evenly spaced in log-odds from floor to 1 - floor. A step is
 * "column 1 > t, else column 2 > t, ...", so the trees reproduce max() exactly in every existing
 * form (the walker, onnxruntime's TreeEnsemble, the tensorised graph), and the score only grows
 * with each column, as the monotone constraints want.
 */
export function priorTrees(featureList: FeatureList, prior: ProbabilityPrior): { baseScore: number; trees: Tree[] } {
  const columns = prior.features.map((name) => {
    const column = featureList.features.indexOf(name);
    if (column < 0)
      throw new RangeError(
        `breakwater/adaptive: gbdt option startFrom names "${name}", which is not a feature of ${featureList.name}@${featureList.version}`,
      );
    return column;
  });
  const low = logit(prior.floor);
  const step = (logit(1 - prior.floor) - low) / prior.steps;
  const trees: Tree[] = [];
  for (let k = 1; k <= prior.steps; k++) {
    const threshold = Math.fround(sigmoid(low + k * step - step / 2));
    const rise: TreeNode = { kind: 'leaf', value: Math.fround(step) };
    const nodes: TreeNode[] = [];
    // Split i sits at 2i; its right child (2i + 1) is a rise leaf; its left goes to the next column.
    columns.forEach((feature, i) => {
      nodes.push({ kind: 'split', feature, threshold, missingGoesLeft: true, left: 2 * i + 2, right: 2 * i + 1 }, rise);
    });
    nodes.push({ kind: 'leaf', value: 0 });
    trees.push({ nodes });
  }
  return { baseScore: Math.fround(low), trees };
}
