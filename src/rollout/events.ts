import type { RolloutAction } from './decide';
import type { RolloutStatus, RolloutTransition } from './persisted-state';
import type { RolloutStateError } from './errors/RolloutStateError';
import type { VersionMetrics } from './version-window';

/** A phase as the controller reports it; OFF is index -1, weight 0. */
export interface PhaseInfo {
  name: string;
  weight: number;
  index: number;
}

/** What evaluateAndDecide() returns (and the `decision` event carries). */
export interface RolloutDecision {
  action: RolloutAction;
  /** The phase after the decision was applied. */
  phase: PhaseInfo;
  /** The phase the evaluation judged. */
  previousPhase: PhaseInfo;
  status: RolloutStatus;
  reason: string;
  /** Both versions over the monitoring window, as judged. */
  metrics: { new: VersionMetrics; old: VersionMetrics };
  at: number;
}

/** The controller's events. Listeners that throw become process warnings. */
export interface RolloutEvents {
  /** Every evaluation, whatever it decided. */
  decision: RolloutDecision;
  /** Every history entry: phase changes, pause and resume. */
  transition: RolloutTransition;
  advance: RolloutTransition;
  /** The new version was taken off: alert the team here. */
  rollback: RolloutTransition & { metrics: { new: VersionMetrics; old: VersionMetrics } };
  /** The last phase was reached. */
  complete: RolloutTransition;
  /** The state file could not be written (the rollout goes on in memory). */
  stateError: RolloutStateError;
}
