import type { CircuitBreaker } from '../breaker';
import type { StateName } from '../state';
import { FAULT_TYPES, type FaultType } from './fault-types';
import { INTENSITIES, type Intensity } from './intensity';

/** The linked circuit as getFailureStats() reports it. */
export interface CircuitStats {
  name: string;
  state: StateName;
  /** Consecutive failures now (what the failureThreshold rule counts). */
  failureCount: number;
  /** The breaker's failureThreshold (0 = that rule is off). */
  threshold: number;
  /** How close the circuit is to tripping, 0..100: the nearer of its consecutive-failure and failure-rate rules. */
  thresholdPercent: number;
  /** The window's failure rate (0..1) and the failureRateThreshold in % (0 = off). */
  failureRate: number;
  failureRateThreshold: number;
}

/** What getFailureStats() returns. */
export interface FailureStats {
  /** Calls that went through the injector. */
  calls: number;
  /** Faults injected (calls that suffered one). */
  injected: number;
  byType: Record<FaultType, number>;
  byIntensity: Record<Intensity, number>;
  byTypeAndIntensity: Record<FaultType, Record<Intensity, number>>;
  /** Faults drawn but withheld because the linked circuit's state does not allow their intensity. */
  suppressed: number;
  /** Faults drawn for a synchronous call that cannot suffer them (latency, hang). */
  notApplicable: number;
  /** Injected faults recorded as failures in the linked breaker. */
  recorded: number;
  /** The linked breaker, when there is one. */
  circuit?: CircuitStats;
}

/** Zeroed counters. */
export function emptyStats(): FailureStats {
  const perIntensity = () => Object.fromEntries(INTENSITIES.map((i) => [i, 0])) as Record<Intensity, number>;
  return {
    calls: 0,
    injected: 0,
    byType: Object.fromEntries(FAULT_TYPES.map((t) => [t, 0])) as Record<FaultType, number>,
    byIntensity: perIntensity(),
    byTypeAndIntensity: Object.fromEntries(FAULT_TYPES.map((t) => [t, perIntensity()])) as Record<
      FaultType,
      Record<Intensity, number>
    >,
    suppressed: 0,
    notApplicable: 0,
    recorded: 0,
  };
}

/** The circuit's side of the stats, read from the breaker's metrics. */
export function circuitStats(breaker: CircuitBreaker): CircuitStats {
  const metrics = breaker.getMetrics();
  const { failureThreshold, failureRateThreshold, minimumCalls } = breaker.options;
  const byCount = failureThreshold > 0 ? metrics.consecutiveFailures / failureThreshold : 0;
  // A rate rule only applies once the window holds minimumCalls, so it is that far from tripping.
  const decided = metrics.window.successes + metrics.window.failures;
  const byRate =
    failureRateThreshold > 0 && decided >= minimumCalls ? (metrics.failureRate * 100) / failureRateThreshold : 0;
  return {
    name: breaker.name,
    state: metrics.state,
    failureCount: metrics.consecutiveFailures,
    threshold: failureThreshold,
    thresholdPercent: Math.min(100, Math.round(Math.max(byCount, byRate) * 1000) / 10),
    failureRate: metrics.failureRate,
    failureRateThreshold,
  };
}
