import { CORE_FEATURES_V8 } from './core-features-v8';
import type { FeatureList } from './feature-list';

/** The columns version 8 added. */
const ADDED_IN_V8: readonly string[] = [
  'slow_call_rate_recent',
  'slow_call_rate_recent_to_threshold',
  'slow_call_trip_chance',
];

/**
 * The seventh early-warning layout (breakwater.core@7), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V7 })` scores rows a caller laid out this
 * way. Version 8 adds the slow-call rule's recent share, its share over the rule's threshold and its
 * trip chance (a breaker that trips on slow calls alone got no warning from version 7), and reads
 * the call rate every trip chance uses as an average over seconds, not between two reads.
 */
export const CORE_FEATURES_V7: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 7,
  features: Object.freeze(CORE_FEATURES_V8.features.filter((name) => !ADDED_IN_V8.includes(name))),
}) as FeatureList;
