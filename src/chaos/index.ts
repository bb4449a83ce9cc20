// The fault injector: faults by type and intensity, on a schedule or at random, with their statistics.
export { FaultInjector } from './injector';
export type { FaultInjectorOptions, RandomFaultOptions } from './injector';
export { FAULT_TYPES } from './fault-types';
export type { FaultType } from './fault-types';
export { INTENSITIES, INTENSITY_PROFILES } from './intensity';
export type { Intensity, IntensityProfile } from './intensity';
export { InjectedFault, InjectedCrash, isInjectedFault } from './fault-errors';
export type { ScheduleEntry, ActiveFault } from './schedule';
export type { FailureStats, CircuitStats } from './failure-stats';
export { SeededRandom } from '../random';
