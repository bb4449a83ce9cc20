import type { BreakerHealth, RegistryHealth } from '../registry/health';
import type { Registry } from '../registry/registry';
import type { EventDrops } from '../registry/event-log';
import type { RegistrySnapshot } from './registry-snapshot';
import { show } from '../error-message';

/** The registry reads a scrape makes. */
export type RegistryView = Pick<Registry, 'breakerHealth' | 'health'> &
  Partial<Pick<Registry, 'eventDrops'>> & {
    entries(): Iterable<{ readonly kind: string; readonly name: string }>;
  };

/** Throws, naming `where`, unless `registry` reads as a RegistryView (checked when made, not at the first scrape). */
export function checkRegistryView(registry: unknown, where: string): void {
  const view = registry as Partial<Record<keyof RegistryView, unknown>> | null;
  if (
    view === null ||
    typeof view !== 'object' ||
    typeof view.entries !== 'function' ||
    typeof view.breakerHealth !== 'function' ||
    typeof view.health !== 'function'
  )
    throw new TypeError(`breakwater/observe: ${where} needs a Registry, got ${show(registry)}`);
}

/** What the last scrape exported. */
export interface ScrapeSummary {
  mode: 'per-breaker' | 'per-kind' | 'top-n';
  /** Breakers with series of their own. */
  exported: number;
  /** Breakers left out of the per-breaker series (counted in the aggregates in 'per-kind' mode). */
  omitted: number;
}

/** One scrape's reading of the registry, shared by every metric's collect(). */
export interface Reading {
  summary: ScrapeSummary;
  /** Breakers exported one by one. */
  breakers: BreakerHealth[];
  /** Per-kind aggregates ('per-kind' overflow only). */
  kinds: Map<string, BreakerHealth[]>;
  health: RegistryHealth;
  /** Events lost on the way to the sinks (undefined: the view does not say). */
  eventDrops: EventDrops | undefined;
}

/** What a scrape exports of a snapshot: every breaker, or within maxSeries the least healthy or per-kind aggregates. */
export function readRegistry(snapshot: RegistrySnapshot, maxSeries: number, overflow: 'per-kind' | 'top-n'): Reading {
  const all = [...snapshot.rows]; // top-n sorts it: the snapshot's own rows stay as they are
  const { health, eventDrops } = snapshot;
  if (all.length <= maxSeries)
    return {
      summary: { mode: 'per-breaker', exported: all.length, omitted: 0 },
      breakers: all,
      kinds: new Map(),
      health,
      eventDrops,
    };
  if (overflow === 'top-n') {
    // Least healthy first; among equals the one failing more, then the busier one.
    all.sort(
      (a, b) => a.healthPercentage - b.healthPercentage || b.failureRate - a.failureRate || b.totalCalls - a.totalCalls,
    );
    return {
      summary: { mode: 'top-n', exported: maxSeries, omitted: all.length - maxSeries },
      breakers: all.slice(0, maxSeries),
      kinds: new Map(),
      health,
      eventDrops,
    };
  }
  const kinds = new Map<string, BreakerHealth[]>();
  for (const row of all) {
    const list = kinds.get(row.kind);
    if (list === undefined) kinds.set(row.kind, [row]);
    else list.push(row);
  }
  return { summary: { mode: 'per-kind', exported: 0, omitted: all.length }, breakers: [], kinds, health, eventDrops };
}
