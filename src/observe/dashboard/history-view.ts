import type { Disposer } from '../../events';
import { aggregateHealth, healthPercentage, type BreakerHealth, type RegistryHealth } from '../../registry/health';
import { listHealth, type ListQuery } from '../../registry/list';
import type { BreakerEvent } from '../../registry/event';
import { MemoryRing, type RecentQuery } from '../../registry/memory-ring';

/** The most events a view keeps for the history API and charts (the newest). */
const MAX_KEPT_EVENTS = 1_000_000;

/**
 * A recorded event history seen as a registry, for `breakwater dashboard --history`: every
 * breaker the history names, as its last event shows it (state, window counts, rates, latency,
 * thresholds, the last probability), and the events themselves (transitions, tuning) for the
 * history API and the charts. It is read-only: nothing changes, and control actions find no breaker.
 */
export class HistoryView {
  private readonly rows = new Map<string, BreakerHealth>();
  private readonly ring: MemoryRing;
  /** Events read. */
  readonly events: number;
  /** The first and last event's timestamps; undefined for an empty history. */
  readonly span: { from: number; to: number } | undefined;

  constructor(events: readonly BreakerEvent[]) {
    const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
    this.events = ordered.length;
    this.span =
      ordered.length === 0 ? undefined : { from: ordered[0].timestamp, to: ordered[ordered.length - 1].timestamp };
    this.ring = new MemoryRing(Math.min(Math.max(1, ordered.length), MAX_KEPT_EVENTS));
    this.ring.write(ordered);
    for (const event of ordered) {
      const key = `${event.kind}\u0000${event.breaker}`;
      const probability = event.probability ?? this.rows.get(key)?.probability ?? null;
      this.rows.set(key, rowOf(event, probability));
    }
  }

  entries(): Iterable<{ readonly kind: string; readonly name: string }> {
    return this.rows.values();
  }

  breakerHealth(kind: string, name: string): BreakerHealth | undefined {
    return this.rows.get(`${kind}\u0000${name}`);
  }

  health(): RegistryHealth {
    return aggregateHealth(this.rows.values(), (row) => ({
      kind: row.kind,
      state: row.state,
      health: row.healthPercentage,
      windowCalls: row.windowCalls,
    }));
  }

  list(query: ListQuery = {}): { total: number; items: BreakerHealth[] } {
    return listHealth(this.rows.values(), (row) => row, query);
  }

  recent(query?: RecentQuery): BreakerEvent[] {
    return this.ring.recent(query);
  }

  /** A history does not change: there is nothing to listen to. */
  onEvent(): Disposer {
    return () => {};
  }

  /** No live breakers: control actions answer 404. */
  get(): undefined {
    return undefined;
  }

  reset(): void {}

  forceOpen(): void {}

  close(): void {}
}

/** A breaker's health row as an event recorded it (its counts are the window's). */
function rowOf(event: BreakerEvent, probability: number | null): BreakerHealth {
  const { counts, rates } = event;
  const decided = counts.successes + counts.failures;
  return {
    kind: event.kind,
    name: event.breaker,
    labels: event.labels,
    state: event.state,
    healthPercentage: healthPercentage(event.state, rates.failureRate, rates.slowCallRate),
    successRate: decided > 0 ? counts.successes / decided : 1,
    failureRate: rates.failureRate,
    slowCallRate: rates.slowCallRate,
    rejectionRate: rates.rejectionRate,
    totalCalls: counts.calls,
    successes: counts.successes,
    failures: counts.failures,
    rejections: counts.rejections,
    timeouts: counts.timeouts,
    slowCalls: counts.slowCalls,
    windowCalls: counts.calls,
    latency: event.latency,
    thresholds: event.thresholds,
    timeoutsMs: event.timeouts,
    probability,
    retryAfterMs: 0,
  };
}
