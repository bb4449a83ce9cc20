import type { ResourceHint } from './hint';
import { LADDER, type RecoveryAction, type RecoveryStep } from './steps';

/** Where an attempt runs. */
export interface Placement {
  readonly worker?: string;
  readonly hardware?: string;
}

/**
 * One run of one task: what the ladder has used, the task's hint and last checkpoint, and where
 * it failed. Lives from the run's start to its success or escalation.
 */
export class TaskLedger {
  /** Attempts in this run. */
  attempts = 0;
  /** Attempts in earlier runs (from the task store): a resumed task keeps counting. */
  readonly earlierAttempts: number;
  /** Failures in this run. */
  failures = 0;
  readonly used = Object.fromEntries(LADDER.map((step) => [step, 0])) as Record<RecoveryStep, number>;
  readonly steps: RecoveryAction[] = [];
  /** Workers and classes the task failed on in this run: switches prefer places not yet tried. */
  readonly failedWorkers = new Set<string>();
  readonly failedHardware = new Set<string>();
  lastError: unknown;
  /** A checkpoint the store could not keep: the run escalates at once, whatever the task did with the error. */
  checkpointError: Error | undefined;

  constructor(
    readonly taskId: string,
    /** Hardware classes the task can run on; undefined = any. */
    readonly accepts: readonly string[] | undefined,
    public hint: ResourceHint,
    public checkpoint: unknown,
    earlierAttempts: number,
    readonly startedAt: number,
  ) {
    this.earlierAttempts = earlierAttempts;
  }

  /** Attempts over every run of the task. */
  get totalAttempts(): number {
    return this.earlierAttempts + this.attempts;
  }
}
