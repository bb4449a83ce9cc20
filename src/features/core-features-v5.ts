import { CORE_FEATURES_V6 } from './core-features-v6';
import type { FeatureList } from './feature-list';

/**
 * The fifth early-warning layout (breakwater.core@5), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V5 })` scores rows a caller laid out this
 * way. Version 6 adds `longest_failure_run_to_threshold`, the longest run of consecutive failures
 * of the last 4-10 s over the breaker's threshold: version 5 read a consecutive-failure rule's
 * chance from the failure rate alone, as if failures never came in bursts.
 */
export const CORE_FEATURES_V5: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 5,
  features: Object.freeze(CORE_FEATURES_V6.features.filter((name) => name !== 'longest_failure_run_to_threshold')),
}) as FeatureList;
