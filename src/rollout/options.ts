import type { Timers } from '../clock';
import { show } from '../error-message';

/** One step of a rollout: the share of traffic (0 < weight <= 1) the new version gets. */
export interface RolloutPhase {
  name: string;
  weight: number;
}

/** Judging the new version against the old one's metrics over the same window. */
export interface BaselineComparison {
  /** Roll back when the new completion rate is this much (absolute, 0..1) below the old one's. Default 0.05. */
  maxCompletionRateDrop?: number;
  /** Roll back when the new mean latency exceeds the old one's times this (>= 1). Default 1.5. */
  maxLatencyRatio?: number;
}

/** Everything a RolloutController can be told. Every option is optional; durations are milliseconds. */
export interface RolloutOptions {
  /** Shown in events, errors and the state file; also the default hash seed. Default 'rollout'. */
  name?: string;
  /** The phases after OFF, strictly growing weights in (0, 1]. Default PROBE 1%, SMALL 5%, MEDIUM 20%, FULL 100%. */
  phases?: ReadonlyArray<RolloutPhase | number>;
  /** Length of the rolling window both versions are judged on. Default 5 minutes. */
  monitoringWindowMinutes?: number;
  /** The completion-rate SLO: below it a phase holds (never advances) and its good streak resets. Default 0.85. */
  minTaskCompletionRate?: number;
  /** Mean latency above this rolls back; 0 = not checked. Default 2000 ms. */
  maxLatencyMs?: number;
  /** p90 latency above this rolls back; 0 = not checked. Default 0. */
  maxP90LatencyMs?: number;
  /** p99 latency above this rolls back; 0 = not checked. Default 0. */
  maxP99LatencyMs?: number;
  /** New-version calls the window must hold before a phase may advance. Default 10. */
  minSamplesPerPhase?: number;
  /** Completion rate at or above which a phase may advance. Default 0.95. */
  advancementThreshold?: number;
  /** Completion rate below which the rollout rolls back at once. Default 0.80. */
  rollbackThreshold?: number;
  /** Time a phase must last before it may advance (as Argo Rollouts' pause steps). Default 0. */
  minPhaseDurationMs?: number;
  /** Good evaluations in a row a phase needs before it may advance (as Flagger's iterations). Default 1. */
  consecutiveGoodEvaluations?: number;
  /** Also judge the new version against the old one in the same window. Default off. */
  compareWithOldVersion?: boolean | BaselineComparison;
  /** Check the rollback rules on every new-version failure, not only at evaluations. Default true. */
  immediateRollback?: boolean;
  /** evaluateAndDecide() runs on its own every this many ms once start() is called. Default 30000. */
  evaluationIntervalMs?: number;
  /** After a rollback, retry from the first phase after this long; 0 = only retry() does. Default 0. */
  autoRetryDelayMs?: number;
  /** Hash seed: the same seed keeps the same ids on the new version across restarts. Default the name. */
  seed?: string;
  /** Where the phase, history and config are kept (JSON, written atomically). Default: not persisted. */
  stateFile?: string;
  /** Transitions kept in the history (oldest dropped first). Default 100. */
  historyLimit?: number;
  /** The time source and timers: a ManualClock (or any virtual clock) for tests and simulators. Default the wall clock. */
  clock?: Timers;
}

/** Options after defaults and validation (what the state file keeps as `config`). */
export interface ResolvedRolloutOptions {
  name: string;
  phases: ReadonlyArray<Readonly<RolloutPhase>>;
  monitoringWindowMinutes: number;
  minTaskCompletionRate: number;
  maxLatencyMs: number;
  maxP90LatencyMs: number;
  maxP99LatencyMs: number;
  minSamplesPerPhase: number;
  advancementThreshold: number;
  rollbackThreshold: number;
  minPhaseDurationMs: number;
  consecutiveGoodEvaluations: number;
  compareWithOldVersion: Readonly<Required<BaselineComparison>> | null;
  immediateRollback: boolean;
  evaluationIntervalMs: number;
  autoRetryDelayMs: number;
  seed: string;
  historyLimit: number;
}

/** The options a state file may carry, i.e. everything but the file, the clock and the hooks. */
export const PERSISTED_OPTIONS = [
  'name',
  'phases',
  'monitoringWindowMinutes',
  'minTaskCompletionRate',
  'maxLatencyMs',
  'maxP90LatencyMs',
  'maxP99LatencyMs',
  'minSamplesPerPhase',
  'advancementThreshold',
  'rollbackThreshold',
  'minPhaseDurationMs',
  'consecutiveGoodEvaluations',
  'compareWithOldVersion',
  'immediateRollback',
  'evaluationIntervalMs',
  'autoRetryDelayMs',
  'seed',
  'historyLimit',
] as const;

const KNOWN = new Set<string>([...PERSISTED_OPTIONS, 'stateFile', 'clock']);

export const DEFAULT_PHASES: ReadonlyArray<RolloutPhase> = [
  { name: 'PROBE', weight: 0.01 },
  { name: 'SMALL', weight: 0.05 },
  { name: 'MEDIUM', weight: 0.2 },
  { name: 'FULL', weight: 1 },
];

/** Longer than a timer can wait (2^31 - 1 ms, ~24.8 days) can't be scheduled. */
const TIMER_MAX_MS = 2 ** 31 - 1;
const DAY_MINUTES = 24 * 60;

function fail(option: string, expected: string, value: unknown, kind: 'type' | 'range' = 'range'): never {
  const message = `breakwater/rollout: option "${option}" must be ${expected}, got ${show(value)}`;
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

function numberOption(
  value: unknown,
  option: string,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  if (value === undefined) return fallback;
  const range = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  if (typeof value !== 'number' || Number.isNaN(value)) fail(option, range, value, 'type');
  if ((integer && !Number.isInteger(value)) || value < min || value > max) fail(option, range, value);
  return value;
}

/** A rate in [0, 1]: thresholds on the completion rate. */
function rate(value: unknown, option: string, fallback: number): number {
  return numberOption(value, option, fallback, 0, 1);
}

function resolvePhases(value: unknown): ReadonlyArray<Readonly<RolloutPhase>> {
  if (value === undefined) return DEFAULT_PHASES.map((phase) => Object.freeze({ ...phase }));
  if (!Array.isArray(value) || value.length === 0)
    fail('phases', 'a non-empty array of weights in (0, 1] or { name, weight }', value, 'type');
  const phases: Readonly<RolloutPhase>[] = [];
  const names = new Set<string>(['OFF']);
  value.forEach((entry: unknown, index) => {
    const option = `phases[${index}]`;
    const phase =
      typeof entry === 'number' ? { name: `${+(entry * 100).toFixed(4)}%`, weight: entry } : (entry as RolloutPhase);
    if (phase === null || typeof phase !== 'object')
      fail(option, 'a weight in (0, 1] or { name, weight }', entry, 'type');
    if (typeof phase.name !== 'string' || phase.name.length === 0)
      fail(`${option}.name`, 'a non-empty string', phase.name, 'type');
    if (names.has(phase.name)) fail(`${option}.name`, `a name not used before (OFF is reserved)`, phase.name);
    names.add(phase.name);
    const weight = phase.weight;
    if (typeof weight !== 'number' || !(weight > 0 && weight <= 1))
      fail(`${option}.weight`, 'a number in (0, 1]', weight);
    const previous = phases[index - 1];
    if (previous !== undefined && weight <= previous.weight) {
      fail(
        `${option}.weight`,
        `greater than the previous phase's weight ${previous.weight} (phases only grow)`,
        weight,
      );
    }
    phases.push(Object.freeze({ name: phase.name, weight }));
  });
  return Object.freeze(phases);
}

function resolveComparison(value: unknown): Readonly<Required<BaselineComparison>> | null {
  if (value === undefined || value === false || value === null) return null;
  const given: BaselineComparison = value === true ? {} : (value as BaselineComparison);
  if (typeof given !== 'object')
    fail('compareWithOldVersion', 'a boolean or { maxCompletionRateDrop, maxLatencyRatio }', value, 'type');
  for (const key of Object.keys(given)) {
    if (key !== 'maxCompletionRateDrop' && key !== 'maxLatencyRatio') {
      throw new TypeError(
        `breakwater/rollout: unknown option "compareWithOldVersion.${key}" (known: maxCompletionRateDrop, maxLatencyRatio)`,
      );
    }
  }
  return Object.freeze({
    maxCompletionRateDrop: rate(given.maxCompletionRateDrop, 'compareWithOldVersion.maxCompletionRateDrop', 0.05),
    maxLatencyRatio: numberOption(given.maxLatencyRatio, 'compareWithOldVersion.maxLatencyRatio', 1.5, 1, 1000),
  });
}

/**
 * Validates the options and fills in defaults. Errors are TypeError/RangeError naming the option,
 * the value and the accepted range.
 */
export function resolveRolloutOptions(options: RolloutOptions = {}): ResolvedRolloutOptions {
  if (options === null || typeof options !== 'object') fail('options', 'an object', options, 'type');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new TypeError(`breakwater/rollout: unknown option "${key}" (known: ${[...KNOWN].join(', ')})`);
  }
  const name = options.name ?? 'rollout';
  if (typeof name !== 'string' || name.length === 0) fail('name', 'a non-empty string', name, 'type');
  const seed = options.seed ?? name;
  if (typeof seed !== 'string') fail('seed', 'a string', seed, 'type');
  if (options.stateFile !== undefined && (typeof options.stateFile !== 'string' || options.stateFile.length === 0)) {
    fail('stateFile', 'a non-empty file path', options.stateFile, 'type');
  }
  const immediateRollback = options.immediateRollback ?? true;
  if (typeof immediateRollback !== 'boolean') fail('immediateRollback', 'a boolean', immediateRollback, 'type');
  const clock = options.clock;
  if (
    clock !== undefined &&
    (clock === null ||
      typeof clock !== 'object' ||
      typeof clock.now !== 'function' ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function')
  ) {
    fail('clock', 'an object with now(), setTimeout() and clearTimeout() (e.g. a ManualClock)', clock, 'type');
  }
  const rollbackThreshold = rate(options.rollbackThreshold, 'rollbackThreshold', 0.8);
  const minTaskCompletionRate = rate(options.minTaskCompletionRate, 'minTaskCompletionRate', 0.85);
  const advancementThreshold = rate(options.advancementThreshold, 'advancementThreshold', 0.95);
  // The three completion-rate lines must be ordered, or a band would be empty or contradictory.
  if (minTaskCompletionRate < rollbackThreshold) {
    fail('minTaskCompletionRate', `a number from rollbackThreshold (${rollbackThreshold}) to 1`, minTaskCompletionRate);
  }
  if (advancementThreshold < minTaskCompletionRate) {
    fail(
      'advancementThreshold',
      `a number from minTaskCompletionRate (${minTaskCompletionRate}) to 1`,
      advancementThreshold,
    );
  }
  return Object.freeze({
    name,
    phases: resolvePhases(options.phases),
    monitoringWindowMinutes: numberOption(
      options.monitoringWindowMinutes,
      'monitoringWindowMinutes',
      5,
      0.001,
      DAY_MINUTES,
    ),
    minTaskCompletionRate,
    maxLatencyMs: numberOption(options.maxLatencyMs, 'maxLatencyMs', 2000, 0, TIMER_MAX_MS),
    maxP90LatencyMs: numberOption(options.maxP90LatencyMs, 'maxP90LatencyMs', 0, 0, TIMER_MAX_MS),
    maxP99LatencyMs: numberOption(options.maxP99LatencyMs, 'maxP99LatencyMs', 0, 0, TIMER_MAX_MS),
    minSamplesPerPhase: numberOption(options.minSamplesPerPhase, 'minSamplesPerPhase', 10, 1, 1e9, true),
    advancementThreshold,
    rollbackThreshold,
    minPhaseDurationMs: numberOption(
      options.minPhaseDurationMs,
      'minPhaseDurationMs',
      0,
      0,
      365 * DAY_MINUTES * 60_000,
    ),
    consecutiveGoodEvaluations: numberOption(
      options.consecutiveGoodEvaluations,
      'consecutiveGoodEvaluations',
      1,
      1,
      1e6,
      true,
    ),
    compareWithOldVersion: resolveComparison(options.compareWithOldVersion),
    immediateRollback,
    evaluationIntervalMs: numberOption(options.evaluationIntervalMs, 'evaluationIntervalMs', 30_000, 1, TIMER_MAX_MS),
    autoRetryDelayMs: numberOption(options.autoRetryDelayMs, 'autoRetryDelayMs', 0, 0, TIMER_MAX_MS),
    seed,
    historyLimit: numberOption(options.historyLimit, 'historyLimit', 100, 1, 1e6, true),
  });
}
