import { RecoveryManager } from './manager';
import type { TargetDirectory, TaskAttemptOutcome } from './manager-types';
import type { Placement } from './ledger';
import type { RecoveryOptions } from './options';
import type { RecoveryTask } from './task';

/**
 * A ladder that asks before every attempt: `beforeAttempt` throws to stop the run. A closing pool
 * uses it so a retry that wakes after close() (a delay, a restart, a late breaker timeout) runs nothing.
 */
export class GatedRecoveryManager extends RecoveryManager {
  constructor(
    options: RecoveryOptions,
    directory: TargetDirectory,
    private readonly beforeAttempt: (taskId: string) => void,
  ) {
    super(options, directory);
  }

  override async attempt<T>(task: RecoveryTask<T>, placement: Placement): Promise<TaskAttemptOutcome<T>> {
    this.beforeAttempt(task.id);
    return super.attempt(task, placement);
  }
}
