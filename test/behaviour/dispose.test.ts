import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { runTick } from '../../src/tick';
import { fail, manualBreaker, succeed } from './helpers';

/** The garbage collector, exposed for this process (as --expose-gc would). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('dispose', () => {
  it('gives the slot back: the next breaker with the same window reuses it, fresh', () => {
    const clock = new ManualClock(1000);
    const first = new CircuitBreaker({ clock, failureThreshold: 1, slidingWindowBuckets: 7 });
    succeed(first, 3);
    fail(first);
    const slot = first.handle.slot;
    first.dispose();
    const second = new CircuitBreaker({ clock, slidingWindowBuckets: 7 });
    expect(second.handle.slot).toBe(slot);
    expect(second.getState()).toBe('closed');
    expect(second.getMetrics()).toMatchObject({ totalCalls: 0, failures: 0, opens: 0, stateChanges: [] });
    succeed(second, 2);
    expect(second.getMetrics().successes).toBe(2);
  });

  it('a disposed breaker refuses every use with a TypeError that names it', async () => {
    const { breaker } = manualBreaker({ name: 'gone' });
    breaker.dispose();
    breaker.dispose(); // twice is harmless
    expect(() => breaker.executeSync(() => 1)).toThrow(/breaker "gone" was disposed/);
    expect(() => breaker.attempt(() => 1)).toThrow(TypeError);
    await expect(breaker.execute(async () => 1)).rejects.toThrow(TypeError);
    expect(() => breaker.getMetrics()).toThrow(TypeError);
    expect(() => breaker.getState()).toThrow(TypeError);
    expect(() => breaker.forceOpen()).toThrow(TypeError);
    expect(() => breaker.handle).toThrow(TypeError);
    expect(() => breaker.inFlightCalls).toThrow(/breaker "gone" was disposed/);
  });

  it('a call in flight when its breaker is disposed settles without touching the reused slot', async () => {
    const clock = new ManualClock(0);
    const first = new CircuitBreaker({ clock, failureThreshold: 1, slidingWindowBuckets: 5 });
    let finish!: (error: Error) => void;
    const inFlight = first.execute(() => new Promise((_, reject) => (finish = reject)));
    first.dispose();
    const second = new CircuitBreaker({ clock, failureThreshold: 1, slidingWindowBuckets: 5 });
    finish(new Error('late'));
    await expect(inFlight).rejects.toThrow('late');
    expect(second.getState()).toBe('closed');
    expect(second.getMetrics().failures).toBe(0);
  });

  it('disposing a view attached from a handle leaves the owner working', () => {
    const { breaker } = manualBreaker();
    const view = CircuitBreaker.fromHandle(breaker.handle);
    view.dispose();
    succeed(breaker, 2);
    expect(breaker.getMetrics().successes).toBe(2);
  });

  it('a fast async call settling after its breaker was disposed counts nothing for the next owner of the slot', async () => {
    const clock = new ManualClock(0);
    const first = new CircuitBreaker({ clock, slidingWindowBuckets: 6 });
    await first.execute(async () => 1); // the slow path once; the fast async path opens
    let finish!: () => void;
    const late = first.execute(() => new Promise<void>((resolve) => (finish = resolve)));
    first.dispose();
    const next = new CircuitBreaker({ clock, slidingWindowBuckets: 6 });
    next.executeSync(() => 1);
    expect(next.coreSlot!.slot).toBe(first.coreSlot!.slot);
    finish();
    await late;
    expect(next.getMetrics()).toMatchObject({ totalCalls: 1, successes: 1 });
  });

  it('refuses a handle taken before the dispose, naming the breaker', () => {
    const { breaker } = manualBreaker({ name: 'old' });
    succeed(breaker);
    const handle = breaker.handle;
    breaker.dispose();
    expect(() => CircuitBreaker.fromHandle(handle)).toThrow(
      /breaker "old" was disposed by its owner \(its slot was given back: handle epoch 0, slot epoch 1\)/,
    );
  });

  it('refuses a handle forged to name a slot no breaker holds: one never taken, or one given back', () => {
    const { breaker } = manualBreaker({ name: 'owner', slidingWindowBuckets: 7 });
    succeed(breaker);
    const handle = breaker.handle;
    const arena = breaker.coreSlot!.arena;
    const untaken = arena.allocated(); // the slot the arena hands out next
    expect(untaken).toBeLessThan(arena.capacity);
    expect(() => CircuitBreaker.fromHandle({ ...handle, slot: untaken })).toThrow(
      `breakwater: handle slot ${untaken} holds no breaker (never taken, or given back)`,
    );
    breaker.dispose();
    // The given-back slot's own epoch: only its emptiness tells it from a live breaker's.
    expect(() => CircuitBreaker.fromHandle({ ...handle, epoch: handle.epoch + 1 })).toThrow(
      `breakwater: handle slot ${handle.slot} holds no breaker (never taken, or given back)`,
    );
  });

  it('a view attached before the dispose fails its calls and never touches the next owner of the slot', async () => {
    const clock = new ManualClock(0);
    const first = new CircuitBreaker({ clock, name: 'first', failureThreshold: 2, slidingWindowBuckets: 9 });
    const view = CircuitBreaker.fromHandle(first.handle);
    succeed(view, 10); // the view's fast path is open
    first.dispose();
    const next = new CircuitBreaker({ clock, failureThreshold: 2, slidingWindowBuckets: 9 });
    succeed(next);
    expect(next.coreSlot!.slot).toBe(first.coreSlot!.slot);
    expect(() => view.executeSync(() => 1)).toThrow(/breaker "first" was disposed by its owner/);
    expect(() => view.attempt(() => 1)).toThrow(TypeError);
    expect(() =>
      view.executeSync(() => {
        throw new Error('x');
      }),
    ).toThrow(TypeError);
    await expect(view.execute(async () => 1)).rejects.toThrow(TypeError);
    expect(() => view.getState()).toThrow(TypeError);
    expect(() => view.getMetrics()).toThrow(TypeError);
    expect(() => view.forceOpen()).toThrow(TypeError);
    expect(next.getState()).toBe('closed');
    expect(next.getMetrics()).toMatchObject({ totalCalls: 1, successes: 1, failures: 0, rejections: 0 });
  });

  it('refuses a handle whose buffer is a plain ArrayBuffer, naming the field', () => {
    const { breaker } = manualBreaker();
    const handle = breaker.handle;
    const shared = handle.buffer!;
    const copy = new ArrayBuffer(shared.byteLength);
    new Uint8Array(copy).set(new Uint8Array(shared));
    const forged = { ...handle, buffer: copy as unknown as SharedArrayBuffer };
    expect(() => CircuitBreaker.fromHandle(forged)).toThrow(TypeError);
    expect(() => CircuitBreaker.fromHandle(forged)).toThrow(
      /handle\.buffer must be a SharedArrayBuffer holding a breakwater arena, got ArrayBuffer/,
    );
  });

  it('takes the breaker off the tick at once', () => {
    for (let i = 0; i < 3; i++) runTick(); // earlier breakers go idle and leave the tick
    vi.useFakeTimers();
    try {
      const breaker = new CircuitBreaker();
      succeed(breaker);
      expect(vi.getTimerCount()).toBe(1); // the shared tick
      breaker.dispose();
      expect(vi.getTimerCount()).toBe(0); // nothing left on it: it stopped, without waiting for its next run
    } finally {
      vi.useRealTimers();
    }
    const { breaker, clock } = manualBreaker(); // a manual clock's breaker ticks on the clock: the same
    succeed(breaker);
    expect(clock.pendingTimers()).toBe(1);
    breaker.dispose();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('gives the slot of a breaker nobody can reach back to its pool', async () => {
    const gc = collector();
    const clock = new ManualClock(0);
    const used = (count: number) => {
      for (let i = 0; i < count; i++) new CircuitBreaker({ clock, slidingWindowBuckets: 3 }).executeSync(() => i);
    };
    const capacity = () => clock.pool.arenas.reduce((slots, arena) => slots + arena.capacity, 0);
    used(100);
    clock.advance(300); // idle breakers leave their clock's tick, which held them
    const before = capacity();
    for (let round = 0; round < 5; round++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve)); // finalizers run after the collection
    }
    used(100);
    expect(capacity()).toBe(before); // the second hundred took the slots the first gave back
  });

  it('keeps the slot of an unreachable breaker whose handle was taken: views in other threads may still use it', async () => {
    const gc = collector();
    const clock = new ManualClock(0);
    const handles = [];
    for (let i = 0; i < 16; i++) {
      const breaker = new CircuitBreaker({ clock, slidingWindowBuckets: 4 });
      breaker.executeSync(() => i);
      handles.push(breaker.handle);
    }
    clock.advance(300);
    for (let round = 0; round < 5; round++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(handles.map((handle) => CircuitBreaker.fromHandle(handle).getMetrics().totalCalls)).toEqual(
      Array(16).fill(1),
    );
  });
});
