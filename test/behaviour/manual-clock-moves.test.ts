import { describe, expect, it } from 'vitest';
import { fail, manualBreaker } from './helpers';

describe('a ManualClock moved from inside its own timers', () => {
  it('never moves backwards: an outer advance ends at the later of its target and where the inner one went', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 30 });
    const start = clock.now();
    const seen: string[] = [];
    clock.setTimeout(() => {
      clock.advance(50);
      fail(breaker); // trips at start + 60
      seen.push(`inner@${clock.now() - start}`);
    }, 10);
    clock.setTimeout(() => void seen.push(`due-in-inner@${clock.now() - start}`), 40);
    clock.advance(20);
    expect(seen).toEqual(['due-in-inner@40', 'inner@60']);
    expect(clock.now() - start).toBe(60);
    expect(breaker.getMetrics().retryAfterMs).toBe(30);
    clock.advance(40); // an outer target past the inner one's is still reached
    expect(clock.now() - start).toBe(100);

    clock.setTimeout(() => clock.advance(500), 10);
    await clock.runFor(20);
    expect(clock.now() - start).toBe(610);
  });
});
