import type { FeatureList } from './feature-list';

/**
 * The first early-warning layout (breakwater.core@1), kept so models trained on it still load:
 * `Predictor.load(oldModel, { featureList: CORE_FEATURES_V1 })` scores rows a caller laid out
 * this way. The extractor no longer fills it: it leaned on raw volume, raw in-flight counts and the
 * time since the last transition, which carried the training scenarios rather than trouble.
 */
export const CORE_FEATURES_V1: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 1,
  features: Object.freeze([
    'failure_rate',
    'failure_rate_recent',
    'failure_rate_trend',
    'failure_rate_slope',
    'latency_p50_ratio',
    'latency_p90_ratio',
    'latency_p99_ratio',
    'latency_p50_ratio_slope',
    'latency_p90_ratio_slope',
    'latency_p99_ratio_slope',
    'timeout_rate',
    'slow_call_rate',
    'call_rate_change',
    'in_flight',
    'consecutive_failures',
    'seconds_since_transition',
    'state_open',
    'state_half_open',
    'timeout_share_of_failures',
    'rejection_rate',
    'log_window_calls',
    'failure_rate_to_threshold',
    'failure_rate_recent_to_threshold',
    'consecutive_failures_to_threshold',
    'window_calls_to_minimum',
    'hardware_cpu',
    'hardware_gpu',
    'hardware_webgpu',
    'hardware_webnn',
  ]),
}) as FeatureList;
