import { describe, expect, it } from 'vitest';
import { drive, poolRig } from './helpers';

describe('a target removed while a task waits to retry on it', () => {
  it('the delayed retry goes to another target, not to the removed one', async () => {
    const { pool, timers } = poolRig([
      { id: 'w0', hardware: 'cpu' },
      { id: 'w1', hardware: 'cpu' },
    ]);
    const ranOn: (string | undefined)[] = [];
    const result = pool.run({
      id: 't',
      run: (attempt) => {
        ranOn.push(attempt.worker);
        if (ranOn.length === 1) {
          // The first attempt fails and the ladder schedules a delayed retry on w0; w0 leaves.
          pool.remove('w0');
          throw new Error('flaky');
        }
        return 'ok';
      },
    });
    expect(await drive(timers, result)).toBe('ok');
    expect(ranOn).toEqual(['w0', 'w1']);
    expect(pool.recovery.stats.actions).toMatchObject({ 'retry-delayed': 1, 'switch-worker': 1 });
  });
});
