import type { FeatureList } from './feature-list';

/**
 * The second early-warning layout (breakwater.core@2), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V2 })` scores rows a caller laid out this
 * way. Version 3 adds the window's failure and slow-call rates projected one horizon ahead.
 */
export const CORE_FEATURES_V2: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 2,
  features: Object.freeze([
    'failure_rate',
    'failure_rate_recent',
    'failure_rate_to_threshold',
    'failure_rate_recent_to_threshold',
    'failure_rate_trend_ratio',
    'timeout_rate',
    'timeout_rate_recent',
    'timeout_share_of_failures',
    'slow_call_rate_to_threshold',
    'latency_p50_to_baseline',
    'latency_p90_to_baseline',
    'latency_p99_to_baseline',
    'latency_p50_to_timeout',
    'latency_p90_to_timeout',
    'latency_p99_to_timeout',
    'latency_p90_trend_ratio',
    'in_flight_to_expected',
    'consecutive_failures_to_threshold',
    'window_calls_to_minimum',
    'since_transition_to_minute',
  ]),
}) as FeatureList;
