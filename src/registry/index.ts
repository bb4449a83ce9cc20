export { Registry } from './registry';
export type { BreakerKind, ListQuery, RegisteredBreaker, RegistryOptions } from './registry';
export type { BreakerHealth, HealthCounts, RegistryHealth } from './health';
export { healthPercentage } from './health';
export {
  endpointBreaker,
  hardwareBreaker,
  taskTypeBreaker,
  workerBreaker,
  defaultRegistry,
  getOrCreate,
} from './default-registry';
export { guard, guardedBy } from './guarded';
export type { GuardOptions } from './guarded';
