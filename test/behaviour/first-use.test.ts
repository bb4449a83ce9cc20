import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { assertCore, fail, succeed } from './helpers';

/** Slots the clock's arenas have handed out (the pool is internal; it is what memory costs). */
const slotsTaken = (clock: ManualClock): number => clock.pool.arenas.reduce((sum, arena) => sum + arena.allocated(), 0);

describe('a breaker takes its core slot on first use', () => {
  it('breakers that were never called hold no slot', () => {
    assertCore();
    const clock = new ManualClock(0);
    const idle = Array.from({ length: 1000 }, (_, i) => new CircuitBreaker({ clock, name: `idle-${i}` }));
    expect(slotsTaken(clock)).toBe(0);
    expect(idle[0].getState()).toBe('closed');
    idle[0].executeSync(() => 1);
    expect(slotsTaken(clock)).toBe(1);
  });

  it('the first call counts and decides exactly as on a breaker that held its slot from the start', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 2 });
    fail(breaker);
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    const fresh = new CircuitBreaker({ clock });
    succeed(fresh, 3);
    expect(fresh.getMetrics()).toMatchObject({ totalCalls: 3, successes: 3 });
  });

  it('every operation that needs the core takes the slot: recordFailure, forceOpen, metrics, handle', () => {
    const clock = new ManualClock(0);
    const recorded = new CircuitBreaker({ clock, failureThreshold: 1 });
    recorded.recordFailure(new Error('seen elsewhere'));
    expect(recorded.getState()).toBe('open');
    const forced = new CircuitBreaker({ clock });
    forced.forceOpen();
    expect(forced.attempt(() => 1).ok).toBe(false);
    const watched = new CircuitBreaker({ clock });
    expect(watched.getMetrics()).toMatchObject({ state: 'closed', totalCalls: 0 });
    expect(slotsTaken(clock)).toBe(3);
  });

  it('disposing a breaker that never took a slot gives nothing back and refuses later use', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, name: 'never-used' });
    breaker.dispose();
    expect(slotsTaken(clock)).toBe(0);
    expect(() => breaker.executeSync(() => 1)).toThrow(/"never-used" was disposed/);
    expect(slotsTaken(clock)).toBe(0);
  });

  it('breakers created alike share their resolved options, and each still reports its own name', () => {
    const a = new CircuitBreaker({ name: 'a', failureThreshold: 3, labels: { tier: 'edge' } });
    const b = new CircuitBreaker({ name: 'b', failureThreshold: 3, labels: { tier: 'edge' } });
    expect(a.options).toMatchObject({ name: 'a', failureThreshold: 3, labels: { tier: 'edge' } });
    expect(b.options.name).toBe('b');
    expect(b.labels).toBe(a.labels);
    const c = new CircuitBreaker({ name: 'c', failureThreshold: 4, labels: { tier: 'edge' } });
    expect(c.options.failureThreshold).toBe(4);
  });
});

describe('latencyHistogram: false', () => {
  it('counts, rates and slow calls as usual, with no percentiles, in a slot of 32-byte buckets', async () => {
    const clock = new ManualClock(0);
    const lean = new CircuitBreaker({
      clock,
      latencyHistogram: false,
      failureThreshold: 0,
      slowCallRateThreshold: 50,
      slowCallDuration: 100,
      minimumCalls: 4,
    });
    for (let i = 0; i < 4; i++) {
      const call = lean.execute(() => new Promise<void>((resolve) => clock.setTimeout(resolve, 150)));
      clock.advance(150);
      await call;
    }
    expect(lean.getState()).toBe('open'); // the slow-call rule still trips it
    expect(lean.getMetrics()).toMatchObject({
      successes: 4,
      slowCalls: 4,
      latency: { p50: null, p90: null, p99: null, samples: 0 },
    });
    const arena = lean.coreSlot!.arena;
    expect(arena.bins).toBe(0);
    expect(arena.slotBytes).toBe(512 + 10 * 32);
    const full = new CircuitBreaker({ clock });
    full.executeSync(() => 1);
    expect(full.coreSlot!.arena).not.toBe(arena); // another chain of arenas
    expect(full.coreSlot!.arena.slotBytes).toBe(512 + 10 * 240);
    expect(() => new CircuitBreaker({ latencyHistogram: 'no' as never })).toThrow(
      /option "latencyHistogram" must be true or false/,
    );
    expect(() => lean.reconfigure({ latencyHistogram: true } as never)).toThrow(/can't change on a live breaker/);
  });
});
