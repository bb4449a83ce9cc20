import type { Disposer } from '../events';
import { messageOf } from '../error-message';
import { RepeatedFailure } from '../repeated-failure';
import { integerOption } from './list';
import { show } from '../error-message';

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
  /** Its failures since its last run that worked: one warning for many of the same. */
  readonly failures: RepeatedFailure;
}

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
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError(`breakwater: schedule(name) needs a non-empty string name, got ${show(name)}`);
    if (typeof run !== 'function') throw new TypeError(`breakwater: schedule("${name}") needs a function`);
    if (stop !== undefined && typeof stop !== 'function')
      throw new TypeError(`breakwater: schedule("${name}"): stop must be a function when given`);
    integerOption(`${name}: everyMs`, everyMs, 0, 1, 2 ** 31 - 1);
    const task: ControlTask = {
      name,
      everyMs,
      run,
      stop,
      lastRunAt: nowMs,
      running: undefined,
      failures: new RepeatedFailure(),
    };
    this.tasks.add(task);
    return () => void this.tasks.delete(task);
  }

  /**
   * Starts every task due at `nowMs` that is not still running. Resolves when every run in progress
   * has finished, those it started and those an earlier tick started (a scoring round a manual
   * clock's advance() fired and did not wait for): after it, what was due by `nowMs` is done. A
   * failing run becomes a process warning, never a rejection.
   */
  runDue(nowMs: number): Promise<void> | undefined {
    let inProgress: Promise<void>[] | undefined;
    for (const task of this.tasks) {
      const due = nowMs - task.lastRunAt >= task.everyMs;
      const run = task.running ?? (due ? this.start(task, nowMs) : undefined);
      if (run !== undefined) (inProgress ??= []).push(run);
    }
    return inProgress && Promise.all(inProgress).then(() => undefined);
  }

  /** Forgets every task, after running the stop of each that has one (a failing stop becomes a process warning). */
  async stopAll(): Promise<void> {
    const tasks = [...this.tasks];
    this.tasks.clear();
    for (const task of tasks) {
      try {
        await task.stop?.();
      } catch (error) {
        warn(task, `failed: ${messageOf(error)}`);
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
  const warning = task.failures.failed(error, nowMs);
  if (warning !== undefined) warn(task, `failed: ${warning}`);
}

function worked(task: ControlTask): void {
  const failures = task.failures.worked();
  if (failures > 0) warn(task, `works again, after ${failures} failed run${failures === 1 ? '' : 's'}`);
}

function warn(task: ControlTask, what: string): void {
  process.emitWarning(`breakwater: registry task "${task.name}" ${what}`, { code: 'BREAKWATER_TASK_ERROR' });
}
