/** Entries kept per worker or class at most: enough for any sane limit, bounded under a failure storm. */
const MAX_ENTRIES = 1024;

interface Failure {
  readonly at: number;
  readonly task: string;
  readonly worker: string | undefined;
}

/**
 * Recent failures per worker and per hardware class, over a sliding window: how many distinct tasks
 * failed on a worker, and how many distinct workers of a class failed. Distinct, because one task
 * failing again and again is that task's story (its own budgets climb the ladder), while several
 * tasks failing on one worker is the worker's. Old entries are dropped on every read and write, so
 * memory follows the window, not the uptime.
 */
export class FailureLog {
  private readonly byWorker = new Map<string, Failure[]>();
  private readonly byHardware = new Map<string, Failure[]>();

  constructor(private readonly windowMs: number) {}

  record(task: string, worker: string | undefined, hardware: string | undefined, at: number): void {
    if (worker !== undefined) this.push(this.byWorker, worker, { at, task, worker }, at);
    if (hardware !== undefined) this.push(this.byHardware, hardware, { at, task, worker }, at);
  }

  /** Distinct tasks that failed on the worker in the window. */
  workerFailures(worker: string | undefined, now: number): number {
    if (worker === undefined) return 0;
    return new Set(this.live(this.byWorker, worker, now).map((failure) => failure.task)).size;
  }

  /**
   * Distinct workers of the class that failed in the window (failures without a worker count one
   * each), never more than the distinct tasks behind them: one task failing on worker after worker
   * as the ladder moves it is that task's story, not a sick class.
   */
  hardwareSpread(hardware: string | undefined, now: number): number {
    if (hardware === undefined) return 0;
    const failures = this.live(this.byHardware, hardware, now);
    const workers = new Set<string>();
    const tasks = new Set<string>();
    let anonymous = 0;
    for (const failure of failures) {
      tasks.add(failure.task);
      if (failure.worker === undefined) anonymous++;
      else workers.add(failure.worker);
    }
    return Math.min(workers.size + anonymous, tasks.size);
  }

  private push(map: Map<string, Failure[]>, key: string, failure: Failure, now: number): void {
    const list = this.live(map, key, now);
    list.push(failure);
    if (list.length > MAX_ENTRIES) list.shift();
    map.set(key, list);
  }

  private live(map: Map<string, Failure[]>, key: string, now: number): Failure[] {
    const list = map.get(key);
    if (list === undefined) return [];
    const horizon = now - this.windowMs;
    let stale = 0;
    while (stale < list.length && list[stale].at <= horizon) stale++;
    if (stale > 0) list.splice(0, stale);
    if (list.length === 0) map.delete(key);
    return list;
  }
}
