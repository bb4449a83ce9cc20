import type { CircuitBreaker } from '../breaker';
import type { BreakerObserver } from '../breaker/circuit-breaker';
import type { BreakerMetrics } from '../metrics';
import type { BreakerEvent, BreakerEventType } from './event';
import type { CircuitBreakerOptions, ResolvedOptions } from '../options';
import type { StateChange, StateName } from '../state';
import { breakerHealth, healthPercentage, thresholdsOf, timeoutsOf, type BreakerHealth } from './health';

export interface RegisteredBreaker {
  readonly kind: string;
  readonly name: string;
  readonly breaker: CircuitBreaker;
}

/**
 * Where an entry writes its history: the registry (an interface here, so entry.ts does not import
 * registry.ts, which imports it).
 * @internal
 */
export interface EventRecorder {
  record(entry: Entry, type: BreakerEventType, detail: Record<string, unknown> | null): void;
  forget(entry: Entry): void;
}

/** @internal A breaker in the registry; it is the breaker's observer, so transitions reach the history without a listener each. */
export class Entry implements RegisteredBreaker, BreakerObserver {
  probability: number | null = null;
  /** Calls + rejections when the last window summary was written: a breaker with none since is skipped. */
  summarizedActivity = 0;
  /** Who is changing the options right now, for the tuning event. */
  tuningCause: { source: string; reason: string } | undefined;
  constructor(
    readonly registry: EventRecorder,
    readonly kind: string,
    readonly name: string,
    readonly breaker: CircuitBreaker,
    /** Options given at creation: they win over the kind's configuration. */
    readonly overrides: Readonly<CircuitBreakerOptions>,
  ) {}

  transition(_breaker: CircuitBreaker, change: StateChange): void {
    this.registry.record(this, 'transition', {
      from: change.from,
      to: change.to,
      reason: change.reason,
      generation: change.generation,
      ...(change.madeElsewhere && { madeElsewhere: true }),
    });
  }

  reconfigured(_breaker: CircuitBreaker, before: ResolvedOptions, after: ResolvedOptions): void {
    const changed: Record<string, { before: unknown; after: unknown }> = {};
    for (const key of Object.keys(after) as (keyof ResolvedOptions)[]) {
      if (key !== 'labels' && before[key] !== after[key]) changed[key] = { before: before[key], after: after[key] };
    }
    const { source, reason } = this.tuningCause ?? { source: 'user', reason: 'reconfigure()' };
    this.tuningCause = undefined;
    this.registry.record(this, 'tuning', { changed, source, reason });
  }

  disposed(): void {
    this.registry.forget(this);
  }
}

/** @internal A breaker that never took a slot is closed, with nothing in its window: no need to ask the core. */
export function quickHealth(entry: Entry): { state: StateName; health: number; windowCalls: number } {
  if (!entry.breaker.active) return { state: 'closed', health: 100, windowCalls: 0 };
  const m = entry.breaker.getMetrics();
  return {
    state: m.state,
    health: healthPercentage(m.state, m.failureRate, m.slowCallRate),
    windowCalls: m.window.calls,
  };
}

/** @internal */
export function healthOf(entry: Entry): BreakerHealth {
  return breakerHealth(entry.kind, entry.name, metricsOf(entry.breaker), entry.breaker.options, entry.probability);
}

/** @internal The breaker's metrics, or an idle breaker's without taking a slot for it. */
export function metricsOf(breaker: CircuitBreaker): BreakerMetrics {
  if (breaker.active) return breaker.getMetrics();
  return {
    name: breaker.name,
    labels: breaker.labels,
    state: 'closed',
    totalCalls: 0,
    successes: 0,
    failures: 0,
    rejections: 0,
    timeouts: 0,
    slowCalls: 0,
    ignored: 0,
    opens: 0,
    failureRate: 0,
    rejectionRate: 0,
    slowCallRate: 0,
    window: { calls: 0, successes: 0, failures: 0, rejections: 0, timeouts: 0, slowCalls: 0 },
    latency: { p50: null, p90: null, p99: null, samples: 0 },
    consecutiveFailures: 0,
    reopens: 0,
    retryAfterMs: 0,
    stateChanges: [],
  };
}

/** @internal */
export function historyEvent(
  entry: Entry,
  type: BreakerEventType,
  detail: Record<string, unknown> | null,
  timestamp: number,
): BreakerEvent {
  const metrics = metricsOf(entry.breaker);
  const options = entry.breaker.options;
  return {
    timestamp,
    breaker: entry.name,
    kind: entry.kind,
    labels: metrics.labels,
    event_type: type,
    state: metrics.state,
    thresholds: thresholdsOf(options),
    timeouts: timeoutsOf(options),
    counts: { ...metrics.window },
    rates: {
      failureRate: metrics.failureRate,
      slowCallRate: metrics.slowCallRate,
      rejectionRate: metrics.rejectionRate,
    },
    latency: { p50: metrics.latency.p50, p90: metrics.latency.p90, p99: metrics.latency.p99 },
    probability: entry.probability,
    detail,
  };
}
