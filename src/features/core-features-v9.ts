import { CORE_FEATURES } from './core-features';
import type { FeatureList } from './feature-list';

/** The column version 10 added. */
const ADDED_IN_V10: readonly string[] = ['failure_rate_rising_trip_chance'];

/**
 * The ninth early-warning layout (breakwater.core@9), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V9 })` scores rows a caller laid out this
 * way. Version 10 adds the failure-rate rule's trip chance with the window's rise over the last
 * half minute carried on: a service whose errors grow over minutes sat at its threshold for
 * seconds read as a coin's toss, and version 9 warned 13 of 149 such trips at 0.7 in an outside
 * evaluation where the plain rule fired before 98.
 */
export const CORE_FEATURES_V9: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 9,
  features: Object.freeze(CORE_FEATURES.features.filter((name) => !ADDED_IN_V10.includes(name))),
}) as FeatureList;
