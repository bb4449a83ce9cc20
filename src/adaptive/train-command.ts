import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ScenarioDefinition } from '../sim/scenario';
import { SCENARIOS, scenarioNamed } from '../sim/scenarios';
import { readHistoryFile } from '../observe/history-file';
import type { BreakerEvent } from '../observe/event';
import type { TrainingSet } from './dataset';
import { evaluateEarlyWarning, preOpensPerHour, type EarlyWarningEvaluation } from './evaluate';
import { trainingSetFromEvents, type HistoryWindow } from './event-history';
import { predictProbabilities, type GbdtModel } from './gbdt/model';
import type { GbdtOptions } from './gbdt/options';
import { trainGbdt } from './gbdt/train';
import { exportTreeEnsemble } from './onnx/export-tree-ensemble';
import { simulationTrainingData } from './simulation-data';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from './core-features';

/** Families the default model never sees in training: its evaluation is on them. */
export const HELD_OUT_FAMILIES = ['flapping', 'slow-degradation'] as const;

/** The trainer's settings for early-warning models. */
// Few shallow trees: 10,000 breakers must score within a 10 ms tick.
export const EARLY_WARNING_GBDT: GbdtOptions = Object.freeze({ rounds: 60, learningRate: 0.2, maxDepth: 4, minSamplesLeaf: 40, l2: 1, seed: 1, earlyStoppingRounds: 15 });

export interface TrainArgs {
  from: string;
  out: string;
  seeds: number;
  size: 'quick' | 'full';
  horizonSeconds: number;
  threshold: number;
}

export const TRAIN_USAGE = `usage: breakwater train --from <simulator|events.jsonl|events.duckdb> --out model.onnx [--seeds N] [--full] [--horizon S]

  Trains the early-warning model (gradient-boosted trees) and writes it as ONNX, with a model card
  (<out>.card.md and .json) beside it.

  --from simulator   labelled seconds of the scenario simulator (breakwater.core features); the
                     families ${HELD_OUT_FAMILIES.join(' and ')} are held out and the card reports on them
  --from FILE        an event history (JSONL or the DuckDB file of the event sinks; breakwater.history features)
  --out FILE         the model file to write
  --seeds N          simulator runs per family (default 6)
  --full             full-length simulator runs (default quick)
  --horizon S        a row is positive when its breaker trips within S seconds (default 10)
`;

/** Parses `breakwater train` flags; throws a TypeError naming the flag at fault. */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const args: Partial<TrainArgs> = { seeds: 6, size: 'quick', horizonSeconds: 10, threshold: 0.7 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new TypeError(`breakwater train: ${flag} needs a value`);
      return next;
    };
    const integer = (min: number, max: number): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < min || n > max) throw new TypeError(`breakwater train: ${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
      return n;
    };
    if (flag === '--from') args.from = value();
    else if (flag === '--out') args.out = value();
    else if (flag === '--seeds') args.seeds = integer(1, 1000);
    else if (flag === '--horizon') args.horizonSeconds = integer(1, 3600);
    else if (flag === '--full') args.size = 'full';
    else if (flag === '--quick') args.size = 'quick';
    else throw new TypeError(`breakwater train: unknown flag ${JSON.stringify(flag)}`);
  }
  if (args.from === undefined) throw new TypeError('breakwater train: --from is required (simulator, or an events .jsonl or .duckdb file)');
  if (args.out === undefined) throw new TypeError('breakwater train: --out is required (the model file to write)');
  return args as TrainArgs;
}

/** What a trained model's card says. */
export interface ModelCard {
  source: string;
  featureList: string;
  trainingRows: number;
  positiveShare: number;
  trees: number;
  heldOutFamilies?: readonly string[];
  heldOut?: EarlyWarningEvaluation;
  healthyPreOpensPerHour?: number;
  healthyHours?: number;
  command: string;
}

/** `breakwater train`: resolves to the card of the model it wrote. */
export async function runTrainCommand(argv: readonly string[], print: (line: string) => void, cwd = process.cwd()): Promise<ModelCard> {
  const args = parseTrainArgs(argv);
  const out = resolve(cwd, args.out);
  const command = ['breakwater train', ...argv].join(' ');
  const card = args.from === 'simulator' ? await fromSimulator(args, print, command) : await fromHistory(resolve(cwd, args.from), args, print, command);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, card.bytes);
  writeFileSync(`${out}.card.json`, `${JSON.stringify(card.card, null, 2)}\n`);
  writeFileSync(`${out}.card.md`, modelCardMarkdown(card.card));
  print(`wrote ${args.out} (${card.bytes.length} bytes) and its model card ${args.out}.card.md`);
  return card.card;
}

async function fromSimulator(args: TrainArgs, print: (line: string) => void, command: string): Promise<{ bytes: Uint8Array; card: ModelCard }> {
  const heldOut: ScenarioDefinition[] = HELD_OUT_FAMILIES.map(scenarioNamed);
  const training = SCENARIOS.filter((s) => !heldOut.includes(s));
  const seeds = Array.from({ length: args.seeds }, (_, i) => i + 1);
  const horizonMs = args.horizonSeconds * 1000;
  const progress = (family: string, seed: number, rows: number) => print(`  simulated ${family} seed ${seed}: ${rows} rows so far`);
  print(`simulating ${training.length} training families x ${seeds.length} seeds (${args.size})`);
  const data = await simulationTrainingData({ families: training, seeds, size: args.size, horizonMs, onRun: progress });
  const model = train(data, print);
  print(`simulating the held-out families (${HELD_OUT_FAMILIES.join(', ')}) and healthy traffic on unseen seeds`);
  const unseen = seeds.map((seed) => seed + 1000);
  const test = await simulationTrainingData({ families: heldOut, seeds: unseen, size: args.size, horizonMs });
  const evaluation = evaluateEarlyWarning(test, predictProbabilities(model, test.features), args.threshold, args.horizonSeconds);
  const healthy = await simulationTrainingData({ families: [scenarioNamed('healthy')], seeds: unseen, size: args.size, horizonMs });
  const falseOpens = preOpensPerHour(healthy, predictProbabilities(model, healthy.features), args.threshold, Math.max(0, args.threshold - 0.2));
  const card: ModelCard = {
    source: `scenario simulator: ${training.map((s) => s.name).join(', ')}; ${seeds.length} seeds each, ${args.size} runs; horizon ${args.horizonSeconds} s`,
    featureList: `${data.featureList.name}@${data.featureList.version}`,
    trainingRows: data.rowCount,
    positiveShare: mean(data.labels),
    trees: model.trees.length,
    heldOutFamilies: HELD_OUT_FAMILIES,
    heldOut: evaluation,
    healthyPreOpensPerHour: falseOpens.perHour,
    healthyHours: falseOpens.hours,
    command,
  };
  return { bytes: exportTreeEnsemble(model, { extra: { source: card.source, horizonSeconds: String(args.horizonSeconds) } }), card };
}

async function fromHistory(path: string, args: TrainArgs, print: (line: string) => void, command: string): Promise<{ bytes: Uint8Array; card: ModelCard }> {
  const events = await readHistoryFile(path);
  // A registry's window summaries carry the live breakers' own feature rows: a model trained on
  // them scores live breakers. Histories without them get the features derived from the events.
  const withCoreRows = events.some(hasCoreRow);
  const options = withCoreRows
    ? { horizonSeconds: args.horizonSeconds, featureList: CORE_FEATURES, extract: ({ now }: HistoryWindow) => coreRowOf(now) }
    : { horizonSeconds: args.horizonSeconds };
  print(`${events.length} events; features: ${withCoreRows ? 'the recorded breakwater.core rows' : 'derived from the events (breakwater.history)'}`);
  const data: TrainingSet = trainingSetFromEvents(events, options, path);
  if (data.rowCount === 0) throw new RangeError(`breakwater train: ${path} holds no window summaries of closed breakers to learn from`);
  const model = train(data, print);
  const card: ModelCard = {
    source: `event history ${path}; horizon ${args.horizonSeconds} s`,
    featureList: `${data.featureList.name}@${data.featureList.version}`,
    trainingRows: data.rowCount,
    positiveShare: mean(data.labels),
    trees: model.trees.length,
    command,
  };
  return { bytes: exportTreeEnsemble(model, { extra: { source: card.source, horizonSeconds: String(args.horizonSeconds) } }), card };
}

function train(data: TrainingSet, print: (line: string) => void): GbdtModel {
  print(`training on ${data.rowCount} rows (${(100 * mean(data.labels)).toFixed(1)}% positive)`);
  const model = trainGbdt(data, EARLY_WARNING_GBDT, {
    onRound: ({ round, validationLogLoss }) => {
      if (round % 25 === 0) print(`  round ${round}: validation log-loss ${validationLogLoss.toFixed(4)}`);
    },
  });
  print(`kept ${model.trees.length} trees`);
  return model;
}

const CORE_ROW_TAG = `${CORE_FEATURES.name}@${CORE_FEATURES.version}`;

function hasCoreRow(event: BreakerEvent): boolean {
  const detail = event.detail as { featureList?: unknown; features?: unknown } | null;
  return event.event_type === 'window' && detail?.featureList === CORE_ROW_TAG && Array.isArray(detail.features);
}

/** A window summary's recorded feature row (null was a missing value); NaN throughout when it has none. */
function coreRowOf(event: BreakerEvent): number[] {
  if (!hasCoreRow(event)) return new Array<number>(CORE_FEATURE_COUNT).fill(Number.NaN);
  return ((event.detail as { features: (number | null)[] }).features).map((value) => (typeof value === 'number' ? value : Number.NaN));
}

/** The event table of a DuckDB sink file, as events. */
const mean = (values: ArrayLike<number>): number => (values.length > 0 ? Array.from(values).reduce((a, b) => a + b, 0) / values.length : 0);

/** The model card as Markdown. */
export function modelCardMarkdown(card: ModelCard): string {
  const lines = [
    '# Early-warning model card',
    '',
    `- Data: ${card.source}`,
    `- Features: ${card.featureList}`,
    `- Training rows: ${card.trainingRows} (${(100 * card.positiveShare).toFixed(1)}% positive); trees: ${card.trees}`,
  ];
  if (card.heldOut !== undefined) {
    const e = card.heldOut;
    lines.push(
      `- Held-out families (never trained on): ${card.heldOutFamilies!.join(', ')}; ${e.rows} rows, ${e.positives} positive`,
      `- AUC: ${e.auc.toFixed(3)}`,
      `- At P >= ${e.threshold}: precision ${e.precision.toFixed(3)}, recall ${e.recall.toFixed(3)}`,
      `- Trips warned about: ${e.tripsWarned} of ${e.trips}; median lead time ${e.medianLeadSeconds === null ? 'n/a' : `${e.medianLeadSeconds.toFixed(1)} s`} before the reactive breaker tripped`,
      `- False pre-opens on healthy traffic: ${card.healthyPreOpensPerHour!.toFixed(2)} per simulated breaker-hour (${card.healthyHours!.toFixed(1)} h)`,
    );
  }
  lines.push('', `Command: \`${card.command}\``, '');
  return lines.join('\n');
}
