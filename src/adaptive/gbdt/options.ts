import { checkPrior, type ProbabilityPrior } from './prior';
import { optionsObject } from '../../options-object';

/** Options of the gradient-boosted trees trainer (binary log-loss). Every one is optional. */
export interface GbdtOptions {
  /** Boosting rounds at most (trees). 1..100000, default 200. */
  rounds?: number;
  /** Shrinkage: each tree's output is scaled by this. (0, 1], default 0.1. */
  learningRate?: number;
  /** Depth limit of every tree (a depth-1 tree is a stump). 1..16, default 6. */
  maxDepth?: number;
  /** Quantile bins per feature, not counting the missing-value bin. 2..255, default 255. */
  maxBins?: number;
  /** L2 regularisation of leaf values (lambda). >= 0, default 1. */
  l2?: number;
  /** Minimum hessian sum in a child (XGBoost's min_child_weight). >= 0, default 1e-3. */
  minChildWeight?: number;
  /** Minimum rows in a child. >= 1, default 20 (as scikit-learn's HistGradientBoosting). */
  minSamplesLeaf?: number;
  /** Minimum loss reduction a split must bring. >= 0, default 0. */
  minGain?: number;
  /** Share of rows each tree is grown on, drawn without replacement. (0, 1], default 1. */
  rowSubsample?: number;
  /** Share of features each tree may split on. (0, 1], default 1. */
  featureSubsample?: number;
  /** Seed of the subsampling and of the validation split. An integer, default 0. */
  seed?: number;
  /** Share of rows held out for early stopping when no validation set is given. [0, 1), default 0.1. */
  validationFraction?: number;
  /** Stop after this many rounds without a better validation loss; 0 = never stop early. Default 10. */
  earlyStoppingRounds?: number;
  /** A validation loss must drop by more than this to count as better. >= 0, default 1e-7. */
  tolerance?: number;
  /**
   * Features the score may only grow with (monotone constraints, as XGBoost's): whatever rows a
   * model meets later, more of this evidence never lowers its score. Names of the training set's
   * features; default none.
   */
  increasing?: readonly string[];
  /**
   * Start boosting from a prior made of probability columns (see ProbabilityPrior) instead of the
   * base rate; its trees come first in the model. Default null: the base rate.
   */
  startFrom?: ProbabilityPrior | null;
  /**
   * Features whose missing value (NaN) reads as the median of their present values in the
   * training rows, in training and in every split of the trees: a row without the feature scores
   * as a typical row with it, so its absence alone neither raises nor lowers a score. Names of the
   * training set's features, none of them a startFrom column; default none.
   */
  missingAsMedian?: readonly string[];
}

/** GbdtOptions with every default filled in. */
export type ResolvedGbdtOptions = Required<GbdtOptions>;

const DEFAULTS: ResolvedGbdtOptions = {
  rounds: 200,
  learningRate: 0.1,
  maxDepth: 6,
  maxBins: 255,
  l2: 1,
  minChildWeight: 1e-3,
  minSamplesLeaf: 20,
  minGain: 0,
  rowSubsample: 1,
  featureSubsample: 1,
  seed: 0,
  validationFraction: 0.1,
  earlyStoppingRounds: 10,
  tolerance: 1e-7,
  increasing: [],
  startFrom: null,
  missingAsMedian: [],
};

/** [min, max, whether min itself is allowed, integer only] per option. */
const RANGES: Record<
  Exclude<keyof GbdtOptions, 'increasing' | 'startFrom' | 'missingAsMedian'>,
  [number, number, boolean, boolean]
> = {
  rounds: [1, 100_000, true, true],
  learningRate: [0, 1, false, false],
  maxDepth: [1, 16, true, true],
  maxBins: [2, 255, true, true],
  l2: [0, Number.MAX_VALUE, true, false],
  minChildWeight: [0, Number.MAX_VALUE, true, false],
  minSamplesLeaf: [1, Number.MAX_SAFE_INTEGER, true, true],
  minGain: [0, Number.MAX_VALUE, true, false],
  rowSubsample: [0, 1, false, false],
  featureSubsample: [0, 1, false, false],
  seed: [-(2 ** 31), 2 ** 32 - 1, true, true],
  validationFraction: [0, 0.99, true, false],
  earlyStoppingRounds: [0, 100_000, true, true],
  tolerance: [0, Number.MAX_VALUE, true, false],
};

/** Fills in defaults; an unknown option or a value out of range throws an error naming the option. */
export function resolveGbdtOptions(given?: unknown): ResolvedGbdtOptions {
  const options = optionsObject(given as object | undefined, 'breakwater/adaptive: gbdt options');
  const resolved = { ...DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'increasing' || key === 'missingAsMedian') {
      if (!Array.isArray(value) || value.some((name) => typeof name !== 'string'))
        throw new TypeError(`breakwater/adaptive: gbdt option ${key} must be an array of feature names`);
      resolved[key] = [...(value as string[])];
      continue;
    }
    if (key === 'startFrom') {
      resolved.startFrom = value === null ? null : checkPrior(value);
      continue;
    }
    if (!(key in RANGES))
      throw new TypeError(
        `breakwater/adaptive: unknown gbdt option "${key}" (known: ${[...Object.keys(RANGES), 'increasing', 'startFrom', 'missingAsMedian'].join(', ')})`,
      );
    const [min, max, minAllowed, integer] = RANGES[key as keyof typeof RANGES];
    const expected = `${integer ? 'an integer' : 'a number'} in ${minAllowed ? '[' : '('}${min}, ${max}]`;
    if (typeof value !== 'number' || Number.isNaN(value))
      throw new TypeError(
        `breakwater/adaptive: gbdt option ${key} must be ${expected}, got ${typeof value === 'number' ? value : typeof value}`,
      );
    if (value > max || value < min || (!minAllowed && value === min) || (integer && !Number.isInteger(value))) {
      throw new RangeError(`breakwater/adaptive: gbdt option ${key} must be ${expected}, got ${value}`);
    }
    resolved[key as keyof typeof RANGES] = value;
  }
  const priorColumns = resolved.startFrom?.features ?? [];
  const both = resolved.missingAsMedian.find((name) => priorColumns.includes(name));
  if (both !== undefined)
    throw new RangeError(
      `breakwater/adaptive: gbdt option missingAsMedian names "${both}", a startFrom column (the prior reads its missing value as 0)`,
    );
  return resolved;
}
