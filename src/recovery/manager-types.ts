import type { FailureContext } from './failure';
import type { Placement } from './ledger';
import type { RecoveryStep } from './steps';

/** What a pool tells the ladder: where else a task can go, and how busy each worker is. */
export interface TargetDirectory {
  /** @internal The best worker that admits the task (class in `accepts`), outside the excluded workers and classes. */
  pick(
    accepts: readonly string[] | undefined,
    exclude: { workers: ReadonlySet<string>; hardware: ReadonlySet<string> },
  ): Placement | undefined;
  /** @internal Whether the worker is (still) in the pool. */
  has(worker: string): boolean;
  /** @internal */
  acquire(worker: string): void;
  /** @internal */
  release(worker: string): void;
}

/** One attempt's result: the value, or the failure to hand to the ladder. */
export type TaskAttemptOutcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly context: FailureContext };

/** Counters since the ladder was made. */
export interface RecoveryStats {
  /** Task runs that succeeded (with or without recovery). */
  completed: number;
  /** Runs that succeeded after at least one failure. */
  recovered: number;
  escalated: number;
  /** Runs refused at the start because no target admitted them. */
  unavailable: number;
  /** Failures handled. */
  failures: number;
  /** Actions taken, by rung. */
  actions: Record<RecoveryStep, number>;
}
