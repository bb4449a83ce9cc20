import type { ResourceHint } from './hint';

/** What a task sees on each attempt. */
export interface TaskAttempt {
  readonly task: string;
  /** 1-based, counted over every run of the task (a resumed task keeps counting). */
  readonly number: number;
  readonly worker?: string;
  readonly hardware?: string;
  /** The last checkpoint the task saved (in this process or, with a store, before a restart). */
  readonly checkpoint: unknown;
  /** Batch size and precision to use now; smaller after an out-of-memory failure. */
  readonly hint: ResourceHint;
  /**
   * Aborted when the worker's circuit times the call out. The ladder may then retry while this
   * attempt still runs: stop when it aborts.
   */
  readonly signal: AbortSignal;
  /**
   * Saves progress: the next attempt (on this worker or another, in this process or after a
   * restart when the pool has a store) receives it as `checkpoint`. With a store it must be JSON:
   * otherwise it throws a CheckpointError naming the task, and the task escalates without a retry.
   */
  saveCheckpoint(checkpoint: unknown): Promise<void>;
}

/** A unit of work the pool runs and recovers. */
export interface RecoveryTask<T> {
  /** Stable across restarts: the store keys checkpoints by it. */
  readonly id: string;
  /** Hardware classes the task can run on; default any. */
  readonly hardware?: readonly string[];
  /** The batch size and precision the task starts with, for the reduce rung to shrink. */
  readonly hint?: { readonly batchSize?: number; readonly precision?: string };
  /**
   * Does the work. Delivery is at-least-once: it may run again after a failure or a timeout, even
   * while a timed-out attempt is still running, so honour `attempt.signal` and make side effects
   * idempotent.
   */
  run(attempt: TaskAttempt): T | PromiseLike<T>;
}

/** Checks a task's shape; errors name the task and the field. */
export function checkTask(task: unknown): asserts task is RecoveryTask<unknown> {
  if (task === null || typeof task !== 'object')
    throw new TypeError(
      `breakwater/recovery: a task must be an object with id and run(), got ${task === null ? 'null' : typeof task}`,
    );
  const { id, run, hardware } = task as Partial<RecoveryTask<unknown>>;
  if (typeof id !== 'string' || id.length === 0)
    throw new TypeError(`breakwater/recovery: task option "id" must be a non-empty string, got ${JSON.stringify(id)}`);
  if (typeof run !== 'function')
    throw new TypeError(`breakwater/recovery: task "${id}" option "run" must be a function, got ${typeof run}`);
  if (
    hardware !== undefined &&
    (!Array.isArray(hardware) || hardware.length === 0 || hardware.some((h) => typeof h !== 'string' || h.length === 0))
  ) {
    throw new TypeError(
      `breakwater/recovery: task "${id}" option "hardware" must be a non-empty list of hardware class names, got ${JSON.stringify(hardware)}`,
    );
  }
}
