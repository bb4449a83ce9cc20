import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { Registry } from '../../../src/registry/registry';
import { WorkerPool } from '../../../src/recovery/worker-pool';

describe('what the pool scenario taught the recovery wing', () => {
  it('a hardware class circuit that opened closes again once tasks succeed on the class after its open period', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const pool = new WorkerPool({
      registry,
      timers: clock,
      targets: [
        { id: 'g0', hardware: 'gpu' },
        { id: 'c0', hardware: 'cpu' },
      ],
    });
    for (let i = 0; i < 5; i++)
      pool.recovery.handleFailure({ task: `t${i}`, worker: 'g0', hardware: 'gpu', errorKind: 'hardware' });
    const gpu = registry.get('hardware', 'gpu')!;
    expect(gpu.getState()).toBe('open');
    clock.advance(120_000); // past the open period: the class admits work again
    for (let i = 0; i < 3; i++) expect(await pool.run({ id: `ok${i}`, hardware: ['gpu'], run: () => i })).toBe(i);
    expect(gpu.getState()).toBe('closed');
  });

  it('an out-of-memory failure is met with a smaller batch first, even when other workers of the class ran out of memory too', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const pool = new WorkerPool({
      registry,
      timers: clock,
      targets: [
        { id: 'c0', hardware: 'cpu' },
        { id: 'c1', hardware: 'cpu' },
        { id: 'g0', hardware: 'gpu' },
      ],
    });
    pool.recovery.handleFailure({ task: 'a', worker: 'c0', hardware: 'cpu', errorKind: 'out-of-memory' });
    pool.recovery.handleFailure({ task: 'b', worker: 'c1', hardware: 'cpu', errorKind: 'out-of-memory' });
    const steps: string[] = [];
    registry.onEvent((e) => {
      const detail = (e as { detail?: { task?: string; action?: string } }).detail;
      if (e.event_type === 'recovery' && detail?.task === 'c') steps.push(detail.action!);
    });
    const oom = Object.assign(new Error('failed to allocate'), { code: 'ENOMEM' });
    const task = {
      id: 'c',
      hint: { batchSize: 32 },
      run: (a: { hint: { batchSize?: number } }) => {
        if (a.hint.batchSize! > 8) throw oom;
        return a.hint.batchSize!;
      },
    };
    expect(await pool.recovery.applyRecovery(task, { task: 'c', worker: 'c0', hardware: 'cpu', error: oom })).toBe(8);
    expect(steps.slice(0, 2)).toEqual(['reduce', 'reduce']);
  });
});
