export { RolloutController } from './controller';
export type { RolloutDecision, RolloutEvents, PhaseInfo } from './events';
export type { RolloutAction } from './decide';
export type { RolloutOptions, ResolvedRolloutOptions, RolloutPhase, BaselineComparison } from './options';
export { DEFAULT_PHASES } from './options';
export type {
  RolloutStatus,
  RolloutTransition,
  TransitionAction,
  RolloutProgress,
  RolloutStateDocument,
} from './persisted-state';
export { RolloutStateError } from './errors/RolloutStateError';
export type { RolloutVersion, VersionMetrics } from './version-window';
