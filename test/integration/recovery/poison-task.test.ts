import { describe, expect, it } from 'vitest';
import { RecoveryEscalatedError } from '../../../src/recovery/errors/RecoveryEscalatedError';
import { drive, poolRig } from './helpers';

/** Two gpu and two cpu workers, with a restart hook that records whom it restarted. */
function twoClassPool() {
  const restarted: string[] = [];
  const r = poolRig(
    [
      { id: 'g0', hardware: 'gpu' },
      { id: 'g1', hardware: 'gpu' },
      { id: 'c0', hardware: 'cpu' },
      { id: 'c1', hardware: 'cpu' },
    ],
    { restart: ({ worker }: { worker: string }) => void restarted.push(worker) },
  );
  return { ...r, restarted };
}

describe('a task that always fails (bad input) is its own story', () => {
  it('escalates on its own budgets: no class circuit opens, no healthy worker restarts, healthy tasks still run', async () => {
    const { pool, timers, registry, restarted } = twoClassPool();
    for (const id of ['bad-input-1', 'bad-input-2']) {
      const poison = pool.run({
        id,
        run: () => {
          throw new Error('cannot parse row 17');
        },
      });
      await expect(drive(timers, poison)).rejects.toBeInstanceOf(RecoveryEscalatedError);
    }
    expect(restarted).toEqual([]);
    expect(registry.hardwareBreaker('gpu').getState()).toBe('closed');
    expect(registry.hardwareBreaker('cpu').getState()).toBe('closed');
    const healthy = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.run({ id: `healthy-${n}`, run: () => n })));
    expect(healthy).toEqual([1, 2, 3, 4, 5]);
  });

  it("one task failing on worker after worker of a class does not count as the class's spread; a second task does", () => {
    const { pool } = twoClassPool();
    const manager = pool.recovery;
    manager.handleFailure({ task: 'a', worker: 'g0', hardware: 'gpu', errorKind: 'transient' });
    expect(
      manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'transient' }).reason,
    ).not.toMatch(/workers of the hardware class failed/);
    const other = manager.handleFailure({ task: 'b', worker: 'g1', hardware: 'gpu', errorKind: 'transient' });
    expect(other.step).toBe('switch-hardware');
    expect(other.reason).toBe('2 workers of the hardware class failed in the window (limit 2)');
  });

  it("the class circuit counts a task's failures once per run, and still trips when distinct tasks fail", () => {
    const { pool, registry } = twoClassPool();
    const gpu = registry.hardwareBreaker('gpu');
    for (let i = 0; i < 8; i++)
      pool.recovery.handleFailure({ task: 'a', worker: 'g0', hardware: 'gpu', errorKind: 'intermittent' });
    expect(gpu.getState()).toBe('closed');
    for (const task of ['b', 'c', 'd', 'e'])
      pool.recovery.handleFailure({ task, worker: 'g0', hardware: 'gpu', errorKind: 'intermittent' });
    expect(gpu.getState()).toBe('open');
  });

  it('a restart still follows failures of several tasks on the worker', async () => {
    const { pool, timers, restarted } = twoClassPool();
    for (const task of ['x', 'y'])
      pool.recovery.handleFailure({ task, worker: 'g0', hardware: 'gpu', errorKind: 'transient' });
    pool.remove('g1');
    pool.remove('c0');
    pool.remove('c1');
    const run = pool.recovery.applyRecovery(
      { id: 'z', run: () => 'ok' },
      { task: 'z', worker: 'g0', hardware: 'gpu', error: new Error('stuck') },
    );
    expect(await drive(timers, run)).toBe('ok');
    expect(restarted).toEqual(['g0']);
  });
});
