import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRegistry } from '../../../src/observe/registry-reading';
import { RegistrySnapshot, SharedSnapshot, type SnapshotSource } from '../../../src/observe/registry-snapshot';
import type { ListQuery } from '../../../src/registry/list';
import { dashboardRegistry } from './dashboard-fixtures';

/** The registry as a source that counts full reads (entries() walks) and rows read. */
function counted(source: SnapshotSource) {
  const counts = { reads: 0, rows: 0 };
  const view: SnapshotSource = {
    entries: () => {
      counts.reads++;
      return source.entries();
    },
    breakerHealth: (kind, name) => {
      counts.rows++;
      return source.breakerHealth(kind, name);
    },
  };
  return { view, counts };
}

describe('one snapshot of the registry shared by every client', () => {
  it('lists exactly as Registry.list() does, for any filter, order and page', () => {
    const registry = dashboardRegistry();
    const snapshot = RegistrySnapshot.read(registry);
    const query = fc.record(
      {
        kind: fc.constantFrom('endpoint', 'worker', 'hardware', 'nope'),
        state: fc.constantFrom('closed', 'open', 'forced-open', 'half-open'),
        search: fc.constantFrom('svc-0', 'WORKER', '1', 'img', 'zzz'),
        sort: fc.constantFrom('name', 'kind', 'state', 'healthPercentage', 'failureRate', 'totalCalls', 'probability'),
        order: fc.constantFrom('asc', 'desc'),
        offset: fc.integer({ min: 0, max: 20 }),
        limit: fc.integer({ min: 0, max: 20 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(query, (q) => {
        expect(snapshot.list(q as ListQuery)).toEqual(registry.list(q as ListQuery));
      }),
      { numRuns: 300, seed: 7 },
    );
    expect(snapshot.health).toEqual(registry.health());
  });

  it('names a bad list option as Registry.list() does', () => {
    const snapshot = RegistrySnapshot.read(dashboardRegistry());
    expect(() => snapshot.list({ sort: 'color' as never })).toThrow(/list\(\) option "sort" must be one of name, kind/);
    expect(() => snapshot.list({ order: 'up' as never })).toThrow(/option "order" must be "asc" or "desc", got "up"/);
    expect(() => snapshot.list({ limit: 10_001 })).toThrow(/option "limit" must be an integer from 0 to 10000/);
  });

  it('reads the registry once per interval however many clients ask, then again once it is older', () => {
    const registry = dashboardRegistry();
    const { view, counts } = counted(registry);
    let now = 1000;
    const shared = new SharedSnapshot(view, 250, () => now);
    const first = shared.get();
    for (let client = 0; client < 64; client++) {
      now += 3;
      expect(shared.get()).toBe(first);
      shared.get().list({ sort: 'failureRate', order: 'desc', offset: client % 5, limit: 50 });
      readRegistry(shared.get(), 1000, 'per-kind'); // a scrape
    }
    expect(counts.reads).toBe(1);
    expect(counts.rows).toBe(first.rows.length);
    now = 1000 + 250;
    const second = shared.get();
    expect(second).not.toBe(first);
    expect(counts.reads).toBe(2);
  });

  it('sees a change after invalidate(), and spaces reads out when a read is costly', () => {
    const registry = dashboardRegistry();
    const { view, counts } = counted(registry);
    let now = 0;
    const shared = new SharedSnapshot(view, 250, () => now);
    const before = shared.get();
    registry.forceOpen('endpoint', 'https://api.example/svc-00');
    shared.invalidate();
    const after = shared.get();
    expect(after.list({ state: 'forced-open', kind: 'endpoint' }).total).toBe(
      before.list({ state: 'forced-open', kind: 'endpoint' }).total + 1,
    );
    // A read that costs 100 ms (the clock moves while reading) is not repeated for 100 / 5% = 2 s.
    const slow: SnapshotSource = {
      entries: () => {
        now += 100;
        return view.entries();
      },
      breakerHealth: view.breakerHealth,
    };
    const costly = new SharedSnapshot(slow, 250, () => now);
    const read = costly.get();
    const reads = counts.reads;
    now += 1_500;
    expect(costly.get()).toBe(read);
    costly.invalidate();
    expect(costly.get()).toBe(read);
    now += 500;
    expect(costly.get()).not.toBe(read);
    expect(counts.reads).toBe(reads + 1);
  });
});
