import type { PoolScenario } from './pool/run';
import type { RolloutScenario } from './rollout/run';
import type { ClientSpec } from './client';
import type { RunSize } from './run-options';
import type { ServiceSpec } from './service';

export type { RunSize } from './run-options';

/** A simulated system and what goes wrong in it. */
export interface Scenario {
  readonly name: string;
  /** One line for reports. */
  readonly title: string;
  readonly durationMs: number;
  readonly services: readonly ServiceSpec[];
  readonly clients: readonly ClientSpec[];
  /** The service the faults hit: its load while sick is measured, and its incidents time the recovery. */
  readonly sickService: string;
  /** The edge whose breaker the report charts (`caller->service`). */
  readonly watchedEdge: string;
  /** Whether upstream services are watched for cascades (the fan-out graph). */
  readonly cascades: boolean;
}

/** A scenario at a run size. */
export interface ScenarioDefinition {
  readonly name: string;
  readonly title: string;
  build(size: RunSize): Scenario;
}

/**
 * A progressive-rollout scenario: two versions behind one endpoint, played under each rollout
 * strategy (big-bang, progressive) rather than under the breaker policies.
 */
export interface RolloutScenarioDefinition {
  readonly kind: 'rollout';
  readonly name: string;
  readonly title: string;
  build(size: RunSize): RolloutScenario;
}

/** A worker-pool scenario: long tasks on simulated workers, played without and with recovery. */
export interface PoolScenarioDefinition {
  readonly kind: 'pool';
  readonly name: string;
  readonly title: string;
  build(size: RunSize): PoolScenario;
}

/** Anything `breakwater simulate` can run: a breaker scenario (no `kind`), a rollout or a pool scenario. */
export type SimulationDefinition = ScenarioDefinition | RolloutScenarioDefinition | PoolScenarioDefinition;
