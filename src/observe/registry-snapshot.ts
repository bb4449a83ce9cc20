import { aggregateHealth, type BreakerHealth, type RegistryHealth } from '../registry/health';
import { matchesListFilters, resolveListQuery, rowOrder, type ListQuery } from '../registry/list';
import type { Registry } from '../registry/registry';
import type { EventDrops } from '../registry/event-log';

/** The registry reads a snapshot makes: every breaker's health row, and the events lost on the way to the sinks. */
export type SnapshotSource = Pick<Registry, 'breakerHealth'> &
  Partial<Pick<Registry, 'eventDrops'>> & {
    entries(): Iterable<{ readonly kind: string; readonly name: string }>;
  };

/**
 * Every breaker's health row, read once, and what the dashboard and the metrics derive from them
 * (lists in any order, the aggregate health), each derived once per snapshot however many
 * clients ask. A snapshot never changes; a newer one replaces it. Every scrape (Prometheus,
 * OpenTelemetry) reads the registry as one.
 */
export class RegistrySnapshot {
  /** When it was read, ms since the epoch. */
  readonly readAt = Date.now();
  readonly health: RegistryHealth;
  private readonly sorted = new Map<string, readonly BreakerHealth[]>();

  private constructor(
    readonly rows: readonly BreakerHealth[],
    /** Undefined when read from a registry view without `eventDrops()`. */
    readonly eventDrops: EventDrops | undefined,
  ) {
    this.health = aggregateHealth(rows, (row) => ({
      kind: row.kind,
      state: row.state,
      health: row.healthPercentage,
      windowCalls: row.windowCalls,
    }));
  }

  static read(source: SnapshotSource): RegistrySnapshot {
    const rows: BreakerHealth[] = [];
    for (const { kind, name } of source.entries()) {
      const row = source.breakerHealth(kind, name);
      if (row !== undefined) rows.push(row);
    }
    return new RegistrySnapshot(rows, typeof source.eventDrops === 'function' ? source.eventDrops() : undefined);
  }

  /** Registry.list() over this snapshot: the same filters, order, paging and errors. */
  list(query: ListQuery = {}): { total: number; items: BreakerHealth[] } {
    const resolved = resolveListQuery(query);
    const order = `${resolved.sort} ${resolved.direction}`;
    let rows = this.sorted.get(order);
    if (rows === undefined) this.sorted.set(order, (rows = [...this.rows].sort(rowOrder(resolved))));
    const { offset, limit } = resolved;
    if (resolved.kind === undefined && resolved.search === undefined && resolved.state === undefined)
      return { total: rows.length, items: rows.slice(offset, offset + limit) };
    const items: BreakerHealth[] = [];
    let total = 0;
    for (const row of rows) {
      if (
        !matchesListFilters(resolved, row.kind, row.name) ||
        (resolved.state !== undefined && row.state !== resolved.state)
      )
        continue;
      if (total >= offset && items.length < limit) items.push(row);
      total++;
    }
    return { total, items };
  }
}

/** A read may take at most this share of the event loop: a read that took 50 ms is not repeated for 1 s. */
const MAX_LOOP_SHARE = 0.05;

/**
 * One snapshot of the registry shared by every client (pages, API requests, live streams, metric
 * scrapes): read at most once per `maxAgeMs`, as reading is O(breakers) and sixty-four clients must
 * not read a large registry sixty-four times. On a registry so large that a read takes long, reads
 * space out further, so the dashboard never takes more than 5% of the event loop from the guarded calls.
 */
export class SharedSnapshot {
  private cached: RegistrySnapshot | undefined;
  private readAt = -Infinity;
  private readCostMs = 0;

  constructor(
    private readonly source: SnapshotSource,
    private readonly maxAgeMs: number,
    /** Milliseconds from any origin: the age and the cost of reads are measured on it. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): RegistrySnapshot {
    const now = this.now();
    if (this.cached === undefined || now - this.readAt >= Math.max(this.maxAgeMs, this.readCostMs / MAX_LOOP_SHARE)) {
      this.cached = RegistrySnapshot.read(this.source);
      this.readAt = this.now();
      this.readCostMs = this.readAt - now;
    }
    return this.cached;
  }

  /** Forgets the snapshot (after a control action changed a breaker), unless reading is costly. */
  invalidate(): void {
    if (this.readCostMs / MAX_LOOP_SHARE <= this.maxAgeMs) this.cached = undefined;
  }
}
