import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PoolClosedError } from '../../../src/recovery/errors/PoolClosedError';
import { TaskStoreError } from '../../../src/recovery/errors/TaskStoreError';
import { JsonlTaskStore } from '../../../src/recovery/jsonl-task-store';
import { WorkerPool } from '../../../src/recovery/worker-pool';
import { coded, poolRig, settle, tempDir } from './helpers';

/** A task whose run never answers, on a target without a breaker timeout: without close() it hangs for ever. */
const hung = (id: string) => ({ id, run: () => new Promise<never>(() => undefined) });

describe('WorkerPool.close()', () => {
  it('rejects every task still running with PoolClosedError naming the task, and closes the store', async () => {
    const store = JsonlTaskStore.open(join(tempDir(), 'tasks.jsonl'));
    const { pool } = poolRig([{ id: 'w0', hardware: 'cpu', capacity: 2 }], { store });
    const first = pool.run(hung('embed-1')).catch((error: unknown) => error);
    const second = pool.run(hung('embed-2')).catch((error: unknown) => error);
    await settle();
    await pool.close();
    const errors = [await first, await second];
    for (const [index, error] of errors.entries()) {
      expect(error).toBeInstanceOf(PoolClosedError);
      expect(error).toMatchObject({ code: 'EPOOLCLOSED', pool: 'inference', task: `embed-${index + 1}` });
      expect((error as PoolClosedError).interrupted).toBe(true);
    }
    expect((errors[0] as Error).message).toBe(
      'breakwater/recovery: pool "inference" was closed before task "embed-1" finished; with a task store it stays unfinished',
    );
    await expect(store.update('embed-1', { status: 'succeeded', at: 0 })).rejects.toThrow(TaskStoreError);
  });

  it('keeps a running task unfinished in the store: a new pool on the same file lists it', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const { pool, registry, timers } = poolRig([{ id: 'w0', hardware: 'cpu' }], { store: JsonlTaskStore.open(file) });
    const running = pool.run(hung('embed-1')).catch((error: unknown) => error);
    await settle();
    await pool.close();
    expect(await running).toBeInstanceOf(PoolClosedError);
    const next = new WorkerPool({
      registry,
      timers,
      name: 'inference-2',
      targets: [{ id: 'w1', hardware: 'cpu' }],
      store: JsonlTaskStore.open(file),
    });
    expect(next.unfinished().map((record) => [record.id, record.status])).toEqual([['embed-1', 'running']]);
  });

  it('refuses a task run after close at once, without running it', async () => {
    const { pool } = poolRig([{ id: 'w0', hardware: 'cpu' }]);
    const closing = pool.close();
    const run = vi.fn(() => 'done');
    const refused = await pool.run({ id: 'late', run }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PoolClosedError);
    expect(refused).toMatchObject({ code: 'EPOOLCLOSED', pool: 'inference', task: 'late', interrupted: false });
    expect((refused as Error).message).toBe(
      'breakwater/recovery: pool "inference" is closed: task "late" was refused without running',
    );
    expect(run).not.toHaveBeenCalled();
    await closing;
  });

  it('is idempotent: a second call returns the first call promise and closes the store once', async () => {
    let closes = 0;
    const store = JsonlTaskStore.open(join(tempDir(), 'tasks.jsonl'));
    const close = store.close.bind(store);
    store.close = () => {
      closes++;
      return close();
    };
    const { pool } = poolRig([{ id: 'w0', hardware: 'cpu' }], { store });
    const first = pool.close();
    expect(pool.close()).toBe(first);
    await first;
    expect(pool.close()).toBe(first);
    expect(closes).toBe(1);
  });

  it('a retry waiting on its delay at close runs nothing when the delay passes', async () => {
    const { pool, timers, clock } = poolRig([{ id: 'w0', hardware: 'cpu' }]);
    const run = vi.fn(() => {
      throw coded('ETIMEDOUT');
    });
    const result = pool.run({ id: 'flaky', run }).catch((error: unknown) => error);
    await settle();
    const retryAt = timers.nextDue();
    expect(retryAt).toBeDefined();
    await pool.close();
    expect(await result).toMatchObject({ code: 'EPOOLCLOSED', task: 'flaky' });
    clock.set(retryAt!);
    await settle();
    expect(run).toHaveBeenCalledTimes(1);
  });
});
