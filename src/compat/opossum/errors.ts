/** Marks the errors the breaker itself raises (CircuitBreaker.isOurError reads it). */
export const OUR_ERROR = Symbol('breakwater.opossum.our-error');

/** opossum's error codes: open circuit, timeout, shut down, no semaphore slot. */
export type OpossumErrorCode = 'EOPENBREAKER' | 'ETIMEDOUT' | 'ESHUTDOWN' | 'ESEMLOCKED';

/** An Error with opossum's message and `code`, tagged as the breaker's own. */
export interface OpossumError extends Error {
  code: OpossumErrorCode;
  [OUR_ERROR]: true;
}

/** Builds one of the breaker's own errors: a plain Error with a code, as opossum does. */
export function buildError(message: string, code: OpossumErrorCode): OpossumError {
  const error = new Error(message) as OpossumError;
  error.code = code;
  error[OUR_ERROR] = true;
  return error;
}

/** Whether error was raised by a breaker (not by the action). Like opossum, it reads a property of error. */
export function isOurError(error: unknown): boolean {
  return !!(error as Record<symbol, unknown>)[OUR_ERROR];
}
