import { PoolClosedError } from './errors/PoolClosedError';
import type { TaskStore } from './task-store';

/**
 * Closing a pool: refuses new runs, rejects every run still pending or running with PoolClosedError
 * (so a hung attempt no longer hangs its caller), then closes the task store. The store is not
 * written on the way out: a task that was running stays unfinished in it (at-least-once delivery).
 */
export class PoolShutdown {
  private closing: Promise<void> | undefined;
  /** Rejects the caller of each run in progress. */
  private readonly interrupts = new Set<() => void>();

  constructor(
    private readonly pool: string,
    private readonly store: TaskStore | undefined,
  ) {}

  /** Throws PoolClosedError naming the task once the pool is closed. */
  refuseIfClosed(taskId: string): void {
    if (this.closing !== undefined) throw new PoolClosedError(this.pool, taskId, false);
  }

  /** The run's outcome, or PoolClosedError naming the task if the pool closes first. */
  settleOnClose<T>(taskId: string, run: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const interrupt = () => reject(new PoolClosedError(this.pool, taskId, true));
      this.interrupts.add(interrupt);
      run.then(resolve, reject).finally(() => this.interrupts.delete(interrupt));
    });
  }

  /** Idempotent: every call returns the first call's promise. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const interrupt of this.interrupts) interrupt();
    this.interrupts.clear();
    await this.store?.close();
  }
}
