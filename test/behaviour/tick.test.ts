import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/index';
import { SNAPSHOT_SIZE, Snap } from '../../src/core/layout';
import { core } from '../../src/core/select';
import { runTick } from '../../src/tick';
import { fail, manualBreaker, succeed } from './helpers';

/** A second view of the same slot: its metrics show only what was folded into the core. */
const shared = (breaker: CircuitBreaker) => CircuitBreaker.fromHandle(breaker.handle);

/** The slot as the core reads it, without folding anything first (getMetrics() folds this thread's lane). */
function unfolded(breaker: CircuitBreaker): { successes: number; windowSuccesses: number } {
  const out = new Float64Array(SNAPSHOT_SIZE);
  core.snapshot(breaker.coreSlot!.arenaId, breaker.coreSlot!.slot, out);
  return { successes: out[Snap.totalSuccesses], windowSuccesses: out[Snap.windowSuccesses] };
}

/** How a breaker ticks: on the event loop's interval (real timers, faked here) or on its manual clock's time. */
const TICKS = [
  {
    name: 'the shared tick of real time',
    make: (options: CircuitBreakerOptions = {}) => {
      vi.useFakeTimers();
      const breaker = new CircuitBreaker(options);
      return { breaker, advance: (ms: number) => vi.advanceTimersByTime(ms), timers: () => vi.getTimerCount() };
    },
  },
  {
    name: "a manual clock's tick",
    make: (options: CircuitBreakerOptions = {}) => {
      const { breaker, clock } = manualBreaker(options);
      return { breaker, advance: (ms: number) => clock.advance(ms), timers: () => clock.pendingTimers() };
    },
  },
];

describe.each(TICKS)('$name', ({ make }) => {
  beforeEach(() => {
    for (let i = 0; i < 3; i++) runTick(); // earlier breakers go idle: the next one starts a fresh interval
  });

  afterEach(() => {
    if (vi.isFakeTimers()) vi.advanceTimersByTime(1000); // every breaker goes idle: the tick stops before real timers return
    vi.useRealTimers();
  });

  it('counts fast-path successes in shared memory at once, and folds them into the window within a tick', () => {
    const { breaker, advance } = make();
    succeed(breaker, 10);
    expect(unfolded(breaker)).toEqual({ successes: 10, windowSuccesses: 0 }); // in the thread's lane, not in the window yet
    advance(100);
    expect(unfolded(breaker)).toEqual({ successes: 10, windowSuccesses: 10 });
  });

  it('an idle breaker leaves the tick and its next call still counts at once', () => {
    const { breaker, advance, timers } = make();
    succeed(breaker, 3);
    advance(300); // fold, then two idle ticks
    expect(timers()).toBe(0); // the tick stopped: no breaker left on it
    const view = shared(breaker);
    succeed(breaker); // slow path: recorded directly, and the breaker rejoins the tick
    expect(view.getMetrics().successes).toBe(4);
    succeed(breaker, 5);
    advance(100);
    expect(view.getMetrics().successes).toBe(9);
  });

  it('folds rejections decided in JS', () => {
    const { breaker, advance } = make({ failureThreshold: 1 });
    fail(breaker);
    for (let i = 0; i < 5; i++) breaker.attempt(() => 1);
    const view = shared(breaker);
    advance(100);
    expect(view.getMetrics().rejections).toBe(5);
  });
});

describe('the tick', () => {
  it("ticks a manual clock's breakers on its time only: a run on virtual time samples and folds the same on every machine", () => {
    for (let i = 0; i < 3; i++) runTick();
    const { breaker, clock } = manualBreaker();
    succeed(breaker, 10);
    runTick(); // the event loop's tick leaves this breaker alone
    expect(unfolded(breaker)).toEqual({ successes: 10, windowSuccesses: 0 });
    expect(clock.nextTimerAt()).toBe(clock.now() + 100);
    clock.advance(99);
    expect(unfolded(breaker).windowSuccesses).toBe(0);
    clock.advance(1);
    expect(unfolded(breaker).windowSuccesses).toBe(10);
  });

  it('an async success that lands after its generation ended is counted and moves nothing', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 10 });
    let finish!: (value: string) => void;
    const late = breaker.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    fail(breaker); // opens: the in-flight call's generation is over
    clock.advance(10);
    fail(breaker); // the probe fails: open again
    finish('late');
    await expect(late).resolves.toBe('late');
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics()).toMatchObject({ successes: 1, failures: 2 });
  });
});
