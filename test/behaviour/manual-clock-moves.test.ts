import { describe, expect, it } from 'vitest';
import { fail, manualBreaker } from './helpers';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { MANUAL_CLOCK_MAX_MS } from '../../src/clock';

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

describe('a ManualClock timer that re-arms itself', () => {
  it('fires once a move when it re-arms due at once (without ms, or with 0): advance, runFor and runToNextTimer return', async () => {
    for (const ms of [undefined, 0]) {
      const clock = new ManualClock(100);
      let fired = 0;
      const poll = (): void => {
        fired++;
        clock.setTimeout(poll, ms);
      };
      clock.setTimeout(poll, ms);
      clock.advance(10);
      expect([fired, clock.now()]).toEqual([1, 110]);
      await clock.runFor(10);
      expect([fired, clock.now()]).toEqual([2, 120]);
      expect(clock.nextTimerAt()).toBe(110); // armed at 110 due at once, it waits for the next move
      expect(await clock.runToNextTimer()).toBe(120);
      expect(fired).toBe(3);
      expect(clock.pendingTimers()).toBe(1);
    }
  });

  it('still fires as often as it falls due when it re-arms later: a 1 ms poll fires 10 times in 10 ms', async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    const poll = (): void => {
      seen.push(clock.now());
      clock.setTimeout(poll, 1);
    };
    clock.setTimeout(poll, 1);
    clock.advance(10);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await clock.runFor(2);
    expect(seen.slice(10)).toEqual([11, 12]);
  });

  it('stops a move that fires a runaway number of timers with an error naming the problem', async () => {
    const clock = new ManualClock(0);
    let fired = 0;
    const poll = (): void => {
      fired++;
      clock.setTimeout(poll, 1e-5); // would fire 2,000,000 times in 20 ms
    };
    clock.setTimeout(poll, 1e-5);
    expect(() => clock.advance(20)).toThrow(
      /after firing 1000000 timers in one move: a timer that keeps re-arming itself/,
    );
    expect(fired).toBe(1_000_000);
    expect(clock.now()).toBeLessThan(20);
    await expect(clock.runFor(20)).rejects.toThrow(/stopped at .* short of .* after firing 1000000 timers/);
  });

  it('refuses a time past its latest, where the core would lose milliseconds, naming the move and the limit', async () => {
    const clock = new ManualClock(MANUAL_CLOCK_MAX_MS - 1_000);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 500 });
    expect(() =>
      breaker.executeSync(() => {
        throw new Error('down');
      }),
    ).toThrow('down');
    clock.advance(600); // still within: the open period ends as it should
    expect(breaker.getState()).toBe('half-open');
    expect(() => clock.advance(1e20)).toThrow(
      `breakwater: ManualClock.advance(100000000000000000000) would take the ManualClock to 100000009007199260000 ms, past its latest time ${MANUAL_CLOCK_MAX_MS} ms`,
    );
    expect(() => clock.set(MANUAL_CLOCK_MAX_MS + 1)).toThrow(/ManualClock\.set\(\d+\) would take the ManualClock to/);
    await expect(clock.runFor(1_000)).rejects.toThrow(/ManualClock\.runFor\(1000\) would take the ManualClock to/);
    expect(() => new ManualClock(2 ** 53)).toThrow(/new ManualClock\(startMs\) would take the ManualClock to/);
    // Before, accepted: runToNextTimer() then moved the clock to Infinity, and a failing call's
    // own error gave way to one about BigInt, unrecorded.
    const pending = clock.pendingTimers();
    expect(() => clock.setTimeout(() => undefined, Infinity)).toThrow(
      `breakwater: ManualClock.setTimeout(callback, Infinity) would take the ManualClock to Infinity ms, past its latest time ${MANUAL_CLOCK_MAX_MS} ms`,
    );
    expect(() => clock.setTimeout(() => undefined, 1e300)).toThrow(RangeError);
    expect(clock.pendingTimers()).toBe(pending); // neither was armed
    expect(clock.now()).toBe(MANUAL_CLOCK_MAX_MS - 400);
  });
});
