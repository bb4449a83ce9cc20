import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index';
import { fail, succeed } from './helpers';

describe('options', () => {
  it('every option is optional', () => {
    const breaker = new CircuitBreaker();
    expect(breaker.options).toMatchObject({
      failureThreshold: 5,
      recoveryTimeout: 60_000,
      halfOpenSuccessThreshold: 1,
      slidingWindowType: 'time',
    });
    expect(breaker.name).toMatch(/^breaker-\d+$/);
  });

  it.each([
    [{ failureThreshold: -1 }, RangeError, /"failureThreshold" must be an integer from 0 to 4294967295, got -1/],
    [{ failureThreshold: 1.5 }, RangeError, /"failureThreshold" must be an integer/],
    [{ failureRateThreshold: 101 }, RangeError, /"failureRateThreshold" must be a number from 0 to 100, got 101/],
    [{ recoveryTimeout: '10s' }, TypeError, /"recoveryTimeout" must be a number from 0 to 1073741823, got "10s"/],
    [{ slidingWindowType: 'sliding' }, TypeError, /"slidingWindowType" must be "time" or "count"/],
    [{ slidingWindowBuckets: 65 }, RangeError, /"slidingWindowBuckets" must be an integer from 1 to 64/],
    [
      { slidingWindowType: 'count', slidingWindowSize: 5, slidingWindowBuckets: 10 },
      RangeError,
      /at most slidingWindowSize/,
    ],
    [
      // Before, accepted: 5,000 failing calls in a row never opened the circuit (an outside harness).
      { slidingWindowType: 'count', slidingWindowSize: 100, minimumCalls: 500, failureRateThreshold: 50 },
      RangeError,
      /"minimumCalls" must be at most slidingWindowSize \(100\) for a count window, which never holds more calls \(no rate rule could trip\), got 500/,
    ],
    [
      { halfOpenMaxCalls: 1, halfOpenSuccessThreshold: 2 },
      RangeError,
      /"halfOpenSuccessThreshold" must be at most halfOpenMaxCalls \(1\)/,
    ],
    [{ slowCallRateThreshold: 50 }, RangeError, /"slowCallDuration" must be a duration > 0 ms/],
    [{ backoffFactor: 0.5 }, RangeError, /"backoffFactor" must be a number from 1 to 1000/],
    [{ jitter: 2 }, RangeError, /"jitter" must be a number from 0 to 1/],
    [{ maxRecoveryTimeout: 10, recoveryTimeout: 100 }, RangeError, /"maxRecoveryTimeout" must be a number from 100/],
    [{ timeout: NaN }, TypeError, /"timeout" must be a number/],
    [{ isFailure: 'yes' }, TypeError, /"isFailure" must be a function, got "yes"/],
    [{ labels: { hardware: 3 } }, TypeError, /"labels.hardware" must be a string, got 3/],
    [{ name: '' }, TypeError, /"name" must be a non-empty string/],
    [{ failureTreshold: 3 }, TypeError, /unknown option "failureTreshold"/],
  ])('rejects %o', (options, type, message) => {
    expect(() => new CircuitBreaker(options as never)).toThrow(type);
    expect(() => new CircuitBreaker(options as never)).toThrow(message);
  });

  it("takes a count window's size as its minimum calls when the size is under the default 10, so its rate rule can trip", () => {
    const breaker = new CircuitBreaker({
      slidingWindowType: 'count',
      slidingWindowSize: 5,
      failureThreshold: 0,
      failureRateThreshold: 60,
    });
    expect(breaker.options.minimumCalls).toBe(5);
    succeed(breaker, 2);
    fail(breaker, 3);
    expect(breaker.getState()).toBe('open'); // before, a window of 5 never held the 10 calls it waited for
  });

  it.each([
    ['clock', 'a ManualClock'],
    ['name', 'a non-empty string'],
    ['slidingWindowType', '"time" or "count"'],
    ['latencyHistogram', 'true or false'],
    ['recoveryTimeout', 'a number of ms'],
    ['labels', 'an object of string values'],
    ['fallback', 'a function'],
  ])(
    'refuses null for %s, naming the option and what it accepts (null never means the default)',
    (option, accepted) => {
      const message = `breakwater: option "${option}" must be ${accepted} (or left out for the default), got null`;
      expect(() => new CircuitBreaker({ [option]: null } as never)).toThrow(TypeError);
      expect(() => new CircuitBreaker({ [option]: null } as never)).toThrow(message);
      expect(() => new CircuitBreaker({ name: 'x', [option]: null } as never)).toThrow(message);
    },
  );

  it('keeps labels, frozen', () => {
    const breaker = new CircuitBreaker({ labels: { hardware: 'gpu' } });
    expect(breaker.labels).toEqual({ hardware: 'gpu' });
    expect(Object.isFrozen(breaker.labels)).toBe(true);
    expect(breaker.getMetrics().labels).toEqual({ hardware: 'gpu' });
  });
});
