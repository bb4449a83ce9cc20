import { CORE_FEATURES_V9 } from './core-features-v9';
import type { FeatureList } from './feature-list';

/**
 * The eighth early-warning layout (breakwater.core@8), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V8 })` scores rows a caller laid out this
 * way. Its columns are version 9's; version 9 changed how the trip chances see a window turn
 * over. Version 8 let a window slide smoothly and kept its average failure share in the calls that
 * stayed, so a service that failed at once (its failures all in the newest buckets) read far from
 * tripping until its rule tripped, and a window of few buckets read at 0.02 the second before a
 * bucket left and tripped it. Version 9 drops the oldest calls first, a whole bucket at a time,
 * and lets a young window (a breaker just closed) grow before it drops any.
 */
export const CORE_FEATURES_V8: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 8,
  features: CORE_FEATURES_V9.features,
}) as FeatureList;
