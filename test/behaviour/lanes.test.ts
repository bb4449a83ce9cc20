import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index';
import { Arena } from '../../src/core/arena';
import { ClockMode, LANES } from '../../src/core/layout';
import { core } from '../../src/core/select';
import { coreConfig, resolveProfile } from '../../src/options';
import { assertCore, manualBreaker, succeed } from './helpers';

describe('success lanes', () => {
  it('a thread that finds every lane of an arena taken records each call through the core, exactly', async () => {
    assertCore();
    const { breaker } = manualBreaker();
    const arena = Arena.create({ capacity: 1, maxBuckets: 10, clockMode: ClockMode.manual });
    const id = core.attach(arena.buffer);
    // As 16 other threads would; the first ones in different cache lines (8 lanes of 8 bytes share one).
    const claimed = Array.from({ length: LANES }, () => core.claimLane(id));
    expect(claimed.slice(0, 4)).toEqual([0, 8, 1, 9]);
    expect([...claimed].sort((a, b) => a - b)).toEqual(Array.from({ length: LANES }, (_, lane) => lane));
    expect(core.claimLane(id)).toBe(-1);
    // The arena's one slot holds a breaker, as its owner would have configured it.
    core.configure(id, 0, coreConfig(resolveProfile()));
    const late = CircuitBreaker.fromHandle({
      ...breaker.handle,
      buffer: arena.buffer as SharedArrayBuffer,
      slot: 0,
      epoch: 0,
    });
    succeed(late, 600);
    await late.execute(async () => 1);
    expect(late.coreSlot!.lane).toBe(-1);
    expect(late.getMetrics()).toMatchObject({ totalCalls: 601, successes: 601 });
    expect(late.getMetrics().window.successes).toBe(601); // nothing waits for a fold
  });

  it('the fast path counts in the lane: totals exact at once, the window after a fold', () => {
    const { breaker } = manualBreaker();
    succeed(breaker, 300); // one of them is the 256th call, timed, which folds
    const ref = breaker.coreSlot!;
    expect(ref.lane).toBeGreaterThanOrEqual(0);
    expect(ref.arena.lanes[ref.arena.laneIndex(ref.slot, ref.lane)]).toBe(300);
    expect(breaker.getMetrics()).toMatchObject({ totalCalls: 300, successes: 300, window: { successes: 300 } });
    breaker.reset();
    succeed(breaker, 5);
    expect(breaker.getMetrics()).toMatchObject({ totalCalls: 5, successes: 5, window: { successes: 5 } });
  });
});
