import { CORE_FEATURES_V2 } from './core-features-v2';
import type { FeatureList } from './feature-list';

/**
 * The third early-warning layout (breakwater.core@3), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V3 })` scores rows a caller laid out this
 * way. It is v2 with the time since the last transition in window spans (not minutes) and the
 * window's failure and slow-call rates projected one horizon ahead; version 4 adds the chances
 * that the breaker's own rules trip within the horizon.
 */
export const CORE_FEATURES_V3: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 3,
  features: Object.freeze([
    ...CORE_FEATURES_V2.features.filter((name) => name !== 'since_transition_to_minute'),
    'since_transition_to_window',
    'failure_rate_projected_to_threshold',
    'slow_call_rate_projected_to_threshold',
  ]),
}) as FeatureList;
