/** An event-history file that can't be read: missing, or not a history. */
export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
