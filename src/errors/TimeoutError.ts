/** The call outlived the breaker's `timeout`; its AbortSignal was aborted with this error. */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`breakwater: call through "${breaker}" timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}
