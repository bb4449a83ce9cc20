import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/index';
import { fail, manualBreaker } from './helpers';

/** Lets pending promise reactions run (the manual clock fires timers synchronously). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('executeWithRetries', () => {
  it('retries failures with exponential delays and returns the first success', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 10 });
    const attemptsAt: number[] = [];
    const result = breaker.executeWithRetries(
      async () => {
        attemptsAt.push(clock.now());
        if (attemptsAt.length < 4) throw new Error('transient');
        return 'done';
      },
      { maxRetries: 5, retryDelay: 100, backoff: 'exponential' },
    );
    for (let i = 0; i < 10; i++) {
      await settle();
      clock.advance(100);
    }
    await expect(result).resolves.toBe('done');
    const start = attemptsAt[0];
    expect(attemptsAt.map((t) => t - start)).toEqual([0, 100, 300, 700]);
  });

  it('gives up after maxRetries with the last error, applying the fallback once', async () => {
    let fallbacks = 0;
    const { breaker, clock } = manualBreaker({ failureThreshold: 0, fallback: () => `fallback ${++fallbacks}` });
    let attempts = 0;
    const result = breaker.executeWithRetries(
      async () => {
        attempts++;
        throw new Error('down');
      },
      { maxRetries: 2, retryDelay: 10, backoff: 'fixed' },
    );
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(10);
    }
    await expect(result).resolves.toBe('fallback 1');
    expect(attempts).toBe(3);
  });

  it('refuses a guarded call that is not a function at once: a mistake is not retried', async () => {
    const { breaker } = manualBreaker({ fallback: () => 'fallback' });
    const outcome = breaker.executeWithRetries('not a function' as never).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    // The manual clock never moves here: a retry's sleep would leave the call pending.
    const first = await Promise.race([outcome, settle().then(() => 'still pending')]);
    expect(first).toBe('breakwater: the guarded call must be a function, got "not a function"');
    expect(breaker.getMetrics().totalCalls).toBe(0);
  });

  it('never retries into an open circuit: fails fast by default', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 2, recoveryTimeout: 1000 });
    let attempts = 0;
    const result = breaker.executeWithRetries(
      async () => {
        attempts++;
        throw new Error('down');
      },
      { maxRetries: 5, retryDelay: 10 },
    );
    const refused = expect(result).rejects.toBeInstanceOf(CircuitOpenError);
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(10);
    }
    await refused;
    expect(attempts).toBe(2); // the third attempt found the circuit open and did not run
  });

  it('with whenOpen: wait, waits for the half-open probe', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 1000 });
    fail(breaker);
    let ranAt = -1;
    const result = breaker.executeWithRetries(
      async () => {
        ranAt = clock.now();
        return 'recovered';
      },
      { maxRetries: 1, whenOpen: 'wait' },
    );
    const openedAt = clock.now();
    await settle();
    clock.advance(1000);
    await settle();
    await expect(result).resolves.toBe('recovered');
    expect(ranAt - openedAt).toBe(1000);
    expect(breaker.getState()).toBe('closed');
  });

  it('does not retry errors isFailure ignores, nor those shouldRetry refuses', async () => {
    const { breaker } = manualBreaker({ isFailure: (e) => (e as Error).message !== 'ignored' });
    let attempts = 0;
    await expect(
      breaker.executeWithRetries(
        async () => {
          attempts++;
          throw new Error('ignored');
        },
        { maxRetries: 3 },
      ),
    ).rejects.toThrow('ignored');
    await expect(
      breaker.executeWithRetries(
        async () => {
          attempts++;
          throw new Error('fatal');
        },
        { maxRetries: 3, shouldRetry: () => false },
      ),
    ).rejects.toThrow('fatal');
    expect(attempts).toBe(2);
  });

  it('validates its options', async () => {
    const { breaker } = manualBreaker();
    await expect(breaker.executeWithRetries(async () => 1, { maxRetries: -1 })).rejects.toThrow(
      /"maxRetries" must be a number from 0 to 1000, got -1/,
    );
    await expect(breaker.executeWithRetries(async () => 1, { backoff: 'linear' as never })).rejects.toThrow(
      /"backoff"/,
    );
  });
});
