import { expect } from 'vitest';
import { CircuitBreaker, ManualClock, Registry, coreKind, type CircuitBreakerOptions } from '../../src/index';
import type { BreakerEvent } from '../../src/registry/event';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../src/features/core-features';
import type { ScoringModel } from '../../src/adaptive/early-warning';

/** The feature `name` of row `row` in rows laid out as CORE_FEATURES. */
export const featureValue = (rows: Float32Array, row: number, name: string): number =>
  rows[row * CORE_FEATURE_COUNT + CORE_FEATURES.features.indexOf(name)];

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

/** A transparent stand-in for a trained model over the core features: P = the recent failure share. */
export const recentFailureShareModel: ScoringModel = {
  featureList: CORE_FEATURES,
  async score(rows) {
    const column = CORE_FEATURES.features.indexOf('failure_rate_recent');
    return Float32Array.from(
      { length: rows.length / CORE_FEATURE_COUNT },
      (_, i) => rows[i * CORE_FEATURE_COUNT + column],
    );
  },
};

/** A registry on a manual clock at 0, without window summaries, and the 'prediction' events it delivers. */
export function registryOnManualClock(): { clock: ManualClock; registry: Registry; predictions: BreakerEvent[] } {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const predictions: BreakerEvent[] = [];
  registry.onEvent((event) => {
    if (event.event_type === 'prediction') predictions.push(event);
  });
  return { clock, registry, predictions };
}
