import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index';
import { Arena } from '../../src/core/arena';
import { ClockMode, LANES } from '../../src/core/layout';
import { core } from '../../src/core/select';
import { assertCore, manualBreaker, succeed } from './helpers';

describe('success lanes', () => {
  it('a thread that finds every lane of an arena taken records each call through the core, exactly', async () => {
    assertCore();
    const { breaker } = manualBreaker();
    const arena = Arena.create({ capacity: 1, maxBuckets: 10, clockMode: ClockMode.manual });
    const id = core.attach(arena.buffer);
    for (let lane = 0; lane < LANES; lane++) expect(core.claimLane(id)).toBe(lane); // as 16 other threads would
    expect(core.claimLane(id)).toBe(-1);
    const late = CircuitBreaker.fromHandle({ ...breaker.handle, buffer: arena.buffer, slot: 0, epoch: 0 });
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
