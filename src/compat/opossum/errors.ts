import { CircuitOpenError } from '../../errors/CircuitOpenError';

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

const OPEN_MESSAGE = 'Breaker is open';
/**
 * What an open circuit's refusals share: an Error's prototype with opossum's message, and a stack
 * that is its first line (own properties of a real Error, which are not enumerable either).
 */
const STACKLESS_OPEN = Object.create(Error.prototype, {
  message: { value: OPEN_MESSAGE, writable: true, configurable: true },
  stack: { value: `Error: ${OPEN_MESSAGE}`, writable: true, configurable: true },
}) as Error;

/**
 * opossum's refusal of a call on an open circuit: an Error (instanceof Error, message 'Breaker is
 * open', code EOPENBREAKER), without a stack unless CircuitOpenError.captureStacks is on
 * (BREAKWATER_REFUSAL_STACKS=1): an open circuit refuses every call, and capturing a stack was
 * nearly all of what a refusal cost (as it is of opossum's own).
 */
export function openRefusal(): OpossumError {
  if (CircuitOpenError.captureStacks) return buildError(OPEN_MESSAGE, 'EOPENBREAKER');
  const refusal = Object.create(STACKLESS_OPEN) as OpossumError;
  refusal.code = 'EOPENBREAKER';
  refusal[OUR_ERROR] = true;
  return refusal;
}

/** Whether error was raised by a breaker (not by the action). Like opossum, it reads a property of error. */
export function isOurError(error: unknown): boolean {
  return !!(error as Record<symbol, unknown>)[OUR_ERROR];
}
