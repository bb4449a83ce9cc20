import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { ManualClock, Registry, type CircuitBreaker } from '../../../src/index';
import { fail, succeed, recentFailureShareModel } from '../helpers';

/** A model that always predicts a trip, whatever the rows say: the guard rails must hold it. */
export const panickingModel: ScoringModel = {
  featureList: CORE_FEATURES,
  score: async (rows) => new Float32Array(rows.length / CORE_FEATURE_COUNT).fill(1),
};

/** One second of traffic: `calls` calls every 100 ms, `failing` of them failing. */
export function oneSecond(breaker: CircuitBreaker, clock: ManualClock, calls: number, failing: number): void {
  for (let tenth = 0; tenth < 10; tenth++) {
    succeed(breaker, calls - failing);
    fail(breaker, failing);
    clock.advance(100);
  }
}

export function setup(
  options: ConstructorParameters<typeof EarlyWarning>[2] = { mode: 'open' },
  model = recentFailureShareModel,
  minimumCalls = 10,
) {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  // No trip rule: only the warning opens it. Evidence is then measured against the usual 50%.
  const breaker = registry.endpointBreaker('model', { failureThreshold: 0, minimumCalls, recoveryTimeout: 5000 });
  const warning = new EarlyWarning(registry, model, options);
  return { clock, registry, breaker, warning };
}
