import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock } from '../../src/index';
import { fail, manualBreaker, succeed } from './helpers';

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
});
