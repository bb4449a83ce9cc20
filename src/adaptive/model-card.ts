import type { ReliabilityBin } from './calibration';
import type { ProbabilityPrior } from './gbdt/prior';
import type { EarlyWarningEvaluation } from './evaluate';

/** One score (the model or a rule baseline) on the held-out rows. */
export interface HeldOutScore {
  readonly name: string;
  readonly evaluation: EarlyWarningEvaluation;
  /** Alarms on rows of healthy families whose breaker did not trip within the horizon, per breaker-hour. */
  readonly healthyFalseAlarmsPerHour: number;
}

/** What a trained model's card says. */
export interface ModelCard {
  source: string;
  featureList: string;
  trainingRows: number;
  positiveShare: number;
  trees: number;
  /** Features the score may only grow with. */
  monotone?: readonly string[];
  /** The prior boosting started from, when there was one (its trees are counted in `trees`). */
  startFrom?: ProbabilityPrior;
  /** What a missing value of each of these features read as, in training and in the trees. */
  missingAs?: Readonly<Record<string, number>>;
  /** Platt scaling folded into the trees, fitted on a split the trees never trained on. */
  calibration?: { slope: number; intercept: number; rows: number };
  heldOutFamilies?: readonly string[];
  /** The model first, then the rule baselines, on the same held-out rows. */
  heldOut?: readonly HeldOutScore[];
  healthyHours?: number;
  reliability?: readonly ReliabilityBin[];
  /** Seconds the generation and the training took. */
  seconds?: { generate: number; train: number };
  command: string;
}

const fixed = (value: number, digits = 3): string => value.toFixed(digits);

/** The held-out comparison as Markdown table rows (also printed by `breakwater train`). */
export function heldOutTable(scores: readonly HeldOutScore[]): string[] {
  const lines = [
    '| score | AUC | threshold | precision | recall | trips warned | median lead | false alarms per breaker-hour (healthy) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { name, evaluation: e, healthyFalseAlarmsPerHour } of scores) {
    const lead = e.medianLeadSeconds === null ? 'n/a' : `${e.medianLeadSeconds.toFixed(1)} s`;
    lines.push(
      `| ${name} | ${fixed(e.auc)} | ${e.threshold} | ${fixed(e.precision)} | ${fixed(e.recall)} | ${e.tripsWarned}/${e.trips} | ${lead} | ${fixed(healthyFalseAlarmsPerHour, 2)} |`,
    );
  }
  return lines;
}

/** The reliability table as Markdown rows. */
export function reliabilityRows(bins: readonly ReliabilityBin[]): string[] {
  return [
    '| predicted | rows | mean predicted | observed rate |',
    '|---|---|---|---|',
    ...bins.map(
      (b) =>
        `| ${b.from.toFixed(1)}-${b.to.toFixed(1)} | ${b.rows} | ${fixed(b.meanPredicted)} | ${fixed(b.observedRate)} |`,
    ),
  ];
}

/** The model card as Markdown. */
export function modelCardMarkdown(card: ModelCard): string {
  const lines = [
    '# Early-warning model card',
    '',
    `- Data: ${card.source}`,
    `- Features: ${card.featureList}`,
    `- Training rows: ${card.trainingRows} (${(100 * card.positiveShare).toFixed(1)}% positive); trees: ${card.trees}`,
  ];
  if (card.monotone !== undefined)
    lines.push(`- Monotone (the score never falls as these grow): ${card.monotone.join(', ')}`);
  if (card.startFrom !== undefined) {
    const { features, floor, steps } = card.startFrom;
    lines.push(
      `- Starts from the breaker's own trip chance: the log-odds of max(${features.join(', ')}) clipped to [${floor}, ${1 - floor}], in ${steps} steps (the first ${steps} trees); the other trees learn corrections to it`,
    );
  }
  if (card.missingAs !== undefined && Object.keys(card.missingAs).length > 0)
    lines.push(
      `- Missing values read as the training median (a breaker without a timeout scores as a typical one with it): ${Object.entries(
        card.missingAs,
      )
        .map(([name, value]) => `${name} ${fixed(value)}`)
        .join(', ')}`,
    );
  if (card.calibration !== undefined) {
    const c = card.calibration;
    lines.push(
      `- Calibration: Platt scaling (slope ${fixed(c.slope)}, intercept ${fixed(c.intercept)}) on ${c.rows} rows the trees never trained on, folded into the trees`,
    );
  }
  if (card.seconds !== undefined)
    lines.push(`- Time: generation ${card.seconds.generate.toFixed(0)} s, training ${card.seconds.train.toFixed(0)} s`);
  if (card.heldOut !== undefined) {
    const model = card.heldOut[0].evaluation;
    lines.push(
      `- Held-out families (never trained on): ${card.heldOutFamilies!.join(', ')}; ${model.rows} rows, ${model.positives} positive; healthy ones: ${card.healthyHours!.toFixed(1)} breaker-hours`,
      '',
      '## The model beside rule baselines, on the same held-out rows',
      '',
      ...heldOutTable(card.heldOut),
    );
  }
  if (card.reliability !== undefined)
    lines.push('', '## Reliability (held-out rows)', '', ...reliabilityRows(card.reliability));
  lines.push('', `Command: \`${card.command}\``, '');
  return lines.join('\n');
}
