import { FAMILIES, HELD_OUT_FAMILIES } from './families';
import { generateTrainingData, type GeneratedData } from './training-data';
import { calibrate, reliabilityTable } from '../../adaptive/calibration';
import { evaluateEarlyWarning, falseAlarmsPerHour } from '../../adaptive/evaluate';
import { predictProbabilities, type GbdtModel } from '../../adaptive/gbdt/model';
import { trainGbdt } from '../../adaptive/gbdt/train';
import { heldOutTable, reliabilityRows, type HeldOutScore, type ModelCard } from '../../adaptive/model-card';
import { RULE_BASELINES } from '../../adaptive/rule-baselines';
import { EARLY_WARNING_GBDT } from '../../adaptive/early-warning-gbdt';

export interface GeneratorTrainingArgs {
  /** Runs per training family; the calibration split and the held-out families get a share of this. */
  readonly seeds: number;
  readonly horizonSeconds: number;
  /** The acting threshold the evaluation reports precision and recall at. */
  readonly threshold: number;
}

/** Seeds of the calibration split and the held-out evaluation, apart from the training seeds. */
const CALIBRATION_SEED_BASE = 10_000;
const HELD_OUT_SEED_BASE = 20_000;

const seedsFrom = (base: number, count: number): number[] => Array.from({ length: count }, (_, i) => base + i + 1);
const mean = (values: ArrayLike<number>): number =>
  values.length > 0 ? Array.from(values).reduce((a, b) => a + b, 0) / values.length : 0;

/**
 * Trains the early-warning model on the wide generator: the families not held out on `seeds` runs
 * each, calibrated on other runs of them, then compared with the rule baselines on the held-out
 * families' rows. Resolves with the calibrated model and its card.
 */
export async function trainFromGenerator(
  args: GeneratorTrainingArgs,
  print: (line: string) => void,
  command: string,
): Promise<{ model: GbdtModel; card: ModelCard }> {
  const training = FAMILIES.filter((f) => !HELD_OUT_FAMILIES.includes(f.name));
  const heldOut = FAMILIES.filter((f) => HELD_OUT_FAMILIES.includes(f.name));
  const horizonMs = args.horizonSeconds * 1000;
  const started = performance.now();
  const progress = (family: string, seed: number, rows: number) => {
    if (seed % 10 === 0) print(`  generated ${family} run ${seed}: ${rows} rows so far`);
  };
  print(
    `generating ${training.length} training families x ${args.seeds} runs (${training.map((f) => f.name).join(', ')})`,
  );
  const data = await generateTrainingData({
    families: training,
    seeds: seedsFrom(0, args.seeds),
    horizonMs,
    onRun: progress,
  });
  const calibrationRuns = Math.max(2, Math.ceil(args.seeds / 4));
  print(`generating the calibration split: ${calibrationRuns} other runs per training family`);
  const calibration = await generateTrainingData({
    families: training,
    seeds: seedsFrom(CALIBRATION_SEED_BASE, calibrationRuns),
    horizonMs,
  });
  const heldOutRuns = Math.max(4, Math.ceil(args.seeds / 2));
  print(`generating the held-out families: ${heldOut.map((f) => f.name).join(', ')} x ${heldOutRuns} runs`);
  const test = await generateTrainingData({
    families: heldOut,
    seeds: seedsFrom(HELD_OUT_SEED_BASE, heldOutRuns),
    horizonMs,
  });
  const generated = performance.now();

  print(
    `training on ${data.rowCount} rows (${(100 * mean(data.labels)).toFixed(1)}% positive), early stopping and calibration on ${calibration.rowCount}`,
  );
  const trees = trainGbdt(data, EARLY_WARNING_GBDT, {
    validation: calibration,
    onRound: ({ round, validationLogLoss }) => {
      if (round % 25 === 0) print(`  round ${round}: validation log-loss ${validationLogLoss.toFixed(4)}`);
    },
  });
  const { model, scaling } = calibrate(trees, calibration.features, calibration.labels);
  print(
    `kept ${model.trees.length} trees; Platt scaling slope ${scaling.slope.toFixed(3)}, intercept ${scaling.intercept.toFixed(3)}`,
  );
  const trained = performance.now();

  const probabilities = predictProbabilities(model, test.features);
  const scores = heldOutScores(test, probabilities, args);
  const healthyRows = (row: number) => test.familyHealthy[test.family[row]];
  const healthyHours = test.series.filter((_, row) => healthyRows(row)).length / 3600;
  print(`held-out families, ${test.rowCount} rows:`);
  for (const line of heldOutTable(scores)) print(`  ${line}`);
  const reliability = reliabilityTable(probabilities, test.labels);
  print('reliability on the held-out rows:');
  for (const line of reliabilityRows(reliability)) print(`  ${line}`);
  const card: ModelCard = {
    source: `the wide generator (src/sim/generator): ${training.map((f) => f.name).join(', ')}; ${args.seeds} runs each, ${calibrationRuns} more for calibration; horizon ${args.horizonSeconds} s`,
    featureList: `${data.featureList.name}@${data.featureList.version}`,
    trainingRows: data.rowCount,
    positiveShare: mean(data.labels),
    trees: model.trees.length,
    monotone: EARLY_WARNING_GBDT.increasing,
    ...(EARLY_WARNING_GBDT.startFrom ? { startFrom: EARLY_WARNING_GBDT.startFrom } : {}),
    missingAs: trees.summary.missingAs,
    calibration: { slope: scaling.slope, intercept: scaling.intercept, rows: calibration.rowCount },
    heldOutFamilies: HELD_OUT_FAMILIES,
    heldOut: scores,
    healthyHours,
    reliability,
    seconds: { generate: (generated - started) / 1000, train: (trained - generated) / 1000 },
    command,
  };
  return { model, card };
}

/** The model and every rule baseline on the same held-out rows, each at its own acting threshold. */
function heldOutScores(
  test: GeneratedData,
  probabilities: ArrayLike<number>,
  args: GeneratorTrainingArgs,
): HeldOutScore[] {
  const healthyRows = (row: number) => test.familyHealthy[test.family[row]];
  const release = Math.max(0, args.threshold - 0.2);
  const scores: HeldOutScore[] = [
    {
      name: 'model',
      evaluation: evaluateEarlyWarning(test, probabilities, args.threshold, args.horizonSeconds),
      healthyFalseAlarmsPerHour: falseAlarmsPerHour(test, probabilities, args.threshold, release, healthyRows).perHour,
    },
  ];
  for (const rule of RULE_BASELINES) {
    const ruleScores = rule.scores(test);
    scores.push({
      name: rule.name,
      evaluation: evaluateEarlyWarning(test, ruleScores, 1, args.horizonSeconds),
      healthyFalseAlarmsPerHour: falseAlarmsPerHour(test, ruleScores, 1, 0.8, healthyRows).perHour,
    });
  }
  return scores;
}
