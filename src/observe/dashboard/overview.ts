import type { RegistryHealth } from '../../registry/health';
import type { Registry } from '../../registry/registry';

/** The registry at a glance: what the page's gauge and charts show. */
export interface Overview {
  /** When it was read, ms since the epoch. */
  generatedAt: number;
  /** Circuits by state, average and overall health, per kind. */
  aggregate: RegistryHealth;
  /**
   * Per kind, the failure rate over the breakers' windows, weighted by traffic:
   * sum(failureRate x windowCalls) / sum(windowCalls); 0 for a kind with no calls in its windows.
   */
  failureRateByKind: Record<string, number>;
  /**
   * What the health gauge shows: breakers whose circuit lets calls through (closed or disabled)
   * out of all, and their share in % (100 with no breakers). One of two breakers open is 50%,
   * however little traffic the open one had; `aggregate.overallHealth` (traffic-weighted) is shown
   * beside it, labelled.
   */
  healthyBreakers: { healthy: number; total: number; percentage: number };
}

/** The gauge's figure from the registry's state counts. */
export function healthyBreakers(aggregate: RegistryHealth): Overview['healthyBreakers'] {
  const healthy = aggregate.closed + aggregate.disabled;
  return {
    healthy,
    total: aggregate.total,
    percentage: aggregate.total === 0 ? 100 : Math.round((10_000 * healthy) / aggregate.total) / 100,
  };
}

/** The registry reads an overview makes. */
export type OverviewSource = Pick<Registry, 'health' | 'breakerHealth'> & {
  entries(): Iterable<{ readonly kind: string; readonly name: string }>;
};

/** Reads the overview (two passes over the registry). */
export function readOverview(registry: OverviewSource): Overview {
  const weighted = new Map<string, { failures: number; calls: number }>();
  for (const { kind, name } of registry.entries()) {
    const row = registry.breakerHealth(kind, name);
    if (row === undefined) continue;
    let sum = weighted.get(kind);
    if (sum === undefined) weighted.set(kind, (sum = { failures: 0, calls: 0 }));
    sum.failures += row.failureRate * row.windowCalls;
    sum.calls += row.windowCalls;
  }
  const failureRateByKind: Record<string, number> = {};
  for (const [kind, sum] of weighted) failureRateByKind[kind] = sum.calls > 0 ? sum.failures / sum.calls : 0;
  const aggregate = registry.health();
  return { generatedAt: Date.now(), aggregate, failureRateByKind, healthyBreakers: healthyBreakers(aggregate) };
}

/** A read may take at most this share of the event loop: a read that took 50 ms is not repeated for 1 s. */
const MAX_LOOP_SHARE = 0.05;

/**
 * The overview, read at most once per `maxAgeMs` however many pages and streams ask: reading is
 * O(breakers), and a dashboard open in ten tabs must not read a large registry ten times a second.
 * On a registry so large that a read takes long, reads space out further, so the dashboard never
 * takes more than 5% of the event loop from the guarded calls.
 */
export class OverviewCache {
  private cached: Overview | undefined;
  private readAt = -Infinity;
  private readCostMs = 0;

  constructor(
    private readonly registry: OverviewSource,
    private readonly maxAgeMs: number,
  ) {}

  get(): Overview {
    const now = performance.now();
    if (this.cached === undefined || now - this.readAt >= Math.max(this.maxAgeMs, this.readCostMs / MAX_LOOP_SHARE)) {
      this.cached = readOverview(this.registry);
      this.readAt = performance.now();
      this.readCostMs = this.readAt - now;
    }
    return this.cached;
  }

  /** Forgets the cached overview (after a control action changed a breaker), unless reading is costly. */
  invalidate(): void {
    if (this.readCostMs / MAX_LOOP_SHARE <= this.maxAgeMs) this.cached = undefined;
  }
}
