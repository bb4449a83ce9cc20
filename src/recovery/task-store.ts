import type { ResourceHint } from './hint';

/** Where a task's latest run stands. */
export type TaskStatus = 'running' | 'succeeded' | 'escalated';

/** Every TaskStatus, for checking what a caller or a file hands in. */
export const TASK_STATUSES: readonly TaskStatus[] = ['running', 'succeeded', 'escalated'];

/** A task's latest state, rebuilt from the store's records. */
export interface TaskRecord {
  readonly id: string;
  readonly status: TaskStatus;
  /** Attempts over every run. */
  readonly attempts: number;
  readonly worker?: string;
  readonly hardware?: string;
  readonly hint?: ResourceHint;
  /** The last checkpoint the task saved (JSON); absent when none or cleared by a fresh run. */
  readonly checkpoint?: unknown;
  readonly checkpointAt?: number;
  /** The last failure's or escalation's message. */
  readonly error?: string;
  /** The clock's time of the last change. */
  readonly updatedAt: number;
}

/** A change to a task's state, merged over its latest record. */
export interface TaskChange {
  readonly status?: TaskStatus;
  readonly attempts?: number;
  readonly worker?: string;
  readonly hardware?: string;
  readonly hint?: ResourceHint;
  readonly error?: string;
  readonly at: number;
}

/**
 * Durable task state and checkpoints. Reads come from the state rebuilt when the store opened
 * (kept current by every write), so they are synchronous; writes resolve once durable.
 * Implementations: JsonlTaskStore (an append-only file); a DuckDB one can keep the same contract.
 */
export interface TaskStore {
  /** The task's latest state, or undefined when the store never saw it. */
  get(taskId: string): TaskRecord | undefined;
  /** Every task's latest state. */
  all(): TaskRecord[];
  /** Records a change and returns the merged state. */
  update(taskId: string, change: TaskChange): Promise<TaskRecord>;
  /**
   * Saves (or, with `undefined`, clears) the task's checkpoint. A checkpoint it can't keep is a
   * CheckpointError naming the task: the pool then escalates the task at once, without a retry.
   */
  saveCheckpoint(taskId: string, checkpoint: unknown, at: number): Promise<void>;
  /** Rewrites the store to one record per task, atomically. */
  compact(): Promise<void>;
  /** Releases the store; later writes fail. */
  close(): Promise<void>;
}

/**
 * The problem with a change, naming the field and what it accepts, or undefined when it is sound.
 * Stores check every change they are given and every one they read back.
 */
export function changeProblem(change: unknown): string | undefined {
  if (change === null || typeof change !== 'object')
    return `a task change must be an object, got ${change === null ? 'null' : typeof change}`;
  const { status, attempts, at } = change as Partial<Record<keyof TaskChange, unknown>>;
  if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus))
    return `field "status" must be one of ${TASK_STATUSES.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(status)}`;
  if (attempts !== undefined && !(Number.isInteger(attempts) && (attempts as number) >= 0))
    return `field "attempts" must be an integer >= 0, got ${JSON.stringify(attempts)}`;
  if (typeof at !== 'number' || !Number.isFinite(at))
    return `field "at" must be a finite number (the clock's time), got ${JSON.stringify(at)}`;
  return undefined;
}

/** Merges a change over a record (or a new task). */
export function applyChange(taskId: string, record: TaskRecord | undefined, change: TaskChange): TaskRecord {
  const { at, ...fields } = change;
  const defined = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return { ...(record ?? { id: taskId, status: 'running', attempts: 0 }), ...defined, id: taskId, updatedAt: at };
}

/** Sets or clears a record's checkpoint. */
export function applyCheckpoint(
  taskId: string,
  record: TaskRecord | undefined,
  checkpoint: unknown,
  at: number,
): TaskRecord {
  const base: TaskRecord = record ?? { id: taskId, status: 'running', attempts: 0, updatedAt: at };
  const { checkpoint: _old, checkpointAt: _oldAt, ...rest } = base;
  return checkpoint === undefined
    ? { ...rest, updatedAt: at }
    : { ...rest, checkpoint, checkpointAt: at, updatedAt: at };
}
