import type { Disposer } from '../events';
import { integerOption } from './list';

/** Work of another wing (tuner, predictor) the registry's tick runs every `everyMs`. */
interface ControlTask {
  readonly name: string;
  readonly everyMs: number;
  readonly run: (nowMs: number) => void | Promise<void>;
  /** Run at the registry's shutdown: what the task holds open (a connection) is closed. */
  readonly stop: (() => void | Promise<void>) | undefined;
  lastRunAt: number;
  /** The run in progress, if it is asynchronous: never two runs of a task at once. */
  running: Promise<void> | undefined;
  /** Its failures since its last run that worked, while it keeps failing. */
  failing: Failing | undefined;
}

/** A task that keeps failing: what it last warned of, when, and the failures since. */
interface Failing {
  message: string;
  warnedAt: number;
  /** Failures since the last warning. */
  unwarned: number;
  /** Failures since its last run that worked. */
  total: number;
}

/**
 * A task that fails every round (a model whose session closed, a store that cannot write) warns
 * of its first failure and of each new message at once, and of the same failure again at most
 * this often (registry clock), with a count: one warning a round was 3,600 lines an hour.
 */
export const REPEAT_WARNING_MS = 10 * 60_000;

/** The registry's scheduled control tasks, run on its tick when due on its clock. */
export class ControlTasks {
  private readonly tasks = new Set<ControlTask>();

  get size(): number {
    return this.tasks.size;
  }

  add(
    name: string,
    everyMs: number,
    run: (nowMs: number) => void | Promise<void>,
    nowMs: number,
    stop?: () => void | Promise<void>,
  ): Disposer {
    if (typeof run !== 'function') throw new TypeError(`breakwater: schedule("${name}") needs a function`);
    if (stop !== undefined && typeof stop !== 'function')
      throw new TypeError(`breakwater: schedule("${name}"): stop must be a function when given`);
    integerOption(`${name}: everyMs`, everyMs, 0, 1, 2 ** 31 - 1);
    const task: ControlTask = { name, everyMs, run, stop, lastRunAt: nowMs, running: undefined, failing: undefined };
    this.tasks.add(task);
    return () => void this.tasks.delete(task);
  }

  /**
   * Starts every task due at `nowMs` that is not still running. Resolves when the runs it started
   * have finished (a failing run becomes a process warning, never a rejection).
   */
  runDue(nowMs: number): Promise<void> | undefined {
    let started: Promise<void>[] | undefined;
    for (const task of this.tasks) {
      if (task.running !== undefined || nowMs - task.lastRunAt < task.everyMs) continue;
      const run = this.start(task, nowMs);
      if (run !== undefined) (started ??= []).push(run);
    }
    return started && Promise.all(started).then(() => undefined);
  }

  /** Forgets every task, after running the stop of each that has one (a failing stop becomes a process warning). */
  async stopAll(): Promise<void> {
    const tasks = [...this.tasks];
    this.tasks.clear();
    for (const task of tasks) {
      try {
        await task.stop?.();
      } catch (error) {
        warn(task, `failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private start(task: ControlTask, nowMs: number): Promise<void> | undefined {
    // Keeps the task's own cadence: the tick comes every 100 ms, so a task of 250 ms runs at 300,
    // 500, 800, 1000 ms (4 a second, as asked), not every 300. A run more than a period late (a
    // long run, a stalled process) starts the cadence afresh: no burst of runs to catch up.
    const due = task.lastRunAt + task.everyMs;
    task.lastRunAt = nowMs - due < task.everyMs ? due : nowMs;
    try {
      const result = task.run(nowMs);
      if (!(result instanceof Promise)) return void worked(task);
      const running = result
        .then(
          () => worked(task),
          (error: unknown) => failed(task, error, nowMs),
        )
        .finally(() => (task.running = undefined));
      task.running = running;
      return running;
    } catch (error) {
      failed(task, error, nowMs);
      return undefined;
    }
  }
}

function failed(task: ControlTask, error: unknown, nowMs: number): void {
  const message = error instanceof Error ? error.message : String(error);
  const failing = task.failing;
  if (failing !== undefined && failing.message === message && nowMs - failing.warnedAt < REPEAT_WARNING_MS) {
    failing.unwarned++;
    failing.total++;
    return;
  }
  const again =
    failing !== undefined && failing.message === message
      ? ` (${failing.unwarned + 1} times in the last ${Math.round((nowMs - failing.warnedAt) / 60_000)} min)`
      : '';
  warn(task, `failed: ${message}${again}`);
  task.failing = { message, warnedAt: nowMs, unwarned: 0, total: (failing?.total ?? 0) + 1 };
}

function worked(task: ControlTask): void {
  const failing = task.failing;
  if (failing === undefined) return;
  task.failing = undefined;
  warn(task, `works again, after ${failing.total} failed run${failing.total === 1 ? '' : 's'}`);
}

function warn(task: ControlTask, what: string): void {
  process.emitWarning(`breakwater: registry task "${task.name}" ${what}`, { code: 'BREAKWATER_TASK_ERROR' });
}
