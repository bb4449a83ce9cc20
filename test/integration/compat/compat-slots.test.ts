import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { ConsecutiveBreaker, CountBreaker, SamplingBreaker } from '../../../src/compat/cockatiel';
import { compatPool } from '../../../src/compat/cockatiel/slot';
import CircuitBreaker from '../../../src/compat/opossum/index';
import { monotonicPool, type ArenaPool, type SlotRef } from '../../../src/core/pool';

// The compat layers give their core slots back: opossum's shutdown() at once, cockatiel's breakers
// on dispose() or when they are garbage collected. Observed through the pools themselves: a probe
// allocation takes the most recently freed slot, and puts it straight back.

/** The slot the pool would hand out next, without keeping it. */
function nextSlot(pool: ArenaPool, buckets: number): SlotRef {
  const probe = pool.allocate(buckets);
  pool.release(probe);
  return probe;
}

function sameSlot(a: SlotRef, b: SlotRef): boolean {
  return a.arena === b.arena && a.slot === b.slot;
}

/** The test process's gc(): V8 lets --expose-gc be turned on at run time, for contexts made afterwards. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const boom = () => Promise.reject(new Error('boom'));
const Opossum = createRequire(__filename)('opossum') as typeof CircuitBreaker;

/** An action whose calls reject when the test says so. */
function held() {
  const pending: Array<(error: Error) => void> = [];
  return { action: () => new Promise((_, reject) => pending.push(reject)), pending };
}

/**
 * A CountBreaker that counts a failure and is then dropped. Made in a plain function: a local of
 * the async test could stay alive in its suspended frame.
 */
function useAndDrop(size: number): WeakRef<CountBreaker> {
  const breaker = new CountBreaker({ threshold: 0.5, size });
  breaker.failure(0 as never);
  return new WeakRef(breaker);
}

/**
 * An opossum-layer breaker made and dropped without shutdown() (see useAndDrop). Left closed: an
 * open one is held by its half-open timer until the timer runs, as it should be.
 */
function makeAndDrop(clock: ManualClock, rollingCountBuckets: number): WeakRef<CircuitBreaker> {
  const breaker = new CircuitBreaker(boom, { clock, timeout: false, rollingCountBuckets });
  expect(breaker.closed).toBe(true);
  return new WeakRef(breaker);
}

describe('breakwater/opossum: shutdown() gives the slot back', () => {
  it('hands the slot of a shut-down breaker to the next breaker, which starts fresh', async () => {
    const clock = new ManualClock(1_000);
    const mine = nextSlot(clock.pool, 10);
    const first = new CircuitBreaker(boom, { clock, timeout: false, errorThresholdPercentage: 0 });
    // The breaker took the probed slot: the pool now hands out another.
    expect(sameSlot(nextSlot(clock.pool, 10), mine)).toBe(false);
    await first.fire().catch(() => undefined);
    expect(first.opened).toBe(true);

    first.shutdown();
    expect(sameSlot(nextSlot(clock.pool, 10), mine)).toBe(true);
    const second = new CircuitBreaker((x: number) => Promise.resolve(x), { clock, timeout: false });
    expect(sameSlot(nextSlot(clock.pool, 10), mine)).toBe(false);
    expect(second.closed).toBe(true);
    await expect(second.fire(7)).resolves.toBe(7);
    expect(second.stats.successes).toBe(1);
  });

  it('keeps answering for a shut-down breaker without touching the slot it gave away', async () => {
    const clock = new ManualClock(1_000);
    const first = new CircuitBreaker(boom, { clock, timeout: false });
    first.shutdown();
    const second = new CircuitBreaker(boom, {
      clock,
      timeout: false,
      errorThresholdPercentage: 0,
      resetTimeout: 1_000,
    });
    const seen: string[] = [];
    first.on('open', () => seen.push('first open'));
    first.on('close', () => seen.push('first close'));

    // opossum leaves SHUTDOWN on open() or close(), and stays open (no reset timer is left).
    first.open();
    expect([first.opened, first.isShutdown, second.closed]).toEqual([true, false, true]);
    clock.advance(60_000);
    expect([first.opened, second.closed]).toEqual([true, true]);
    first.close();
    expect([first.closed, second.closed]).toEqual([true, true]);
    expect(seen).toEqual(['first open', 'first close']);

    // The second breaker's circuit is its own: it trips, half-opens and closes as usual.
    await second.fire().catch(() => undefined);
    expect([second.opened, first.closed]).toEqual([true, true]);
    clock.advance(1_000);
    expect(second.halfOpen).toBe(true);
    second.close();
    expect(second.closed).toBe(true);
  });

  it('decides a failure that settles after shutdown() on the frozen stats, as opossum does', async () => {
    const outcome = async (Breaker: typeof CircuitBreaker, threshold: number) => {
      const { action, pending } = held();
      const breaker = new Breaker(action, { timeout: false, errorThresholdPercentage: threshold, volumeThreshold: 3 });
      const calls = [breaker.fire(), breaker.fire()].map((call) => call.catch(() => 'failed'));
      for (const reject of pending.splice(0)) reject(new Error('boom'));
      await Promise.all(calls);
      const last = breaker.fire().catch(() => 'failed');
      breaker.shutdown();
      (pending.shift() as (error: Error) => void)(new Error('boom'));
      await last;
      return {
        opened: breaker.opened,
        closed: breaker.closed,
        isShutdown: breaker.isShutdown,
        stats: [breaker.stats.fires, breaker.stats.failures],
      };
    };
    // 2 failures of 3 fires counted before shutdown: 66% is above 50, not above 70.
    for (const threshold of [50, 70])
      expect(await outcome(CircuitBreaker, threshold)).toEqual(await outcome(Opossum, threshold));
    expect((await outcome(CircuitBreaker, 50)).opened).toBe(true);
    expect((await outcome(CircuitBreaker, 70)).opened).toBe(false);
  });

  it('gives a slot of the shared monotonic pool back, once, however often shutdown() runs', () => {
    const mine = nextSlot(monotonicPool, 10);
    const breaker = new CircuitBreaker(boom, { timeout: false });
    expect(sameSlot(nextSlot(monotonicPool, 10), mine)).toBe(false);
    breaker.shutdown();
    breaker.shutdown();
    const taken = monotonicPool.allocate(10);
    expect(sameSlot(taken, mine)).toBe(true);
    // Given back twice, the slot would now be handed out a second time.
    expect(sameSlot(nextSlot(monotonicPool, 10), mine)).toBe(false);
    monotonicPool.release(taken);
  });
});

describe('breakwater/opossum: a breaker dropped without shutdown()', () => {
  it('gives its slot back once it is garbage collected', async () => {
    const gc = exposeGc();
    const clock = new ManualClock(1_000);
    const buckets = 7; // a window no other test of this clock uses
    const mine = nextSlot(clock.pool, buckets);
    const collected = makeAndDrop(clock, buckets);
    expect(sameSlot(nextSlot(clock.pool, buckets), mine)).toBe(false);
    // Before, only shutdown() gave it back: a service that made breakers and dropped them grew
    // by a slot (4.8 KB with the default window) for every one.
    await vi.waitFor(
      async () => {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        expect(collected.deref() === undefined).toBe(true);
        expect(sameSlot(nextSlot(clock.pool, buckets), mine)).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    // Zeroed on its way back: the next breaker on it starts closed.
    const next = new CircuitBreaker(boom, { clock, timeout: false, rollingCountBuckets: buckets });
    expect(next.closed).toBe(true);
    next.shutdown();
  });
});

describe('breakwater/cockatiel: slots come back on dispose() and garbage collection', () => {
  it('dispose() gives the slot back at once, and a disposed breaker refuses every use', () => {
    const mine = nextSlot(compatPool, 1);
    const breaker = new ConsecutiveBreaker(3);
    expect(sameSlot(nextSlot(compatPool, 1), mine)).toBe(false);
    breaker.failure();
    breaker.dispose();
    breaker.dispose();
    expect(sameSlot(nextSlot(compatPool, 1), mine)).toBe(true);
    expect(() => breaker.failure()).toThrow(
      'breakwater/cockatiel: this ConsecutiveBreaker was disposed and can no longer count calls',
    );
    expect(() => breaker.success()).toThrow('was disposed');
    expect(() => breaker.state).toThrow('was disposed');
    // The next breaker on that slot starts from nothing.
    const next = new ConsecutiveBreaker(3);
    expect(next.state).toBe(0);
    next.dispose();
  });

  it('dispose() on CountBreaker and SamplingBreaker gives their slots back', () => {
    const countSlot = nextSlot(compatPool, 10);
    const count = new CountBreaker({ threshold: 0.5, size: 10 });
    count.dispose();
    expect(sameSlot(nextSlot(compatPool, 10), countSlot)).toBe(true);

    // cockatiel keeps max(5, duration / 1 s) windows: one bucket each.
    const samplingSlot = nextSlot(compatPool, 5);
    const sampling = new SamplingBreaker({ threshold: 0.5, duration: 5_000 });
    sampling.dispose();
    expect(sameSlot(nextSlot(compatPool, 5), samplingSlot)).toBe(true);
    expect(() => sampling.failure(0 as never)).toThrow('this SamplingBreaker was disposed');
  });

  it('a breaker dropped without dispose() gives its slot back once it is garbage collected', async () => {
    const gc = exposeGc();
    const buckets = 7; // a window size no other test uses, so only this test's breaker frees such slots
    const mine = nextSlot(compatPool, buckets);
    const collected = useAndDrop(buckets);
    expect(sameSlot(nextSlot(compatPool, buckets), mine)).toBe(false);

    await vi.waitFor(
      async () => {
        gc();
        // Finalization callbacks run in a later task than the collection.
        await new Promise((resolve) => setImmediate(resolve));
        // A boolean: a failed expectation holding the breaker itself would keep it alive.
        expect(collected.deref() === undefined).toBe(true);
        expect(sameSlot(nextSlot(compatPool, buckets), mine)).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    // Zeroed on its way back: the next breaker counts from nothing.
    const next = new CountBreaker({ threshold: 0.5, size: buckets });
    expect(next.state.failures).toBe(0);
    next.dispose();
  });
});
