import { TASK_SCOPED_KINDS, type FailureKind } from './failure';
import type { ResourceHint } from './hint';
import type { Placement } from './ledger';
import { LADDER, startingStep, type RecoveryStep, type SkippedStep } from './steps';

/** Everything the ladder looks at to pick a rung; facts only, so the choice is a pure function. */
export interface LadderInput {
  readonly kind: FailureKind;
  /** Rungs used by this task in this run. */
  readonly used: Readonly<Record<RecoveryStep, number>>;
  readonly budgets: Readonly<Record<Exclude<RecoveryStep, 'escalate'>, number>>;
  readonly attempts: number;
  readonly maxAttempts: number;
  /** Distinct tasks that failed on the worker in the window. */
  readonly workerFailures: number;
  readonly workerFailureLimit: number;
  /** Distinct workers of the class that failed in the window. */
  readonly hardwareSpread: number;
  readonly hardwareSpreadLimit: number;
  /** Whether the failing worker's / class's circuit admits work now. */
  readonly workerAdmits: boolean;
  readonly hardwareAdmits: boolean;
  /** The next smaller hint, when the current one can shrink. */
  readonly reducedHint: ResourceHint | undefined;
  /** Best other worker that admits the task, and best worker on another class. */
  readonly otherWorker: Placement | undefined;
  readonly otherHardware: Placement | undefined;
  /** A restart hook exists and the failure has a worker to restart. */
  readonly canRestart: boolean;
}

export interface LadderChoice {
  readonly step: RecoveryStep;
  readonly reason: string;
  readonly skipped: SkippedStep[];
  readonly to?: Placement;
}

/**
 * Picks the rung: start on the failure kind's rung, raised by frequency and circuits (a worker
 * that failed often or whose circuit is open is left; a class failing on several workers or whose
 * circuit is open is left), then climb past every rung that is used up or can't apply.
 */
export function chooseStep(input: LadderInput): LadderChoice {
  const skipped: SkippedStep[] = [];
  if (input.attempts >= input.maxAttempts) {
    return {
      step: 'escalate',
      reason: `${input.attempts} attempts reached maxAttempts (${input.maxAttempts})`,
      skipped,
    };
  }
  let start = startingStep(input.kind);
  let reason = `a ${input.kind} failure starts at ${start}`;
  const raise = (floor: RecoveryStep, why: string) => {
    if (LADDER.indexOf(floor) > LADDER.indexOf(start)) {
      start = floor;
      reason = why;
    }
  };
  // Frequency says a worker or a class is sick, except for out-of-memory failures: those follow the
  // task's size wherever it runs, and a smaller batch is the answer.
  const frequencyCounts = input.kind !== 'out-of-memory';
  if (!input.workerAdmits) raise('switch-worker', "the worker's circuit is open");
  else if (frequencyCounts && input.workerFailures >= input.workerFailureLimit)
    raise(
      'switch-worker',
      `${input.workerFailures} tasks failed on the worker in the window (limit ${input.workerFailureLimit})`,
    );
  if (!input.hardwareAdmits) raise('switch-hardware', "the hardware class's circuit is open");
  else if (frequencyCounts && input.hardwareSpread >= input.hardwareSpreadLimit)
    raise(
      'switch-hardware',
      `${input.hardwareSpread} workers of the hardware class failed in the window (limit ${input.hardwareSpreadLimit})`,
    );

  for (let index = LADDER.indexOf(start); index < LADDER.length; index++) {
    const step = LADDER[index];
    if (step === 'escalate') break;
    const why = obstacle(step, input);
    if (why === undefined) {
      const to =
        step === 'switch-worker' ? input.otherWorker : step === 'switch-hardware' ? input.otherHardware : undefined;
      return {
        step,
        reason: skipped.length === 0 ? reason : `${reason}; climbed past ${skipped.map((s) => s.step).join(', ')}`,
        skipped,
        to,
      };
    }
    skipped.push({ step, why });
  }
  return {
    step: 'escalate',
    reason: skipped.length === 0 ? reason : `${reason}, and every rung from ${start} on was used up or could not apply`,
    skipped,
  };
}

/** Why a rung can't be used now, or undefined when it can. */
function obstacle(step: Exclude<RecoveryStep, 'escalate'>, input: LadderInput): string | undefined {
  if (input.used[step] >= input.budgets[step]) return `budget of ${input.budgets[step]} used`;
  switch (step) {
    case 'retry-immediate':
    case 'retry-delayed':
      if (!input.workerAdmits) return "the worker's circuit is open";
      if (!input.hardwareAdmits) return "the hardware class's circuit is open";
      return undefined;
    case 'reduce':
      if (input.kind !== 'out-of-memory') return 'not a resource-exhaustion failure';
      if (input.reducedHint === undefined) return 'the hint is at its floor (smallest batch, lowest precision)';
      if (!input.workerAdmits) return "the worker's circuit is open";
      if (!input.hardwareAdmits) return "the hardware class's circuit is open";
      return undefined;
    case 'switch-worker':
      return input.otherWorker === undefined ? 'no other worker admits the task' : undefined;
    case 'switch-hardware':
      return input.otherHardware === undefined
        ? 'no worker of another compatible hardware class admits the task'
        : undefined;
    case 'restart':
      if (!input.canRestart) return 'no restart hook, or no worker to restart';
      // A failure of the task's own kind restarts a worker only when other tasks failed there too:
      // restarting a healthy worker for one task's bad input would kill its other work for nothing.
      if (TASK_SCOPED_KINDS.has(input.kind) && input.workerFailures < input.workerFailureLimit)
        return `only ${input.workerFailures} task(s) failed on the worker in the window (limit ${input.workerFailureLimit}): the failure is the task's, not the worker's`;
      return undefined;
  }
}
