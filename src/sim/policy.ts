import type { CircuitBreaker } from '../breaker';
import type { SeededRandom } from '../random';
import type { SimulationClock } from './simulation-clock';

/** One caller-to-service edge of a simulated system, which a policy guards. */
export interface EdgeContext {
  /** `caller->service`, unique in a run. */
  readonly name: string;
  readonly caller: string;
  readonly service: string;
  /** The virtual clock: breakers must be created on it. */
  readonly clock: SimulationClock;
  /** The caller's timeout per attempt, ms: the guard enforces it. */
  readonly timeoutMs: number;
  /** A generator for this edge alone (seeded from the run's seed and the edge's name). */
  readonly random: SeededRandom;
}

/**
 * What a policy puts between a caller and a service. The simulator only ever calls these members,
 * so a new policy (adaptive, predictive, a progressive rollout) is a new Policy, never a change to
 * the simulator.
 */
export interface Guard {
  /**
   * Runs one attempt. `send` performs the call on the service with an AbortSignal the guard aborts
   * at its timeout; the guard may refuse instead (rejecting with an error isRejection() knows).
   */
  call<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Whether an error is the guard refusing an attempt it never sent. */
  isRejection(error: unknown): boolean;
  /** The breaker whose state the report charts and whose probe rounds it counts, if any. */
  readonly breaker?: CircuitBreaker;
  /** Control-plane work on virtual time, called once per simulated second (tuning, prediction). */
  tick?(nowMs: number): void;
  /** Releases what the guard holds (its breaker's slot). */
  dispose(): void;
}

/** A named way of guarding every edge of a simulated system. */
export interface Policy {
  /** A short identifier, used on the command line and in reports. */
  readonly name: string;
  /** One line for reports. */
  readonly description: string;
  /** The guard of one edge, made once per edge and run. */
  guard(edge: EdgeContext): Guard;
}
