import { CORE_FEATURES_V5 } from './core-features-v5';
import type { FeatureList } from './feature-list';

/**
 * The fourth early-warning layout (breakwater.core@4), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V4 })` scores rows a caller laid out this
 * way. Its columns are version 5's; version 5 changed when a breaker's latency baseline starts.
 * Version 4 took the first window that held a latency, censored towards the fast calls (the slow
 * ones were still out), so the service's ordinary latency then looked like an incident the
 * baseline barely follows: a healthy slow service read well above its baseline, and as many calls
 * in flight over Little's law, for minutes. Version 5 starts the baseline once
 * the calls were seen for ten times their median latency, reads Little's law with the baseline's
 * mean latency, and lets a run of failures go on only when calls are expected to come (v4 read a
 * breaker gone idle after four failures in a row as 0.5 likely to trip within 10 s).
 */
export const CORE_FEATURES_V4: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 4,
  features: CORE_FEATURES_V5.features,
}) as FeatureList;
