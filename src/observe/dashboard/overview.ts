import type { RegistryHealth } from '../../registry/health';
import type { RegistrySnapshot } from '../registry-snapshot';

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

const overviews = new WeakMap<RegistrySnapshot, Overview>();

/** The overview of a snapshot, derived once however many pages and streams ask. */
export function overviewOf(snapshot: RegistrySnapshot): Overview {
  const cached = overviews.get(snapshot);
  if (cached !== undefined) return cached;
  const weighted = new Map<string, { failures: number; calls: number }>();
  for (const row of snapshot.rows) {
    let sum = weighted.get(row.kind);
    if (sum === undefined) weighted.set(row.kind, (sum = { failures: 0, calls: 0 }));
    sum.failures += row.failureRate * row.windowCalls;
    sum.calls += row.windowCalls;
  }
  const failureRateByKind: Record<string, number> = {};
  for (const [kind, sum] of weighted) failureRateByKind[kind] = sum.calls > 0 ? sum.failures / sum.calls : 0;
  const aggregate = snapshot.health;
  const overview = {
    generatedAt: snapshot.readAt,
    aggregate,
    failureRateByKind,
    healthyBreakers: healthyBreakers(aggregate),
  };
  overviews.set(snapshot, overview);
  return overview;
}
