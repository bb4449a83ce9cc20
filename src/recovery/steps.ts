import type { FailureKind } from './failure';
import type { ResourceHint } from './hint';

/** The rungs of the recovery ladder, lowest first. */
export type RecoveryStep =
  'retry-immediate' | 'retry-delayed' | 'reduce' | 'switch-worker' | 'switch-hardware' | 'restart' | 'escalate';

/** Ladder order: a failure starts on its kind's rung and climbs when a rung is used up or can't apply. */
export const LADDER: readonly RecoveryStep[] = [
  'retry-immediate',
  'retry-delayed',
  'reduce',
  'switch-worker',
  'switch-hardware',
  'restart',
  'escalate',
];

const START: Record<FailureKind, RecoveryStep> = {
  transient: 'retry-immediate',
  connection: 'retry-immediate',
  timeout: 'retry-delayed',
  intermittent: 'retry-delayed',
  unknown: 'retry-delayed',
  'out-of-memory': 'reduce',
  worker: 'switch-worker',
  unreachable: 'switch-worker',
  'circuit-open': 'switch-worker',
  hardware: 'switch-hardware',
  crash: 'restart',
  fatal: 'escalate',
};

/** The rung a failure of this kind starts on. */
export function startingStep(kind: FailureKind): RecoveryStep {
  return START[kind];
}

/** A rung the ladder passed over, and why (kept in the action for the event history). */
export interface SkippedStep {
  readonly step: RecoveryStep;
  readonly why: string;
}

/** What handleFailure() decided. Every field but `step` is a fact the event history keeps. */
export interface RecoveryAction {
  readonly step: RecoveryStep;
  readonly task: string;
  /** The failure's classification. */
  readonly failureKind: FailureKind;
  /** Failures of this task in the current run, this one included. */
  readonly failures: number;
  /** Where the failure happened. */
  readonly from: { readonly worker?: string; readonly hardware?: string };
  /** Where the next attempt runs (the same place for retries, reduce and restart); absent for escalate. */
  readonly to?: { readonly worker?: string; readonly hardware?: string };
  /** retry-delayed: how long to wait first. */
  readonly delayMs?: number;
  /** reduce: the smaller hint the next attempt gets. */
  readonly hint?: ResourceHint;
  /** Why this rung: the kind, the frequency or the circuit that put the ladder there. */
  readonly reason: string;
  readonly skipped: readonly SkippedStep[];
  /** The failure's message. */
  readonly message: string;
}
