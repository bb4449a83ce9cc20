/**
 * cockatiel 3's breaker types, restated so the published types need no cockatiel installed; its
 * own IBreaker and options are structurally the same (the compat tests pass ours to its policy).
 */

/** cockatiel's `CircuitState` enum values (Closed 0, Open 1, HalfOpen 2, Isolated 3). */
export type CircuitState = number;

/** What cockatiel's circuitBreaker policy calls on a breaker. */
export interface IBreaker {
  state: unknown;
  success(state: CircuitState): void;
  failure(state: CircuitState): boolean;
}

export interface ICountBreakerOptions {
  /** The share of failures (0..1, exclusive) above which the circuit opens. */
  threshold: number;
  /** How many of the last calls are counted. */
  size: number;
  /** The fewest calls before the circuit may open. Default `size`. */
  minimumNumberOfCalls?: number;
}

export interface ISamplingBreakerOptions {
  /** The share of failures (0..1, exclusive) above which the circuit opens. */
  threshold: number;
  /** The sampled duration in milliseconds. */
  duration: number;
  /** The fewest calls per second before the circuit may open. */
  minimumRps?: number;
}
