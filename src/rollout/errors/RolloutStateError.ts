/** A rollout state file that can't be read or written; `file` names it. */
export class RolloutStateError extends Error {
  readonly code = 'EROLLOUTSTATE';

  constructor(
    /** The state file's path. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RolloutStateError';
  }
}
