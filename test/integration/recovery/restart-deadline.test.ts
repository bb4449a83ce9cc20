import { describe, expect, it } from 'vitest';
import { RecoveryEscalatedError } from '../../../src/recovery/errors/RecoveryEscalatedError';
import { drive, poolRig } from './helpers';

/** One worker whose every failure is a crash, so the ladder goes straight to the restart hook. */
function crashingPool(restart: () => Promise<void>, extra: Record<string, unknown> = {}) {
  return poolRig([{ id: 'w0', hardware: 'cpu' }], { classify: () => 'crash', restart, ...extra });
}

describe('the restart hook has a deadline', () => {
  it('a hook that never resolves fails the restart after restartTimeoutMs: the task escalates instead of hanging', async () => {
    const { pool, timers, clock } = crashingPool(() => new Promise<void>(() => undefined));
    const started = clock.now();
    const failure = await drive(
      timers,
      pool.run({
        id: 't',
        run: () => {
          throw new Error('model server died');
        },
      }),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RecoveryEscalatedError);
    expect((failure as Error).message).toContain(
      'the restart hook failed for worker "w0": it did not resolve within restartTimeoutMs (60000 ms)',
    );
    expect(clock.now() - started).toBe(60_000);
    expect(pool.recovery.running).toBe(0);
  });

  it('a hook that resolves in time leaves no timer behind, and the deadline is an option', async () => {
    let alive = false;
    const { pool, timers } = crashingPool(
      async () => {
        alive = true;
      },
      { restartTimeoutMs: 5_000 },
    );
    const result = pool.run({
      id: 't',
      run: () => {
        if (!alive) throw new Error('model server died');
        return 'ok';
      },
    });
    expect(await drive(timers, result)).toBe('ok');
    expect(timers.delays).toEqual([5_000]);
    expect(timers.nextDue()).toBeUndefined();
  });
});
