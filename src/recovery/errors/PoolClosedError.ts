/**
 * The pool was closed. A task run after close() is refused at once (`interrupted` false: nothing
 * ran); a task pending or running when the pool closed rejects with it (`interrupted` true: it may
 * have run in part or in full, and with a store it stays unfinished, for a new pool to run again).
 */
export class PoolClosedError extends Error {
  readonly code = 'EPOOLCLOSED';

  constructor(
    readonly pool: string,
    readonly task: string,
    readonly interrupted: boolean,
  ) {
    super(
      interrupted
        ? `breakwater/recovery: pool "${pool}" was closed before task "${task}" finished; with a task store it stays unfinished`
        : `breakwater/recovery: pool "${pool}" is closed: task "${task}" was refused without running`,
    );
    this.name = 'PoolClosedError';
  }
}
