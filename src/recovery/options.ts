import type { Timers } from '../clock';
import { Registry } from '../registry/registry';
import type { FailureClassifier } from './failure';
import type { HintLimits } from './hint';
import type { RestartHook } from './restart';
import type { Escalation } from './errors/RecoveryEscalatedError';
import type { TaskStore } from './task-store';
import { checkTimers, systemTimers } from './timing';
import { knownOptions } from '../options-object';

/** How many times a task may use each rung in one run, before the ladder climbs past it. */
export interface RecoveryBudgets {
  /** Default 1. */
  immediateRetries?: number;
  /** Default 3. */
  delayedRetries?: number;
  /** Hint reductions (each halves the batch or lowers the precision). Default 8. */
  reductions?: number;
  /** Default 3. */
  workerSwitches?: number;
  /** Default 2. */
  hardwareSwitches?: number;
  /** Restarts of the resource through the restart hook. Default 1. */
  restarts?: number;
}

/** Options of the recovery ladder (and of a pool, which passes them on). */
export interface RecoveryOptions {
  /** The registry holding the circuits; recovery events land in its history. */
  registry: Registry;
  /** Names the ladder's own 'pool' breaker (task outcomes, escalations). Default 'recovery'. */
  name?: string;
  /** The breaker kind of the workers in the registry. Default 'worker'. */
  kind?: string;
  /** Clock and timers for delays and timestamps (a ManualClock in tests). Default wall-clock time. */
  timers?: Timers;
  /** Random numbers in [0, 1) for retry jitter. Default Math.random. */
  random?: () => number;
  /** Classifies failures without an errorKind; undefined falls back to the default classifier. */
  classify?: FailureClassifier;
  budgets?: RecoveryBudgets;
  /** Attempts of one task in one run, after which it escalates whatever the rungs say. Default 20. */
  maxAttempts?: number;
  /** First delayed retry, ms; doubles each time. Default 100. */
  retryDelayMs?: number;
  /** Cap of a delayed retry, ms. Default 30000. */
  maxRetryDelayMs?: number;
  /** Shortens each delay by up to this fraction (0..1) so tasks don't retry in step. Default 0.5. */
  jitter?: number;
  /** Window over which failures per worker and per hardware class are counted, ms. Default 60000. */
  windowMs?: number;
  /** Failures of one worker (any task) in the window after which its tasks move elsewhere. Default 3. */
  workerFailureLimit?: number;
  /** Distinct workers of a hardware class failing in the window, for as many distinct tasks, after which tasks leave the class. Default 2. */
  hardwareSpread?: number;
  /** Floor of the batch-size hint. Default 1. */
  minBatchSize?: number;
  /** Precisions from highest to lowest. Default ['fp32', 'fp16', 'int8']. */
  precisions?: readonly string[];
  /** Restarts a resource (a browser, a model server); without it the restart rung is skipped. */
  restart?: RestartHook;
  /** How long the restart hook may take, ms; past it the restart counts as failed and the task escalates. Default 60000. */
  restartTimeoutMs?: number;
  /** Told when a task escalates (all else failed): the place to page a human. */
  onEscalate?: (escalation: Escalation) => void;
  /** Persists task state and checkpoints so a restarted process resumes. Default: memory only. */
  store?: TaskStore;
}

export interface ResolvedRecoveryOptions {
  readonly registry: Registry;
  readonly name: string;
  readonly kind: string;
  readonly timers: Timers;
  readonly random: () => number;
  readonly classify: FailureClassifier | undefined;
  readonly budgets: Readonly<Required<RecoveryBudgets>>;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly jitter: number;
  readonly windowMs: number;
  readonly workerFailureLimit: number;
  readonly hardwareSpread: number;
  readonly limits: HintLimits;
  readonly restart: RestartHook | undefined;
  readonly restartTimeoutMs: number;
  readonly onEscalate: ((escalation: Escalation) => void) | undefined;
  readonly store: TaskStore | undefined;
}

const BUDGETS = [
  'immediateRetries',
  'delayedRetries',
  'reductions',
  'workerSwitches',
  'hardwareSwitches',
  'restarts',
] as const;
const DEFAULT_BUDGETS: Required<RecoveryBudgets> = {
  immediateRetries: 1,
  delayedRetries: 3,
  reductions: 8,
  workerSwitches: 3,
  hardwareSwitches: 2,
  restarts: 1,
};
const MAX_MS = 2 ** 31 - 1;

/** Validates recovery options and fills in defaults. Errors name the option, the value and what was expected. */
export function resolveRecoveryOptions(options: RecoveryOptions): ResolvedRecoveryOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError(
      `breakwater/recovery: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  knownOptions(options, 'breakwater/recovery: options', {
    registry: true,
    name: true,
    kind: true,
    timers: true,
    random: true,
    classify: true,
    budgets: true,
    maxAttempts: true,
    retryDelayMs: true,
    maxRetryDelayMs: true,
    jitter: true,
    windowMs: true,
    workerFailureLimit: true,
    hardwareSpread: true,
    minBatchSize: true,
    precisions: true,
    restart: true,
    restartTimeoutMs: true,
    onEscalate: true,
    store: true,
  });
  if (!(options.registry instanceof Registry))
    throw new TypeError('breakwater/recovery: option "registry" must be a Registry');
  const budgets = options.budgets ?? {};
  if (budgets === null || typeof budgets !== 'object')
    throw new TypeError('breakwater/recovery: option "budgets" must be an object');
  for (const key of Object.keys(budgets)) {
    if (!(BUDGETS as readonly string[]).includes(key))
      throw new TypeError(`breakwater/recovery: unknown option "budgets.${key}" (known: ${BUDGETS.join(', ')})`);
  }
  const resolvedBudgets = { ...DEFAULT_BUDGETS };
  for (const key of BUDGETS)
    resolvedBudgets[key] = integer(`budgets.${key}`, budgets[key], DEFAULT_BUDGETS[key], 0, 1000);
  const precisions = options.precisions ?? ['fp32', 'fp16', 'int8'];
  if (
    !Array.isArray(precisions) ||
    precisions.length === 0 ||
    precisions.some((p) => typeof p !== 'string' || p.length === 0) ||
    new Set(precisions).size !== precisions.length
  ) {
    throw new TypeError(
      `breakwater/recovery: option "precisions" must be a non-empty list of distinct names, highest first, got ${JSON.stringify(precisions)}`,
    );
  }
  const retryDelayMs = number('retryDelayMs', options.retryDelayMs, 100, 0, MAX_MS);
  const maxRetryDelayMs = number('maxRetryDelayMs', options.maxRetryDelayMs, Math.max(30_000, retryDelayMs), 0, MAX_MS);
  if (maxRetryDelayMs < retryDelayMs)
    throw new RangeError(
      `breakwater/recovery: option "maxRetryDelayMs" (${maxRetryDelayMs}) must be >= "retryDelayMs" (${retryDelayMs})`,
    );
  return {
    registry: options.registry,
    name: text('name', options.name, 'recovery'),
    kind: text('kind', options.kind, 'worker'),
    timers: options.timers === undefined ? systemTimers : checkTimers('timers', options.timers),
    random: fn('random', options.random) ?? Math.random,
    classify: fn('classify', options.classify),
    budgets: resolvedBudgets,
    maxAttempts: integer('maxAttempts', options.maxAttempts, 20, 1, 10_000),
    retryDelayMs,
    maxRetryDelayMs,
    jitter: number('jitter', options.jitter, 0.5, 0, 1),
    windowMs: number('windowMs', options.windowMs, 60_000, 1, MAX_MS),
    workerFailureLimit: integer('workerFailureLimit', options.workerFailureLimit, 3, 1, 1_000_000),
    hardwareSpread: integer('hardwareSpread', options.hardwareSpread, 2, 1, 1_000_000),
    limits: {
      minBatchSize: integer('minBatchSize', options.minBatchSize, 1, 1, 1_000_000_000),
      precisions: [...precisions],
    },
    restart: fn('restart', options.restart),
    restartTimeoutMs: number('restartTimeoutMs', options.restartTimeoutMs, 60_000, 1, MAX_MS),
    onEscalate: fn('onEscalate', options.onEscalate),
    store: checkStore(options.store),
  };
}

function checkStore(store: TaskStore | undefined): TaskStore | undefined {
  if (store === undefined) return undefined;
  const methods = ['get', 'all', 'update', 'saveCheckpoint', 'compact', 'close'] as const;
  if (store === null || typeof store !== 'object' || methods.some((m) => typeof store[m] !== 'function')) {
    throw new TypeError(`breakwater/recovery: option "store" must be a TaskStore (${methods.join(', ')})`);
  }
  return store;
}

function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new RangeError(
      `breakwater/recovery: option "${option}" must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value as number;
}

function number(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `breakwater/recovery: option "${option}" must be a number from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function text(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(
      `breakwater/recovery: option "${option}" must be a non-empty string, got ${JSON.stringify(value)}`,
    );
  return value;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function shape; the caller's type narrows it
function fn<F extends (...args: any[]) => unknown>(option: string, value: F | undefined): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function')
    throw new TypeError(
      `breakwater/recovery: option "${option}" must be a function, got ${value === null ? 'null' : typeof value}`,
    );
  return value;
}
