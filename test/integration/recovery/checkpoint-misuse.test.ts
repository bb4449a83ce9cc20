import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../../src/recovery/errors/CheckpointError';
import { RecoveryEscalatedError } from '../../../src/recovery/errors/RecoveryEscalatedError';
import { JsonlTaskStore } from '../../../src/recovery/jsonl-task-store';
import { actions, drive, poolRig, tempDir } from './helpers';

/** Two cpu workers with a store, so checkpoints must be JSON. */
function storedPool() {
  return poolRig(
    [
      { id: 'w0', hardware: 'cpu' },
      { id: 'w1', hardware: 'cpu' },
    ],
    { store: JsonlTaskStore.open(join(tempDir(), 'tasks.jsonl')) },
  );
}

describe('a checkpoint the store cannot keep', () => {
  it('escalates the task at once, naming it, without blaming its worker or class; the next task runs', async () => {
    const { pool, timers, registry, events } = storedPool();
    let runs = 0;
    const failure = await drive(
      timers,
      pool.run({
        id: 'big',
        async run(attempt) {
          runs++;
          await attempt.saveCheckpoint({ offset: 10n });
          return 'done';
        },
      }),
    ).catch((error: unknown) => error);
    expect(runs).toBe(1);
    expect(failure).toBeInstanceOf(RecoveryEscalatedError);
    const cause = (failure as RecoveryEscalatedError).cause;
    expect(cause).toBeInstanceOf(CheckpointError);
    expect((cause as CheckpointError).message).toMatch(/checkpoint of task "big" can't be stored as JSON/);
    expect(actions(events)).toEqual(['escalate', 'escalation']);
    expect(registry.get('worker', 'w0')!.getMetrics().failures).toBe(0);
    expect(registry.hardwareBreaker('cpu').getMetrics().failures).toBe(0);
    expect(await pool.run({ id: 'healthy', run: () => 'ok' })).toBe('ok');
  });

  it('escalates even when the task catches the error and throws another', async () => {
    const { pool, timers } = storedPool();
    let runs = 0;
    const failure = await drive(
      timers,
      pool.run({
        id: 'wrapped',
        async run(attempt) {
          runs++;
          try {
            await attempt.saveCheckpoint(() => 1);
          } catch {
            throw new Error('could not save progress');
          }
        },
      }),
    ).catch((error: unknown) => error);
    expect(runs).toBe(1);
    expect((failure as RecoveryEscalatedError).cause).toBeInstanceOf(CheckpointError);
  });
});
