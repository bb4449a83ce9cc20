import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HELD_OUT_FAMILIES } from '../sim/generator/families';
import { readHistoryFile } from './history-file';
import type { BreakerEvent } from '../registry/event';
import type { TrainingSet } from '../adaptive/dataset';
import { trainingSetFromEvents, type HistoryWindow } from '../adaptive/event-history';
import type { GbdtModel } from '../adaptive/gbdt/model';
import { trainGbdt } from '../adaptive/gbdt/train';
import { modelCardMarkdown, type ModelCard } from '../adaptive/model-card';
import { exportTreeEnsemble } from '../adaptive/onnx/export-tree-ensemble';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../features/core-features';
import { trainFromGenerator } from '../sim/generator/train';
import { EARLY_WARNING_GBDT } from '../adaptive/early-warning-gbdt';
import { replaceFile } from '../fs/replace-file';
import { UsageError, checkWritableFolder, isInputError, type CliIo } from './io';

export interface TrainArgs {
  from: string;
  out: string;
  seeds: number;
  horizonSeconds: number;
  threshold: number;
}

export const TRAIN_USAGE = `usage: breakwater train --from <simulator|events.jsonl|events.duckdb> --out model.onnx [--seeds N] [--horizon S]

  Trains the early-warning model (gradient-boosted trees) and writes it as ONNX, with a model card
  (<out>.card.md and .json) beside it.

  --from simulator   labelled seconds of the wide generator (breakwater.core features); the
                     families ${HELD_OUT_FAMILIES.join(', ')} are held out, and the card
                     reports the model beside the rule baselines on them
  --from FILE        an event history (JSONL or the DuckDB file of the event sinks; breakwater.history features)
  --out FILE         the model file to write
  --seeds N          generator runs per training family (default 32)
  --horizon S        a row is positive when its breaker trips within S seconds (default 10)
`;

/** Parses `breakwater train` flags; throws a TypeError naming the flag at fault. */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const args: Partial<TrainArgs> = { seeds: 32, horizonSeconds: 10, threshold: 0.7 };
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
      if (!Number.isInteger(n) || n < min || n > max)
        throw new TypeError(
          `breakwater train: ${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`,
        );
      return n;
    };
    if (flag === '--from') args.from = value();
    else if (flag === '--out') args.out = value();
    else if (flag === '--seeds') args.seeds = integer(1, 1000);
    else if (flag === '--horizon') args.horizonSeconds = integer(1, 3600);
    else throw new TypeError(`breakwater train: unknown flag ${JSON.stringify(flag)}`);
  }
  if (args.from === undefined)
    throw new TypeError('breakwater train: --from is required (simulator, or an events .jsonl or .duckdb file)');
  if (args.out === undefined) throw new TypeError('breakwater train: --out is required (the model file to write)');
  return args as TrainArgs;
}

/** A trained model's file and card, and how many trees it grew past its starting point. */
interface Trained {
  bytes: Uint8Array;
  card: ModelCard;
  grown: number;
}

/** --out names a file in a folder this process can write: checked before the minutes of training. */
function checkModelFile(out: string, given: string): void {
  try {
    checkWritableFolder('--out', dirname(out), dirname(given));
    if (statSync(out, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`--out: ${given} is a folder; name the model file, e.g. ${given}/model.onnx`);
  } catch (error) {
    if (error instanceof UsageError) throw new TypeError(`breakwater train: ${error.message}`);
    throw error;
  }
}

/** `breakwater train`: resolves to the card of the model it wrote. */
export async function runTrainCommand(
  argv: readonly string[],
  print: (line: string) => void,
  cwd = process.cwd(),
): Promise<ModelCard> {
  const args = parseTrainArgs(argv);
  const out = resolve(cwd, args.out);
  checkModelFile(out, args.out);
  const command = ['breakwater train', ...argv].join(' ');
  const card =
    args.from === 'simulator'
      ? await fromSimulator(args, print, command)
      : await fromHistory(resolve(cwd, args.from), args, print, command);
  if (card.grown === 0) {
    // No tree past its starting point: the model would only repeat the base rate (or the breaker's
    // own trip chance), which the data did not improve on; writing it would ship nothing learnt.
    throw new RangeError(
      `breakwater train: kept 0 trees past the starting point (${card.card.trainingRows} rows, ${(100 * card.card.positiveShare).toFixed(1)}% positive): no split beat the base rate or the breaker's own trip chance, so nothing was written; train on data with trips in it, or more of it`,
    );
  }
  // Each file whole or not at all: a write that fails leaves the model that was there.
  replaceFile(out, card.bytes);
  replaceFile(`${out}.card.json`, `${JSON.stringify(card.card, null, 2)}\n`);
  replaceFile(`${out}.card.md`, modelCardMarkdown(card.card));
  print(`wrote ${args.out} (${card.bytes.length} bytes) and its model card ${args.out}.card.md`);
  return card.card;
}

async function fromSimulator(args: TrainArgs, print: (line: string) => void, command: string): Promise<Trained> {
  const { model, card } = await trainFromGenerator(args, print, command);
  return {
    bytes: exportTreeEnsemble(model, { extra: { source: card.source, horizonSeconds: String(args.horizonSeconds) } }),
    card,
    grown: model.summary.bestRound,
  };
}

async function fromHistory(
  path: string,
  args: TrainArgs,
  print: (line: string) => void,
  command: string,
): Promise<Trained> {
  const events = await readHistoryFile(path);
  // A registry's window summaries carry the live breakers' own feature rows: a model trained on
  // them scores live breakers. Histories without them get the features derived from the events.
  const withCoreRows = events.some(hasCoreRow);
  const options = withCoreRows
    ? {
        horizonSeconds: args.horizonSeconds,
        featureList: CORE_FEATURES,
        extract: ({ now }: HistoryWindow) => coreRowOf(now),
      }
    : { horizonSeconds: args.horizonSeconds };
  print(
    `${events.length} events; features: ${withCoreRows ? 'the recorded breakwater.core rows' : 'derived from the events (breakwater.history)'}`,
  );
  const data: TrainingSet = trainingSetFromEvents(events, options, path);
  if (data.rowCount === 0)
    throw new RangeError(`breakwater train: ${path} holds no window summaries of closed breakers to learn from`);
  const model = train(data, print);
  const card: ModelCard = {
    source: `event history ${path}; horizon ${args.horizonSeconds} s`,
    featureList: `${data.featureList.name}@${data.featureList.version}`,
    trainingRows: data.rowCount,
    positiveShare: mean(data.labels),
    trees: model.trees.length,
    command,
  };
  return {
    bytes: exportTreeEnsemble(model, { extra: { source: card.source, horizonSeconds: String(args.horizonSeconds) } }),
    card,
    grown: model.summary.bestRound,
  };
}

function train(data: TrainingSet, print: (line: string) => void): GbdtModel {
  print(`training on ${data.rowCount} rows (${(100 * mean(data.labels)).toFixed(1)}% positive)`);
  // Monotone in the evidence columns this layout has, filling the missing values of those it has,
  // and starting from its trip chances when it has them (a derived history layout has fewer columns).
  const has = (name: string) => data.featureList.features.includes(name);
  const increasing = (EARLY_WARNING_GBDT.increasing ?? []).filter(has);
  const missingAsMedian = (EARLY_WARNING_GBDT.missingAsMedian ?? []).filter(has);
  const prior = EARLY_WARNING_GBDT.startFrom;
  const model = trainGbdt(
    data,
    {
      ...EARLY_WARNING_GBDT,
      increasing,
      missingAsMedian,
      startFrom: prior && prior.features.every(has) ? prior : null,
    },
    {
      onRound: ({ round, validationLogLoss }) => {
        if (round % 25 === 0) print(`  round ${round}: validation log-loss ${validationLogLoss.toFixed(4)}`);
      },
    },
  );
  print(`kept ${model.summary.bestRound} trees past the starting point (${model.trees.length} in all)`);
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
  return (event.detail as { features: (number | null)[] }).features.map((value) =>
    typeof value === 'number' ? value : Number.NaN,
  );
}

const mean = (values: ArrayLike<number>): number =>
  values.length > 0 ? Array.from(values).reduce((a, b) => a + b, 0) / values.length : 0;

/** `breakwater train`: 0 when the model and its card are written, 2 on a bad flag or input. */
export async function trainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help')) {
    io.stdout.write(TRAIN_USAGE);
    return 0;
  }
  try {
    await runTrainCommand(argv, (line) => io.stdout.write(`${line}\n`), io.cwd ?? process.cwd());
    return 0;
  } catch (error) {
    if (!isInputError(error)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
}
