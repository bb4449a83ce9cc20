// breakwater/chaos: the fault injector and the scenario simulator that plays it on virtual time.
// The simulator depends on the wings it plays (chaos, registry, adaptive, rollout, recovery); none of
// them imports it, so this package entry is the simulator's barrel, re-exporting the fault injector.
export * from '../chaos/index';
export { SimulationClock } from './simulation-clock';
export { runScenario } from './run';
export type { RunOptions } from './run-options';
export { runSuite, runCount } from './suite';
export type { SuiteOptions, SuiteResult } from './suite';
export type { RunMetrics, RunResult } from './result';
export type {
  Scenario,
  ScenarioDefinition,
  RunSize,
  RolloutScenarioDefinition,
  PoolScenarioDefinition,
  SimulationDefinition,
} from './scenario';
export type { ServiceSpec, DependencySpec, Incident } from './service';
export type { ClientSpec, RetrySpec } from './client';
export { SCENARIOS, scenarioNamed, ALL_SCENARIOS, simulationNamed } from './scenarios';
export { ROLLOUT_SCENARIOS } from './rollout/scenarios';
export { POOL_SCENARIOS } from './pool/scenarios';
export { runRollout } from './rollout/run';
export type { RolloutScenario, RolloutRunResult, RolloutOutcome } from './rollout/run';
export { ROLLOUT_STRATEGIES, bigBang, progressiveRollout, SIMULATED_ROLLOUT_OPTIONS } from './rollout/strategies';
export type { RolloutStrategy, VersionRouter, RolloutContext, PhaseChange } from './rollout/strategies';
export { runPool, POOL_STRATEGIES, withRecovery, withoutRecovery } from './pool/run';
export type { PoolScenario, PoolStrategy, PoolRunResult } from './pool/run';
export type { SimWorkerSpec, PoolFault } from './pool/worker';
export type { Policy, Guard, EdgeContext } from './policy';
export { BreakerEdge, UnguardedEdge } from './guards';
export {
  BUILT_IN_POLICIES,
  noBreaker,
  staticBreaker,
  backoffBreaker,
  policyNamed,
  STATIC_BREAKER_OPTIONS,
  BACKOFF_BREAKER_OPTIONS,
} from './policies';
export { recoveryTime, probeRounds, pushedOver, successRate } from './measures';
export { findRegressions } from './report/compare';
export type { Regression } from './report/compare';
export { writeReport } from './report/write';
export {
  runGrounding,
  agree,
  GROUNDING_TOLERANCE,
  GROUNDING_BREAKER_OPTIONS,
  GROUNDED_FAULTS,
} from './grounding/grounding';
export type { GroundingRow } from './grounding/grounding';
export { startFaultyServer } from './grounding/faulty-server';
export type { FaultyServer } from './grounding/faulty-server';
export { runRealClient } from './grounding/real-client';
export type { RealClientOptions, RealRunResult } from './grounding/real-client';
export {
  adaptivePolicy,
  adaptivePredictivePolicy,
  learningPolicy,
  predictivePolicy,
  SIMULATED_TUNER,
} from './learning-policies';
export type { LearningPolicyOptions } from './learning-policies';
// The wide generator the shipped early-warning model is trained on, and its acting comparison (bench/early-warning.mjs).
export { HELD_OUT_FAMILIES } from './generator/families';
export { FAMILIES, familyNamed } from './generator/families';
export type { Family } from './generator/families';
export { generateTrainingData } from './generator/training-data';
export type { GeneratedData, GeneratedDataOptions } from './generator/training-data';
export { playRun, setupRun, RUN_MS } from './generator/run';
export type { RunOutcome, RunSetup } from './generator/run';
export { playWithWarning, ruleAsModel, watchedByWarning } from './generator/acting';
export type { WarnedRun, WatchedBreaker } from './generator/acting';
export { trainFromGenerator } from './generator/train';
// The scenario simulator's rows, labelled the same way (trips within the horizon), for training on scenarios.
export { simulationTrainingData } from './scenario-training-data';
export type { SimulationData, SimulationDataOptions } from './scenario-training-data';
