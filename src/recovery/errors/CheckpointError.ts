/**
 * A task saved a checkpoint its pool can't keep (with a store, checkpoints must be JSON). A
 * programming error, not a failure to recover from: the task escalates at once, whatever it did
 * with the error, and neither its worker nor its hardware class is blamed.
 */
export class CheckpointError extends TypeError {
  readonly code = 'ECHECKPOINT';

  constructor(
    readonly task: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}
