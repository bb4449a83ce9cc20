import { CORE_FEATURES_V7 } from './core-features-v7';
import type { FeatureList } from './feature-list';

/**
 * The sixth early-warning layout (breakwater.core@6), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V6 })` scores rows a caller laid out this
 * way. Version 7 adds `tripped_in_last_minute`, 1 while the circuit is open or within a minute of
 * closing again: version 6 forgot a trip once its window had turned over, and a dependency that
 * flaps or stalls again trips again.
 */
export const CORE_FEATURES_V6: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 6,
  features: Object.freeze(CORE_FEATURES_V7.features.filter((name) => name !== 'tripped_in_last_minute')),
}) as FeatureList;
