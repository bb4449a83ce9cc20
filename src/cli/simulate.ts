import { readFileSync } from 'node:fs';
import { ONE_STRING_BYTES, unreadableFile } from '../fs/readable-file';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { CORE_FEATURES } from '../features/core-features';
import { defaultModelPath } from '../adaptive/default-model';
import { Predictor } from '../adaptive/predictor';
import { adaptivePolicy, adaptivePredictivePolicy, predictivePolicy } from '../sim/learning-policies';
import { policyNamed } from '../sim/policies';
import type { Policy } from '../sim/policy';
import { progressReporter } from '../sim/progress';
import { checkSuiteFile, findRegressions, type Regression } from '../sim/report/compare';
import { summaryTable } from '../sim/report/markdown';
import { writeReport } from '../sim/report/write';
import type { RunSize } from '../sim/scenario';
import { ALL_SCENARIOS, simulationNamed } from '../sim/scenarios';
import { runCount, runSuite, type SuiteResult } from '../sim/suite';
import { UsageError, checkWritableFolder, unprefixed, type CliIo } from './io';

/** What `breakwater simulate` was asked to do. */
export interface SimulateArgs {
  scenarios: string[];
  size: RunSize;
  seed: number;
  compareWith?: string;
  ci: boolean;
  out: string;
  /** Policy names; empty = the built-in ones (none, static, backoff). */
  policies: string[];
  /** The early-warning model for the predictive policies; default the shipped one. */
  model?: string;
}

/** Every policy `--policies` knows, in report order. */
const POLICY_NAMES = ['none', 'static', 'backoff', 'adaptive', 'predictive', 'adaptive+predictive'] as const;

export const SIMULATE_USAGE_LINE =
  'breakwater simulate [--scenario NAME[,NAME...]] [--quick|--full] [--seed N] [--compare-with FILE] [--ci] [--out DIR]';

export const SIMULATE_USAGE = `  Runs the scenario benchmark on virtual time: each scenario under each policy (none, static,
  backoff), with the real CircuitBreaker. Writes JSON, Markdown and SVG to --out.

  --scenario NAME   only these scenarios (${ALL_SCENARIOS.map((s) => s.name).join(', ')})
  --quick           a quarter of the timeline (default)
  --full            the full timeline (about an hour of traffic per run)
  --seed N          the seed of every random draw, an integer 0..4294967295 (default 1)
  --compare-with F  flag regressions against an earlier scenarios.json
  --ci              plain progress lines; exit 1 on a regression beyond tolerance (needs --compare-with)
  --out DIR         where to write the report (default ./breakwater-simulate-<quick|full>-seed<N>,
                    a folder of the current directory named for the run)
  --policies LIST   policies to compare, the first is the baseline (${POLICY_NAMES.join(', ')};
                    default none,static,backoff)
  --model FILE      the early-warning model of the predictive policies (default the shipped
                    models/default.onnx, scored by the built-in tree walker for determinism)
`;

/** Parses the arguments after `simulate`; throws a UsageError naming the flag at fault. */
export function parseSimulateArgs(argv: readonly string[]): SimulateArgs {
  const args: SimulateArgs = { scenarios: [], size: 'quick', seed: 1, ci: false, out: '', policies: [] };
  let sizeFlag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--')))
        throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario':
        for (const name of value().split(',')) {
          try {
            const scenario = simulationNamed(name.trim()).name;
            if (!args.scenarios.includes(scenario)) args.scenarios.push(scenario);
          } catch (error) {
            throw new UsageError(`--scenario: ${unprefixed(error)}`);
          }
        }
        break;
      case '--quick':
      case '--full':
        if (sizeFlag !== undefined && sizeFlag !== flag)
          throw new UsageError(`${sizeFlag} and ${flag} exclude each other`);
        sizeFlag = flag;
        args.size = flag === '--quick' ? 'quick' : 'full';
        break;
      case '--seed': {
        const text = value();
        const seed = Number(text);
        if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed) || seed > 0xffffffff)
          throw new UsageError(`--seed must be an integer from 0 to 4294967295, got ${JSON.stringify(text)}`);
        args.seed = seed;
        break;
      }
      case '--compare-with':
        args.compareWith = value();
        break;
      case '--ci':
        args.ci = true;
        break;
      case '--out': {
        const out = value();
        if (out === '') throw new UsageError('--out needs a folder');
        args.out = out;
        break;
      }
      case '--policies':
        for (const name of value()
          .split(',')
          .map((n) => n.trim())) {
          if (!(POLICY_NAMES as readonly string[]).includes(name))
            throw new UsageError(
              `--policies: unknown policy ${JSON.stringify(name)} (known: ${POLICY_NAMES.join(', ')})`,
            );
          if (!args.policies.includes(name)) args.policies.push(name);
        }
        break;
      case '--model':
        args.model = value();
        break;
      default:
        throw new UsageError(`unknown ${arg.startsWith('-') ? 'flag' : 'argument'} ${JSON.stringify(arg)}`);
    }
  }
  if (args.ci && args.compareWith === undefined)
    throw new UsageError('--ci needs --compare-with FILE (the baseline the run must not regress from)');
  // Never a tracked folder by default: the committed results come from `npm run bench:scenarios`.
  if (args.out === '') args.out = `breakwater-simulate-${args.size}-seed${args.seed}`;
  return args;
}

/**
 * `breakwater simulate`: runs the suite and writes its report. Resolves to 0, or 1 on a regression
 * under --ci; a usage error is written to stderr with exit code 2.
 */
export async function simulateCommand(argv: readonly string[], io: CliIo, command: string): Promise<number> {
  try {
    const args = parseSimulateArgs(argv);
    const cwd = io.cwd ?? process.cwd();
    const baseline =
      args.compareWith === undefined ? undefined : readBaseline(resolve(cwd, args.compareWith), args.compareWith);
    checkWritableFolder('--out', resolve(cwd, args.out), args.out);
    return await simulate(args, io, cwd, baseline, command);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`breakwater: ${error.message}\nRun \`breakwater simulate --help\` for the flags.\n`);
    return 2;
  }
}

/** The policies of these names; the predictive ones score with the model file (loaded once). */
async function policiesNamed(names: readonly string[], modelFile: string | undefined): Promise<Policy[]> {
  const needsModel = names.some((name) => name.includes('predictive'));
  let model: Predictor | undefined;
  if (needsModel) {
    const path = modelFile ?? defaultModelPath();
    try {
      model = await Predictor.load(path, { featureList: CORE_FEATURES, executionProviders: ['typescript'] });
    } catch (error) {
      throw new UsageError(`--model: ${unprefixed(error)}`);
    }
  }
  return names.map((name) => {
    if (name === 'adaptive') return adaptivePolicy;
    if (name === 'predictive') return predictivePolicy(model!);
    if (name === 'adaptive+predictive') return adaptivePredictivePolicy(model!);
    return policyNamed(name);
  });
}

function readBaseline(path: string, given: string): SuiteResult {
  const unreadable = unreadableFile(path, ONE_STRING_BYTES);
  if (unreadable !== undefined) throw new UsageError(`--compare-with: ${given} ${unreadable}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--compare-with: cannot read ${given}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--compare-with: ${given} is not JSON (${(error as Error).message})`);
  }
  try {
    return checkSuiteFile(parsed, given);
  } catch (error) {
    throw new UsageError(`--compare-with: ${unprefixed(error)}`);
  }
}

async function simulate(
  args: SimulateArgs,
  io: CliIo,
  cwd: string,
  baseline: SuiteResult | undefined,
  command: string,
): Promise<number> {
  const scenarios = args.scenarios.length === 0 ? ALL_SCENARIOS : args.scenarios.map(simulationNamed);
  const progress = progressReporter(io.stdout, io.isTTY === true && !args.ci);
  const started = performance.now();
  const policies =
    args.policies.length === 0
      ? undefined
      : await policiesNamed(args.policies, args.model === undefined ? undefined : resolve(cwd, args.model));
  const suite = await runSuite({
    seed: args.seed,
    size: args.size,
    scenarios,
    onProgress: progress,
    ...(policies && { policies }),
  });
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpu = cpus();
  const environment = `${new Date().toISOString().slice(0, 10)}, ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}`;
  const files = writeReport(suite, resolve(cwd, args.out), { command, elapsedSeconds, environment });
  io.stdout.write(
    `\n${summaryTable(suite)}\n\n${runCount(suite)} runs in ${elapsedSeconds.toFixed(1)} s; wrote ${files.length} files to ${args.out}\n`,
  );
  if (baseline === undefined) return 0;
  const regressions = findRegressions(baseline, suite);
  io.stdout.write(regressionText(regressions, args.compareWith!));
  return args.ci && regressions.length > 0 ? 1 : 0;
}

function regressionText(regressions: readonly Regression[], file: string): string {
  if (regressions.length === 0) return `no regression against ${file} (tolerances in docs/chaos.md)\n`;
  const show = (v: number | null) => (v === null ? 'never' : String(Math.round(v * 10_000) / 10_000));
  const lines = regressions.map(
    (r) =>
      `  REGRESSION ${r.scenario} / ${r.policy}: ${r.measure} ${show(r.before)} -> ${show(r.after)} (tolerance ${r.tolerance})`,
  );
  return `${regressions.length} regression(s) against ${file}:\n${lines.join('\n')}\n`;
}
