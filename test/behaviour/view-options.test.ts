import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type LocalOptions } from '../../src/index';
import { boom, manualBreaker, succeed } from './helpers';

/** An owner on a manual clock whose slot is taken, as a worker's view attaches to it. */
function owner(): { breaker: CircuitBreaker } {
  const { breaker } = manualBreaker({ name: 'owner', failureThreshold: 100, timeout: 50 });
  succeed(breaker);
  return { breaker };
}

describe('the options of a view attached with fromHandle()', () => {
  it('refuses an option that is not local, naming it and the local ones: the owner governs', () => {
    const { breaker } = owner();
    for (const key of ['failureThreshold', 'name', 'slidingWindowSize', 'clock'])
      expect(() => CircuitBreaker.fromHandle(breaker.handle, { [key]: 2 } as LocalOptions)).toThrow(
        new RegExp(
          `fromHandle\\(handle, local\\) takes only the options local to this thread \\(isFailure, fallback, timeout\\), got "${key}"`,
        ),
      );
    expect(breaker.options.failureThreshold).toBe(100);
  });

  it('refuses null and other non-objects as the options are refused everywhere', () => {
    const { breaker } = owner();
    expect(() => CircuitBreaker.fromHandle(breaker.handle, null as never)).toThrow(
      new TypeError('breakwater: fromHandle(handle, local) options must be an object, got null'),
    );
    expect(() => CircuitBreaker.fromHandle(breaker.handle, 'fast' as never)).toThrow(/must be an object, got "fast"/);
  });

  it("takes isFailure, fallback and timeout as the view's own, the owner's rules as they are", async () => {
    const { breaker } = owner();
    const view = CircuitBreaker.fromHandle(breaker.handle, { isFailure: () => false, fallback: () => 'fallback' });
    expect(view.options).toMatchObject({ name: 'owner', failureThreshold: 100, timeout: 50 });
    expect(() => view.executeSync(boom)).toThrow('boom'); // isFailure: not a failure, so no fallback
    expect(view.getMetrics().ignored).toBe(1);
    // A view on a manual clock has no timers of its own: the owner's 50 ms timeout needs one, the
    // view's own timeout of 0 none.
    await expect(view.execute(async () => 'done')).rejects.toThrow(/timers are not available/);
    const untimed = CircuitBreaker.fromHandle(breaker.handle, { timeout: 0 });
    expect(untimed.options.timeout).toBe(0);
    await expect(untimed.execute(async () => 'done')).resolves.toBe('done');
  });
});
