import type { RecoveryAction } from '../steps';

/** What the ladder hands a human when all else failed. */
export interface Escalation {
  readonly pool: string;
  readonly task: string;
  /** The actions tried in this run, oldest first, the escalation last. */
  readonly steps: readonly RecoveryAction[];
  /** Why nothing is left to try. */
  readonly reason: string;
  /** The last failure's error. */
  readonly error: unknown;
}

/** A task whose recovery escalated: every rung was tried or could not apply. */
export class RecoveryEscalatedError extends Error {
  readonly code = 'ERECOVERYESCALATED';
  readonly task: string;
  readonly steps: readonly RecoveryAction[];

  constructor(readonly escalation: Escalation) {
    super(
      `breakwater/recovery: task "${escalation.task}" escalated after ${escalation.steps.length - 1} recovery step(s): ${escalation.reason}`,
      { cause: escalation.error },
    );
    this.name = 'RecoveryEscalatedError';
    this.task = escalation.task;
    this.steps = escalation.steps;
  }
}
