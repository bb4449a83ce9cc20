import { RequestLog } from '../client';
import { BUCKET_MS, playUntil, successTimeline } from '../play';
import type { RunOptions, RunSize } from '../run-options';
import { SimulationClock } from '../simulation-clock';
import { SeededRandom } from '../../random';
import { Registry } from '../../registry/registry';
import type { StateName } from '../../state';
import { PoolUnavailableError } from '../../recovery/errors/PoolUnavailableError';
import { RecoveryEscalatedError } from '../../recovery/errors/RecoveryEscalatedError';
import type { RecoveryOptions } from '../../recovery/options';
import { WorkerPool } from '../../recovery/worker-pool';
import { simulatedTask, type SimTask, type WorkAccount } from './task';
import { SimWorker, type PoolFault, type SimWorkerSpec } from './worker';
import { LADDER, type RecoveryStep } from '../../recovery/steps';

/** A pool of simulated workers, a stream of long tasks, and what goes wrong. */
export interface PoolScenario {
  readonly name: string;
  /** One line for reports. */
  readonly title: string;
  readonly durationMs: number;
  readonly workers: readonly SimWorkerSpec[];
  readonly faults: readonly PoolFault[];
  readonly tasks: {
    /** Tasks submitted per second (Poisson arrivals) until `untilMs`. */
    readonly ratePerSecond: number;
    readonly untilMs: number;
    readonly items: number;
    readonly batchSize: number;
    readonly checkpointEvery: number;
    /** Share of tasks with large items (the ones memory pressure hits). */
    readonly largeShare: number;
  };
  /** The hardware class whose circuit the report charts. */
  readonly watchedHardware: string;
}

/** How a pool handles a failed task: the recovery options the strategy sets. */
export interface PoolStrategy {
  readonly name: string;
  readonly description: string;
  readonly options: Readonly<Pick<RecoveryOptions, 'maxAttempts' | 'budgets'>>;
}

/** The pool with its circuits but no ladder: a task's first failure ends it. */
export const withoutRecovery: PoolStrategy = {
  name: 'no-recovery',
  description: 'WorkerPool with its circuits, no recovery: a failed task is given up (maxAttempts 1)',
  options: { maxAttempts: 1 },
};

/** The pool with the recovery ladder at its defaults. */
export const withRecovery: PoolStrategy = {
  name: 'recovery',
  description: 'WorkerPool with the recovery ladder (defaults): retries, smaller batches, failover with the checkpoint',
  options: {},
};

/** The strategies every pool scenario runs under, baseline first. */
export const POOL_STRATEGIES: readonly PoolStrategy[] = [withoutRecovery, withRecovery];

/** The measures of one pool scenario under one strategy. */
export interface PoolRunResult {
  scenario: string;
  strategy: string;
  seed: number;
  size: RunSize;
  durationMs: number;
  metrics: {
    /** Tasks submitted, and how each ended within the run. */
    tasks: number;
    completed: number;
    escalated: number;
    /** Refused at the start: no target admitted them. */
    unavailable: number;
    /** Still running when the run ended. */
    unfinished: number;
    completionRate: number;
    /** When the last task completed, if every task did; null otherwise. */
    timeToCompletionMs: number | null;
    /** Mean time from submission to completion of the completed tasks; null when none completed. */
    meanTaskMs: number | null;
    /** Items computed after the last checkpoint of a failed attempt (lost with it), and their share of all items submitted. */
    workLostItems: number;
    workLostShare: number;
    /** Items saved in checkpoints of tasks that never completed. */
    abandonedItems: number;
    /** Failures the ladder handled, and its actions by rung. */
    failures: number;
    actions: Record<RecoveryStep, number>;
  };
  /**
   * The faults as incidents, from their start to their end (a dead worker: to the end of the run),
   * with the tasks one of whose attempts a fault of its type failed, and how many of those still completed.
   */
  incidents: Array<{
    fault: PoolFault['type'];
    label: string;
    start: number;
    end: number;
    tasksHit: number;
    completedAfterHit: number;
  }>;
  /** Task completion rate per chart bucket (tasks that ended in it; null when none did). */
  timeline: { bucketMs: number; successRate: Array<number | null> };
  /** The watched hardware class's circuit: its state changes on virtual time. */
  states: Array<{ at: number; state: StateName }>;
}

/** The worker faults the classifier must name: only the user knows a device error means "leave the hardware class". */
const classify = (error: unknown) =>
  (error as { code?: unknown } | null)?.code === 'EHWFAULT' ? ('hardware' as const) : undefined;

/**
 * Plays a pool scenario under a strategy on virtual time: the real WorkerPool and its recovery
 * ladder, with a registry on the run's clock and seeded jitter, running checkpointed tasks on
 * simulated workers. Everything random comes from `seed`, so a run replays exactly.
 */
export async function runPool(
  scenario: PoolScenario,
  strategy: PoolStrategy,
  options: RunOptions,
): Promise<PoolRunResult> {
  const clock = new SimulationClock(0);
  const random = new SeededRandom(options.seed);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const jitter = random.fork('jitter');
  const pool = new WorkerPool({
    registry,
    name: scenario.name,
    timers: clock,
    random: () => jitter.next(),
    classify,
    ...strategy.options,
    targets: scenario.workers.map((w) => ({ id: w.id, hardware: w.hardware, capacity: w.capacity })),
  });
  const workers = new Map(
    scenario.workers.map((w) => [w.id, new SimWorker(w, scenario.faults, clock, random.fork(`worker:${w.id}`))]),
  );
  const watched = registry.hardwareBreaker(scenario.watchedHardware);
  const states: PoolRunResult['states'] = [{ at: 0, state: watched.getState() }];
  watched.on('stateChange', (change) => states.push({ at: Math.round(clock.now()), state: change.to }));

  const spec = scenario.tasks;
  const account: WorkAccount = { computed: 0, lost: 0 };
  const log = new RequestLog(BUCKET_MS);
  const hits = new Map<PoolFault['type'], { tasksHit: number; completedAfterHit: number }>(
    scenario.faults.map((f) => [f.type, { tasksHit: 0, completedAfterHit: 0 }]),
  );
  const countHits = (task: SimTask, completed: boolean) => {
    for (const fault of task.hitBy) {
      const count = hits.get(fault)!;
      count.tasksHit++;
      if (completed) count.completedAfterHit++;
    }
  };
  const outcomes = {
    tasks: 0,
    completed: 0,
    escalated: 0,
    unavailable: 0,
    abandoned: 0,
    totalMs: 0,
    lastCompletion: 0,
  };
  // A task that fails other than by escalation or unavailability is a bug of the simulation (or of
  // the pool): it ends the run with that error rather than passing as a failed task.
  let unexpected: unknown;
  const arrivals = random.fork('tasks');
  const sizes = random.fork('task-sizes');
  const submit = (): void => {
    const gap = arrivals.exponential(1000 / spec.ratePerSecond);
    if (clock.now() + gap >= spec.untilMs) return;
    clock.setTimeout(() => {
      submit();
      const submitted = clock.now();
      const task = simulatedTask(
        {
          id: `task-${outcomes.tasks++}`,
          items: spec.items,
          batchSize: spec.batchSize,
          checkpointEvery: spec.checkpointEvery,
          large: sizes.chance(spec.largeShare),
        },
        workers,
        account,
      );
      pool.run(task).then(
        () => {
          outcomes.completed++;
          outcomes.totalMs += clock.now() - submitted;
          outcomes.lastCompletion = clock.now();
          countHits(task, true);
          log.record(clock.now(), true);
        },
        (error: unknown) => {
          if (error instanceof PoolUnavailableError) outcomes.unavailable++;
          else if (error instanceof RecoveryEscalatedError) outcomes.escalated++;
          else unexpected ??= error;
          outcomes.abandoned += task.checkpointed();
          countHits(task, false);
          log.record(clock.now(), false);
        },
      );
    }, gap);
  };
  submit();
  await playUntil(clock, scenario.durationMs, options.onProgress);
  await registry.shutdown();
  if (unexpected !== undefined)
    throw new Error(
      `breakwater/chaos: pool scenario "${scenario.name}" (${strategy.name}): a task failed with an unexpected error`,
      { cause: unexpected },
    );

  const { tasks, completed, escalated, unavailable } = outcomes;
  const stats = pool.recovery.stats;
  return {
    scenario: scenario.name,
    strategy: strategy.name,
    seed: options.seed,
    size: options.size,
    durationMs: scenario.durationMs,
    metrics: {
      tasks,
      completed,
      escalated,
      unavailable,
      unfinished: tasks - completed - escalated - unavailable,
      completionRate: tasks === 0 ? 1 : completed / tasks,
      timeToCompletionMs: completed === tasks ? Math.round(outcomes.lastCompletion) : null,
      meanTaskMs: completed === 0 ? null : Math.round(outcomes.totalMs / completed),
      workLostItems: account.lost,
      workLostShare: tasks === 0 ? 0 : account.lost / (tasks * spec.items),
      abandonedItems: outcomes.abandoned,
      failures: stats.failures,
      actions: Object.fromEntries(LADDER.map((step) => [step, stats.actions[step]])) as Record<RecoveryStep, number>,
    },
    incidents: scenario.faults.map((f) => ({
      fault: f.type,
      label: describeFault(f),
      ...(f.type === 'worker-dies' ? { start: f.at, end: scenario.durationMs } : { start: f.from, end: f.to }),
      ...hits.get(f.type)!,
    })),
    timeline: successTimeline(
      { bucketMs: BUCKET_MS, requests: log.requests, successes: log.successes },
      scenario.durationMs,
    ),
    states,
  };
}

/** A fault in a few words, for reports. */
function describeFault(fault: PoolFault): string {
  if (fault.type === 'worker-dies') return `${fault.worker} dies`;
  if (fault.type === 'hardware-degrades')
    return `${fault.hardware} fails ${Math.round(fault.failureRate * 100)}% of batches`;
  return `memory pressure: large batches <= ${fault.maxLargeBatch} items`;
}
