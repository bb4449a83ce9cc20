/** A task store file that can't be read, parsed or written; `file` names it. */
export class TaskStoreError extends Error {
  readonly code = 'ETASKSTORE';

  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TaskStoreError';
  }
}
