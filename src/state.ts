import { Reason, State } from './core/layout';
import { show } from './error-message';

/** A breaker's state, as users see it. */
export type StateName = 'closed' | 'open' | 'half-open' | 'forced-open' | 'disabled';

/** Why a transition happened. */
export type ReasonName =
  | 'consecutive-failures'
  | 'failure-rate'
  | 'slow-call-rate'
  | 'recovery-timeout'
  | 'probe-success'
  | 'probe-failure'
  | 'half-open-timeout'
  | 'force-open'
  | 'disable'
  | 'manual-close'
  | 'reset'
  | 'restore'
  | 'predicted'
  | 'cluster';

export const STATE_NAMES: readonly StateName[] = ['closed', 'open', 'half-open', 'forced-open', 'disabled'];

const REASON_NAMES: Record<number, ReasonName> = {
  [Reason.CONSECUTIVE_FAILURES]: 'consecutive-failures',
  [Reason.FAILURE_RATE]: 'failure-rate',
  [Reason.SLOW_CALL_RATE]: 'slow-call-rate',
  [Reason.RECOVERY_TIMEOUT]: 'recovery-timeout',
  [Reason.PROBE_SUCCESS]: 'probe-success',
  [Reason.PROBE_FAILURE]: 'probe-failure',
  [Reason.HALF_OPEN_TIMEOUT]: 'half-open-timeout',
  [Reason.FORCE_OPEN]: 'force-open',
  [Reason.DISABLE]: 'disable',
  [Reason.MANUAL_CLOSE]: 'manual-close',
  [Reason.RESET]: 'reset',
  [Reason.RESTORE]: 'restore',
  [Reason.PREDICTED]: 'predicted',
  [Reason.CLUSTER]: 'cluster',
};

export function stateName(code: number): StateName {
  const name = STATE_NAMES[code];
  if (name === undefined) throw new RangeError(`breakwater: unknown state code ${code}`);
  return name;
}

/**
 * The state a call would meet now: an OPEN circuit whose open period is over (`remainingMs` 0)
 * admits the next call as a probe, so it reads 'half-open'.
 */
export function effectiveStateName(code: number, remainingMs: number): StateName {
  return code === State.OPEN && remainingMs === 0 ? 'half-open' : stateName(code);
}

export function stateCode(name: unknown): number {
  const code = STATE_NAMES.indexOf(name as StateName);
  if (code < 0) throw new TypeError(`breakwater: state must be one of ${STATE_NAMES.join(', ')}, got ${show(name)}`);
  return code;
}

export function reasonName(code: number): ReasonName {
  const name = REASON_NAMES[code];
  if (name === undefined) throw new RangeError(`breakwater: unknown transition reason code ${code}`);
  return name;
}

/** One transition, as events and metrics report it. */
export interface StateChange {
  from: StateName;
  to: StateName;
  reason: ReasonName;
  /** The state's generation after the transition (each transition adds one). */
  generation: number;
  /** When it happened: ms since the epoch, or the manual clock's ms. */
  at: number;
  /**
   * Present when another thread or process sharing the breaker made the transition (a worker's
   * call, another process's on a host arena): this one announces it on its next call or tick.
   */
  madeElsewhere?: true;
}

/**
 * The cluster moving an open circuit's deadline (holding it open for the cluster, handing this node
 * the probe): a transition in the core, whose history entry dates the new deadline, but no change
 * of state to anyone reading it: no event, no entry in stateChanges, no open counted.
 */
export function isDeadlineMove(from: number, to: number, reason: number): boolean {
  return from === to && reason === Reason.CLUSTER;
}
