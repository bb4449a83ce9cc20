import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/index';
import { fail, manualBreaker } from './helpers';

function openBreaker() {
  const { breaker, clock } = manualBreaker({ name: 'inventory', failureThreshold: 1, recoveryTimeout: 10_000 });
  fail(breaker);
  expect(breaker.getState()).toBe('open');
  return { breaker, clock };
}

function refusalOf(run: () => unknown): CircuitOpenError {
  try {
    run();
  } catch (error) {
    return error as CircuitOpenError;
  }
  throw new Error('the call was not refused');
}

describe('a refusal on an open circuit', () => {
  afterEach(() => {
    CircuitOpenError.captureStacks = false;
  });

  it('is a CircuitOpenError and an Error, with its code, breaker, state, retryAfterMs and message', () => {
    const { breaker, clock } = openBreaker();
    clock.advance(4_000);
    const error = refusalOf(() => breaker.executeSync(() => 1));
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'CircuitOpenError',
      code: 'ECIRCUITOPEN',
      breaker: 'inventory',
      state: 'open',
      retryAfterMs: 6_000,
    });
    expect(error.message).toBe('breakwater: circuit "inventory" is open; retry after 6000 ms');
    expect(String(error)).toBe('CircuitOpenError: breakwater: circuit "inventory" is open; retry after 6000 ms');
  });

  it('carries no stack frames by default, and full stacks when asked (CircuitOpenError.captureStacks)', () => {
    const { breaker } = openBreaker();
    const plain = refusalOf(() => breaker.executeSync(() => 1));
    expect(plain.stack).toBe(`CircuitOpenError: ${plain.message}`);
    CircuitOpenError.captureStacks = true;
    const traced = refusalOf(() => breaker.executeSync(() => 1));
    expect(traced.stack).toMatch(/^CircuitOpenError: breakwater: circuit "inventory" is open[^\n]*\n\s+at /);
    expect(traced).toBeInstanceOf(CircuitOpenError);
  });

  it('through execute(): rejects with the same refusal, and never passes through unhandled-rejection tracking', async () => {
    const { breaker, clock } = openBreaker();
    clock.advance(1_000);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let caught: unknown;
      try {
        await breaker.execute(async () => 1);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'ECIRCUITOPEN', state: 'open', retryAfterMs: 9_000 });
      await expect(breaker.execute(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('goes to the fallback instead when there is one, and to reject listeners either way', async () => {
    const { breaker } = manualBreaker({
      name: 'inventory',
      failureThreshold: 1,
      recoveryTimeout: 10_000,
      fallback: (error) => `fallback for ${(error as CircuitOpenError).state}`,
    });
    const announced: CircuitOpenError[] = [];
    breaker.on('reject', ({ error }) => announced.push(error));
    breaker.executeSync(() => {
      throw new Error('down'); // recorded, then handed to the fallback too
    });
    expect(breaker.getState()).toBe('open');
    expect(breaker.executeSync(() => 'fresh')).toBe('fallback for open');
    expect(await breaker.execute(async () => 'fresh')).toBe('fallback for open');
    expect(announced).toHaveLength(2);
    expect(announced[0]).toBeInstanceOf(CircuitOpenError);
  });
});
