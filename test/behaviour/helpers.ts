import { expect } from 'vitest';
import { CircuitBreaker, ManualClock, coreKind, type CircuitBreakerOptions } from '../../src/index';

/** The core this project run must be on: a silent fallback would test the wrong code. */
export function expectedCore(): 'native' | 'reference' {
  return process.env.BREAKWATER_NATIVE === '0' ? 'reference' : 'native';
}

export function assertCore(): void {
  expect(coreKind).toBe(expectedCore());
}

/** A breaker on a fresh manual clock. */
export function manualBreaker(options: CircuitBreakerOptions = {}): { breaker: CircuitBreaker; clock: ManualClock } {
  const clock = options.clock ?? new ManualClock(1_000_000);
  return { breaker: new CircuitBreaker({ ...options, clock }), clock };
}

export const boom = (): never => {
  throw new Error('boom');
};

export const fail = (breaker: CircuitBreaker, times = 1): void => {
  for (let i = 0; i < times; i++) expect(() => breaker.executeSync(boom)).toThrow();
};

export const succeed = (breaker: CircuitBreaker, times = 1): void => {
  for (let i = 0; i < times; i++) breaker.executeSync(() => 1);
};
