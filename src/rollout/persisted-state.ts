import { PERSISTED_OPTIONS, resolveRolloutOptions, type ResolvedRolloutOptions, type RolloutOptions } from './options';
import { RolloutStateError } from './errors/RolloutStateError';

/** Where a rollout stands. OFF phases: pending, rolledBack, aborted (and paused after a bad state file). */
export type RolloutStatus = 'pending' | 'rolling' | 'paused' | 'rolledBack' | 'aborted' | 'complete';

/** What moved the rollout: the watchdog, an operator, or the retry timer. */
export type TransitionAction =
  'advance' | 'rollback' | 'promote' | 'abort' | 'retry' | 'autoRetry' | 'pause' | 'resume';

/** One entry of the rollout's history. */
export interface RolloutTransition {
  /** The clock's time (wall-clock ms by default). */
  at: number;
  action: TransitionAction;
  /** Phase names; 'OFF' is the phase with no new-version traffic. */
  from: string;
  to: string;
  reason: string;
}

/** The part of a rollout that survives a restart (the windows start empty again). */
export interface RolloutProgress {
  phase: string;
  status: RolloutStatus;
  /** When the current phase was entered. */
  phaseEnteredAt: number;
  /** Good evaluations in a row in the current phase. */
  goodStreak: number;
  /** When the last rollback happened; null when none is pending a retry. */
  rolledBackAt: number | null;
  /** Rollout attempts so far (1 + retries). */
  attempt: number;
}

/** The state file's content. */
export interface RolloutStateDocument {
  kind: 'breakwater.rollout';
  version: 1;
  savedAt: number;
  config: ResolvedRolloutOptions;
  progress: RolloutProgress;
  history: RolloutTransition[];
}

/** The latest time a file may hold: Date's range, far beyond any clock this code runs on. */
const MAX_TIME = 8.64e15;
const DOCUMENT_KEYS = ['kind', 'version', 'savedAt', 'config', 'progress', 'history'] as const;
const PROGRESS_KEYS = ['phase', 'status', 'phaseEnteredAt', 'goodStreak', 'rolledBackAt', 'attempt'] as const;

const STATUSES: ReadonlySet<string> = new Set(['pending', 'rolling', 'paused', 'rolledBack', 'aborted', 'complete']);
const ACTIONS: ReadonlySet<string> = new Set([
  'advance',
  'rollback',
  'promote',
  'abort',
  'retry',
  'autoRetry',
  'pause',
  'resume',
]);

/** Serialises the document (stable key order, one entry per line of history for readable diffs). */
export function formatStateDocument(document: RolloutStateDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Parses and checks a state file's text. Anything unexpected (not JSON, a wrong kind or version, an
 * invalid config, a phase that is not configured, a status that contradicts the phase) throws a
 * RolloutStateError naming the file and the first problem found.
 */
export function parseStateDocument(file: string, text: string): RolloutStateDocument {
  const corrupt = (why: string, cause?: unknown): never => {
    throw new RolloutStateError(
      file,
      `breakwater/rollout: state file ${file} is corrupt: ${why}`,
      cause === undefined ? undefined : { cause },
    );
  };
  if (text.trim().length === 0) corrupt('it is empty');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    corrupt(`not valid JSON (${(error as Error).message})`, error);
  }
  if (!isObject(raw)) return corrupt('expected a JSON object');
  if (raw.kind !== 'breakwater.rollout')
    corrupt(`"kind" must be "breakwater.rollout", got ${JSON.stringify(raw.kind)}`);
  if (raw.version !== 1) corrupt(`"version" ${JSON.stringify(raw.version)} is not supported (expected 1)`);
  if (!isTime(raw.savedAt))
    corrupt(`"savedAt" must be a time (ms, 0 to ${MAX_TIME}), got ${JSON.stringify(raw.savedAt)}`);
  const savedAt = raw.savedAt as number;
  unknownKeys(raw, DOCUMENT_KEYS, '', corrupt);
  if (isObject(raw.config)) unknownKeys(raw.config, PERSISTED_OPTIONS, 'config.', corrupt);
  let config: ResolvedRolloutOptions;
  try {
    config = resolveRolloutOptions(pickPersisted(raw.config));
  } catch (error) {
    return corrupt(`"config" is invalid: ${(error as Error).message}`, error);
  }
  const progress = checkProgress(raw.progress, config, corrupt);
  unknownKeys(raw.progress as Record<string, unknown>, PROGRESS_KEYS, 'progress.', corrupt);
  // Nothing this code saves happened after the save.
  if (progress.phaseEnteredAt > savedAt)
    corrupt(`"progress.phaseEnteredAt" ${progress.phaseEnteredAt} is after "savedAt" ${savedAt}`);
  if (progress.rolledBackAt !== null && progress.rolledBackAt > savedAt)
    corrupt(`"progress.rolledBackAt" ${progress.rolledBackAt} is after "savedAt" ${savedAt}`);
  if (!Array.isArray(raw.history)) return corrupt('"history" must be an array');
  const history = raw.history.map((entry, index) => checkTransition(entry, index, savedAt, corrupt));
  return { kind: 'breakwater.rollout', version: 1, savedAt, config, progress, history };
}

/** Checks that saved progress fits (possibly changed) options; throws a RolloutStateError naming the file. */
export function validateProgress(file: string, progress: RolloutProgress, config: ResolvedRolloutOptions): void {
  checkProgress(progress, config, (why) => {
    throw new RolloutStateError(file, `breakwater/rollout: state file ${file} does not fit the options: ${why}`);
  });
}

/**
 * Checks that the file was written by the rollout named now: another rollout's file would start this
 * one at that rollout's phase, with its seed. A restart that names no rollout takes the saved name.
 */
export function validateOwner(file: string, savedName: string, name: string | undefined): void {
  if (name === undefined || name === savedName) return;
  throw new RolloutStateError(
    file,
    `breakwater/rollout: state file ${file} belongs to rollout ${JSON.stringify(savedName)}, not ${JSON.stringify(name)}`,
  );
}

/** The persisted options of an object, for resolveRolloutOptions(). */
export function pickPersisted(source: unknown): RolloutOptions {
  if (!isObject(source)) throw new TypeError('expected an object');
  const picked: Record<string, unknown> = {};
  for (const key of PERSISTED_OPTIONS) if (source[key] !== undefined) picked[key] = source[key];
  return picked as RolloutOptions;
}

function checkProgress(
  value: unknown,
  config: ResolvedRolloutOptions,
  corrupt: (why: string) => never,
): RolloutProgress {
  if (!isObject(value)) return corrupt('"progress" must be an object');
  const { phase, status, phaseEnteredAt, goodStreak, rolledBackAt, attempt } = value;
  if (typeof status !== 'string' || !STATUSES.has(status))
    corrupt(`"progress.status" ${JSON.stringify(status)} is not one of ${[...STATUSES].join(', ')}`);
  if (typeof phase !== 'string') return corrupt('"progress.phase" must be a phase name');
  const index = phase === 'OFF' ? -1 : config.phases.findIndex((p) => p.name === phase);
  if (phase !== 'OFF' && index < 0)
    corrupt(
      `"progress.phase" ${JSON.stringify(phase)} is not among the configured phases (${config.phases.map((p) => p.name).join(', ')})`,
    );
  const last = config.phases.length - 1;
  // A status must agree with its phase: a file that says "complete" anywhere but the last phase,
  // or "rolledBack" on a phase with traffic, was not written by this code.
  const offOnly = status === 'pending' || status === 'rolledBack' || status === 'aborted';
  if (offOnly && index !== -1) corrupt(`status "${status}" needs phase OFF, got ${JSON.stringify(phase)}`);
  if (status === 'rolling' && (index < 0 || index === last))
    corrupt(`status "rolling" needs a phase between the first and the last but one, got ${JSON.stringify(phase)}`);
  if (status === 'paused' && index === last)
    corrupt(`status "paused" can't be on the last phase ${JSON.stringify(phase)}: a rollout there is complete`);
  if (status === 'complete' && index !== last)
    corrupt(
      `status "complete" needs the last phase ${JSON.stringify(config.phases[last].name)}, got ${JSON.stringify(phase)}`,
    );
  if (!isTime(phaseEnteredAt))
    corrupt(`"progress.phaseEnteredAt" must be a time (ms, 0 to ${MAX_TIME}), got ${JSON.stringify(phaseEnteredAt)}`);
  if (!Number.isInteger(goodStreak) || (goodStreak as number) < 0)
    corrupt('"progress.goodStreak" must be an integer >= 0');
  if (rolledBackAt !== null && !isTime(rolledBackAt))
    corrupt(
      `"progress.rolledBackAt" must be a time (ms, 0 to ${MAX_TIME}) or null, got ${JSON.stringify(rolledBackAt)}`,
    );
  if (!Number.isInteger(attempt) || (attempt as number) < 1) corrupt('"progress.attempt" must be an integer >= 1');
  return {
    phase,
    status: status as RolloutStatus,
    phaseEnteredAt: phaseEnteredAt as number,
    goodStreak: goodStreak as number,
    rolledBackAt: rolledBackAt as number | null,
    attempt: attempt as number,
  };
}

function checkTransition(
  value: unknown,
  index: number,
  savedAt: number,
  corrupt: (why: string) => never,
): RolloutTransition {
  const where = `"history[${index}]"`;
  if (!isObject(value)) return corrupt(`${where} must be an object`);
  const { at, action, from, to, reason } = value;
  if (!isTime(at) || (at as number) > savedAt)
    corrupt(`${where}.at must be a time (ms) no later than "savedAt" ${savedAt}, got ${JSON.stringify(at)}`);
  if (typeof action !== 'string' || !ACTIONS.has(action))
    corrupt(`${where}.action ${JSON.stringify(action)} is unknown`);
  if (typeof from !== 'string' || typeof to !== 'string' || typeof reason !== 'string')
    corrupt(`${where} needs string from, to and reason`);
  return {
    at: at as number,
    action: action as TransitionAction,
    from: from as string,
    to: to as string,
    reason: reason as string,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A clock reading a file may hold: a number from 0 to MAX_TIME. */
function isTime(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= MAX_TIME;
}

/** Rejects a key this code never writes, naming it and the keys that belong there. */
function unknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  corrupt: (why: string) => never,
): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined)
    corrupt(`"${prefix}${unknown}" is not a field of a state file (expected ${known.join(', ')})`);
}
