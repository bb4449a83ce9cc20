import { selectRows, validateTrainingSet, type TrainingSet } from '../dataset';
import { featureListMismatch } from '../../features/feature-list';
import { logLoss } from '../classification-metrics';
import { SeededRandom } from '../../random';
import { binColumns, fitEdges } from './bins';
import { binnedTreeValue, growTree, type BinnedNode } from './grow-tree';
import { predictRaw, sigmoid, type Ensemble, type GbdtModel, type Tree, type TreeNode } from './model';
import { priorTrees } from './prior';
import { resolveGbdtOptions, type GbdtOptions } from './options';
import { medianFills, withFills, type MissingFill } from './missing-fill';

/** Reported after every boosting round. */
export interface RoundProgress {
  /** Rounds grown so far (1-based) and the most that may be grown. */
  readonly round: number;
  readonly rounds: number;
  /** Validation log-loss after this round; NaN without a validation set. */
  readonly validationLogLoss: number;
}

/** Where the validation rows come from, and who hears about progress. */
export interface TrainHooks {
  /** Rows for early stopping; by default `validationFraction` of the training rows, drawn with the seed. */
  readonly validation?: TrainingSet;
  readonly onRound?: (progress: RoundProgress) => void;
}

/**
 * Trains gradient-boosted trees for binary log-loss on histograms of quantile bins: each round fits
 * one depth-limited tree to the gradients (Newton steps with L2 on the leaves), shrinks it by the
 * learning rate and adds it; training stops when the validation loss has not improved for
 * `earlyStoppingRounds` rounds, and keeps the trees up to the best round.
 */
export function trainGbdt(set: TrainingSet, options: GbdtOptions = {}, hooks: TrainHooks = {}): GbdtModel {
  const data = validateTrainingSet(set);
  const opts = resolveGbdtOptions(options);
  // Mixed once, so nearby seeds (0, 1, 2) start far apart and any integer is a seed.
  const random = new SeededRandom(Math.imul(opts.seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0);
  const split = splitValidation(
    data,
    opts.earlyStoppingRounds > 0 ? opts.validationFraction : 0,
    random,
    hooks.validation,
  );
  const fills = medianFills(split.train, opts.missingAsMedian);
  const train = withFills(split.train, fills);
  const validation = split.validation && withFills(split.validation, fills);
  // A validation set given with earlyStoppingRounds 0 is only watched, never acted on.
  const earlyStopping = validation !== undefined && opts.earlyStoppingRounds > 0;
  const width = data.featureList.features.length;
  const positives = train.labels.reduce((sum, label) => sum + label, 0);
  if (positives === 0 || positives === train.rowCount) {
    throw new RangeError(
      `breakwater/adaptive: the training rows need both labels, got ${positives} positive of ${train.rowCount}`,
    );
  }

  const edges = fitEdges(train.features, train.rowCount, width, opts.maxBins, random);
  const columns = binColumns(train.features, train.rowCount, edges);
  const validationColumns = validation && binColumns(validation.features, validation.rowCount, edges);
  const prior: Ensemble = {
    featureList: data.featureList,
    ...(opts.startFrom
      ? priorTrees(data.featureList, opts.startFrom)
      : { baseScore: Math.fround(Math.log(positives / (train.rowCount - positives))), trees: [] }),
  };
  const { baseScore } = prior;
  const raw = predictRaw(prior, train.features);
  const validationRaw = validation ? predictRaw(prior, validation.features) : new Float64Array(0);
  const gradients = new Float64Array(train.rowCount);
  const hessians = new Float64Array(train.rowCount);
  const increasing = new Uint8Array(width);
  for (const name of opts.increasing) {
    const column = data.featureList.features.indexOf(name);
    if (column < 0)
      throw new RangeError(
        `breakwater/adaptive: gbdt option increasing names "${name}", which is not a feature of ${data.featureList.name}@${data.featureList.version}`,
      );
    increasing[column] = 1;
  }
  const context = {
    columns,
    binCounts: edges.map((e) => e.length + 1),
    gradients,
    hessians,
    options: opts,
    increasing,
  };
  const allRows = Uint32Array.from({ length: train.rowCount }, (_, i) => i);
  const allFeatures = Uint32Array.from({ length: width }, (_, i) => i);
  const sampledRows = Math.max(1, Math.round(train.rowCount * opts.rowSubsample));
  const sampledFeatures = Math.max(1, Math.round(width * opts.featureSubsample));

  const trees: BinnedNode[][] = [];
  let bestLoss = validation ? logLoss(validation.labels, validationRaw.map(sigmoid)) : Number.NaN;
  let lastLoss = bestLoss;
  let bestRound = 0;
  let stoppedEarly = false;
  for (let round = 1; round <= opts.rounds; round++) {
    for (let i = 0; i < train.rowCount; i++) {
      const p = sigmoid(raw[i]);
      gradients[i] = p - train.labels[i];
      hessians[i] = Math.max(p * (1 - p), 1e-16);
    }
    random.sampleInPlace(allRows, sampledRows);
    random.sampleInPlace(allFeatures, sampledFeatures);
    const rows = allRows.slice(0, sampledRows).sort();
    const features = allFeatures.slice(0, sampledFeatures).sort();
    const tree = growTree(context, rows, features);
    // A lone leaf: no split helps. On all rows and features more rounds would only repeat it; on a
    // subsample, the next draw may still find one.
    if (tree.length === 1) {
      if (sampledRows === train.rowCount && sampledFeatures === width) break;
      continue;
    }
    trees.push(tree);
    for (let i = 0; i < train.rowCount; i++) raw[i] += binnedTreeValue(tree, columns, i);
    let loss = Number.NaN;
    if (validation && validationColumns) {
      for (let i = 0; i < validation.rowCount; i++) validationRaw[i] += binnedTreeValue(tree, validationColumns, i);
      loss = logLoss(validation.labels, validationRaw.map(sigmoid));
      lastLoss = loss;
      if (loss < bestLoss - opts.tolerance) {
        bestLoss = loss;
        bestRound = round;
      }
    }
    hooks.onRound?.({ round, rounds: opts.rounds, validationLogLoss: loss });
    if (earlyStopping && round - bestRound >= opts.earlyStoppingRounds) {
      stoppedEarly = true;
      break;
    }
  }
  const kept = earlyStopping ? trees.slice(0, bestRound) : trees;
  return {
    featureList: data.featureList,
    baseScore,
    trees: [...prior.trees, ...kept.map((nodes) => toThresholds(nodes, edges, fills))],
    summary: {
      trainingRows: train.rowCount,
      validationRows: validation?.rowCount ?? 0,
      positiveShare: positives / train.rowCount,
      roundsGrown: trees.length,
      bestRound: kept.length,
      validationLogLoss: validation === undefined ? null : earlyStopping ? bestLoss : lastLoss,
      stoppedEarly,
      missingAs: Object.fromEntries(fills.map(({ name, value }) => [name, value])),
    },
  };
}

/** The caller's validation set, or a seeded share of the rows, or none. */
function splitValidation(
  set: TrainingSet,
  fraction: number,
  random: SeededRandom,
  given: TrainingSet | undefined,
): { train: TrainingSet; validation?: TrainingSet } {
  if (given !== undefined) {
    const validation = validateTrainingSet(given, 'validation set');
    const mismatch = featureListMismatch(set.featureList, validation.featureList);
    if (mismatch)
      throw new RangeError(`breakwater/adaptive: the validation set does not match the training set: ${mismatch}`);
    return { train: set, validation };
  }
  const count = Math.round(set.rowCount * fraction);
  if (count === 0) return { train: set };
  if (set.rowCount - count < 2)
    throw new RangeError(
      `breakwater/adaptive: ${set.rowCount} rows are too few to hold out validationFraction ${fraction}`,
    );
  const order = Uint32Array.from({ length: set.rowCount }, (_, i) => i);
  random.sampleInPlace(order, count);
  return {
    validation: selectRows(set, order.subarray(0, count).slice().sort()),
    train: selectRows(set, order.subarray(count).slice().sort()),
  };
}

/**
 * Turns bin splits into float32 thresholds: bin b of feature f ends at edges[f][b]. A split on a
 * filled column sends a missing value where its fill goes.
 */
function toThresholds(nodes: readonly BinnedNode[], edges: readonly number[][], fills: readonly MissingFill[]): Tree {
  return {
    nodes: nodes.map((node): TreeNode => {
      if (node.kind === 'leaf') return node;
      // The last bin has no upper edge: such a split sends every value left and the missing ones right.
      const threshold = edges[node.feature][node.bin] ?? Number.POSITIVE_INFINITY;
      const fill = fills.find(({ column }) => column === node.feature);
      return {
        kind: 'split',
        feature: node.feature,
        threshold,
        missingGoesLeft: fill === undefined ? node.missingGoesLeft : fill.value <= threshold,
        left: node.left,
        right: node.right,
      };
    }),
  };
}
