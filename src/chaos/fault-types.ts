import { show } from '../error-message';

/**
 * The faults a FaultInjector can inject:
 * - `throw`: the call throws synchronously, before any work;
 * - `reject`: the call's promise rejects (an async failure);
 * - `hang`: the call does not settle until its AbortSignal aborts (or the intensity's hang ends);
 * - `latency`: the call runs, late by the intensity's latency;
 * - `connection-refused` / `connection-reset`: errors coded ECONNREFUSED / ECONNRESET, like a
 *   socket that nobody listens on, or that the peer dropped mid-request;
 * - `resource-exhaustion`: an error coded EAGAIN, EMFILE or ENOMEM (by intensity);
 * - `crash`: an InjectedCrash, the fatal error class a dying process would raise.
 */
export type FaultType =
  'throw' | 'reject' | 'hang' | 'latency' | 'connection-refused' | 'connection-reset' | 'resource-exhaustion' | 'crash';

export const FAULT_TYPES: readonly FaultType[] = [
  'throw',
  'reject',
  'hang',
  'latency',
  'connection-refused',
  'connection-reset',
  'resource-exhaustion',
  'crash',
];

/** Faults that need time to pass (a timer), so a synchronous call cannot suffer them. */
export const TIMED_FAULTS: ReadonlySet<FaultType> = new Set(['hang', 'latency']);

/** Throws a TypeError naming `what` unless value is a fault type. */
export function checkFaultType(value: unknown, what: string): FaultType {
  if (!FAULT_TYPES.includes(value as FaultType)) {
    throw new TypeError(`breakwater/chaos: ${what} must be one of ${FAULT_TYPES.join(', ')}, got ${show(value)}`);
  }
  return value as FaultType;
}
