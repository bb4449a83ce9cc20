// Groups of CORE_FEATURES columns by what they mean, for the trainer's constraints and the guard
// rails: names, so a group stays right whatever order the columns take.

/** Columns the model's score may only grow with: evidence of failure, timeouts or slowness. */
export const EVIDENCE_FEATURES: readonly string[] = Object.freeze([
  'failure_rate',
  'failure_rate_recent',
  'failure_rate_to_threshold',
  'failure_rate_recent_to_threshold',
  'timeout_rate',
  'timeout_rate_recent',
  'slow_call_rate_to_threshold',
  'latency_p50_to_baseline',
  'latency_p90_to_baseline',
  'latency_p99_to_baseline',
  'latency_p50_to_timeout',
  'latency_p90_to_timeout',
  'latency_p99_to_timeout',
  'in_flight_to_expected',
  'consecutive_failures_to_threshold',
  'failure_rate_projected_to_threshold',
  'slow_call_rate_projected_to_threshold',
  'failure_rate_trip_chance',
  'consecutive_trip_chance',
  'longest_failure_run_to_threshold',
  'tripped_in_last_minute',
  'slow_call_rate_recent',
  'slow_call_rate_recent_to_threshold',
  'slow_call_trip_chance',
  'failure_rate_rising_trip_chance',
]);

/** Columns that are the breaker's own chances of tripping within the horizon, one per rule. */
export const TRIP_CHANCE_FEATURES: readonly string[] = Object.freeze([
  'failure_rate_trip_chance',
  'consecutive_trip_chance',
  'slow_call_trip_chance',
]);

/** Latency over the breaker's timeout: NaN for a breaker without one. */
export const LATENCY_TO_TIMEOUT_FEATURES: readonly string[] = Object.freeze([
  'latency_p50_to_timeout',
  'latency_p90_to_timeout',
  'latency_p99_to_timeout',
]);
