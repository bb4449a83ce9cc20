import type { BreakerMetrics } from '../metrics';
import type { BreakerEvent } from './event';
import type { ResolvedOptions } from '../options';
import type { StateName } from '../state';

/** One breaker's health, as the registry, the JSON API and the dashboard show it. */
export interface BreakerHealth {
  kind: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  state: StateName;
  /** 0..100, see healthPercentage(). */
  healthPercentage: number;
  successRate: number;
  failureRate: number;
  slowCallRate: number;
  rejectionRate: number;
  totalCalls: number;
  successes: number;
  failures: number;
  rejections: number;
  timeouts: number;
  slowCalls: number;
  /** Calls in the sliding window. */
  windowCalls: number;
  latency: { p50: number | null; p90: number | null; p99: number | null };
  thresholds: BreakerEvent['thresholds'];
  timeoutsMs: BreakerEvent['timeouts'];
  /** The early-warning model's last probability of a trip; null when never scored. */
  probability: number | null;
  retryAfterMs: number;
}

/** Circuits by state, with their average health. */
export interface HealthCounts {
  total: number;
  closed: number;
  open: number;
  halfOpen: number;
  forcedOpen: number;
  disabled: number;
  /** Mean healthPercentage; 100 for no breakers. */
  averageHealth: number;
}

/** The registry's aggregate health. */
export interface RegistryHealth extends HealthCounts {
  /** Health weighted by traffic: see overallHealth(). */
  overallHealth: number;
  byKind: Record<string, HealthCounts>;
}

/** How much of a circuit's capacity its state leaves: an open circuit serves nothing, a probing one a little. */
const STATE_WEIGHT: Record<StateName, number> = { closed: 1, disabled: 1, 'half-open': 0.5, open: 0, 'forced-open': 0 };

/**
 * healthPercentage = 100 x stateWeight x (1 - failureRate) x (1 - slowCallRate / 2), over the
 * sliding window: stateWeight is 1 closed or disabled, 0.5 half-open, 0 open or forced open; a slow
 * call counts as half a failure. A breaker with no calls in its window is as healthy as its state.
 */
export function healthPercentage(state: StateName, failureRate: number, slowCallRate: number): number {
  return round2(100 * STATE_WEIGHT[state] * (1 - failureRate) * (1 - slowCallRate / 2));
}

/** The health of one breaker from its metrics and options. */
export function breakerHealth(
  kind: string,
  name: string,
  metrics: BreakerMetrics,
  options: ResolvedOptions,
  probability: number | null,
): BreakerHealth {
  const decided = metrics.window.successes + metrics.window.failures;
  return {
    kind,
    name,
    labels: metrics.labels,
    state: metrics.state,
    healthPercentage: healthPercentage(metrics.state, metrics.failureRate, metrics.slowCallRate),
    successRate: decided > 0 ? metrics.window.successes / decided : 1,
    failureRate: metrics.failureRate,
    slowCallRate: metrics.slowCallRate,
    rejectionRate: metrics.rejectionRate,
    totalCalls: metrics.totalCalls,
    successes: metrics.successes,
    failures: metrics.failures,
    rejections: metrics.rejections,
    timeouts: metrics.timeouts,
    slowCalls: metrics.slowCalls,
    windowCalls: metrics.window.calls,
    latency: { p50: metrics.latency.p50, p90: metrics.latency.p90, p99: metrics.latency.p99 },
    thresholds: thresholdsOf(options),
    timeoutsMs: timeoutsOf(options),
    probability,
    retryAfterMs: metrics.retryAfterMs,
  };
}

export function thresholdsOf(options: ResolvedOptions): BreakerEvent['thresholds'] {
  return {
    failureThreshold: options.failureThreshold,
    failureRateThreshold: options.failureRateThreshold,
    slowCallRateThreshold: options.slowCallRateThreshold,
    minimumCalls: options.minimumCalls,
  };
}

export function timeoutsOf(options: ResolvedOptions): BreakerEvent['timeouts'] {
  return {
    timeout: options.timeout,
    recoveryTimeout: options.recoveryTimeout,
    halfOpenTimeout: options.halfOpenTimeout,
    slowCallDuration: options.slowCallDuration,
  };
}

/** Counts states and sums health, one breaker at a time. */
export class HealthTally {
  readonly counts: HealthCounts = emptyCounts();
  private healthSum = 0;
  private weightedSum = 0;
  private weights = 0;

  add(state: StateName, health: number, windowCalls: number): void {
    const c = this.counts;
    c.total++;
    if (state === 'closed') c.closed++;
    else if (state === 'open') c.open++;
    else if (state === 'half-open') c.halfOpen++;
    else if (state === 'forced-open') c.forcedOpen++;
    else c.disabled++;
    this.healthSum += health;
    // overallHealth weighs each breaker by its window traffic (at least 1), so a busy failing
    // dependency drags the figure down more than an idle one.
    const weight = Math.max(1, windowCalls);
    this.weightedSum += health * weight;
    this.weights += weight;
  }

  average(): HealthCounts {
    return { ...this.counts, averageHealth: this.counts.total > 0 ? round2(this.healthSum / this.counts.total) : 100 };
  }

  /** Traffic-weighted health: sum(health x max(1, windowCalls)) / sum(max(1, windowCalls)). */
  overall(): number {
    return this.weights > 0 ? round2(this.weightedSum / this.weights) : 100;
  }
}

/** One breaker as the aggregate counts it. */
export interface HealthSample {
  kind: string;
  state: StateName;
  health: number;
  windowCalls: number;
}

/** Circuits by state, average and traffic-weighted health, overall and per kind, of `entries`. */
export function aggregateHealth<E>(entries: Iterable<E>, sample: (entry: E) => HealthSample): RegistryHealth {
  const all = new HealthTally();
  const kinds = new Map<string, HealthTally>();
  for (const entry of entries) {
    const { kind, state, health, windowCalls } = sample(entry);
    all.add(state, health, windowCalls);
    let tally = kinds.get(kind);
    if (tally === undefined) kinds.set(kind, (tally = new HealthTally()));
    tally.add(state, health, windowCalls);
  }
  const byKind: RegistryHealth['byKind'] = {};
  for (const [kind, tally] of kinds) byKind[kind] = tally.average();
  return { ...all.average(), overallHealth: all.overall(), byKind };
}

function emptyCounts(): HealthCounts {
  return { total: 0, closed: 0, open: 0, halfOpen: 0, forcedOpen: 0, disabled: 0, averageHealth: 100 };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
