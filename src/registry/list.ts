import type { StateName } from '../state';
import type { BreakerHealth } from './health';

/** What Registry.list() filters, sorts and pages by. */
export interface ListQuery {
  kind?: string;
  state?: StateName;
  /** Case-insensitive substring of the name. */
  search?: string;
  sort?: 'name' | 'kind' | 'state' | 'healthPercentage' | 'failureRate' | 'totalCalls' | 'probability';
  order?: 'asc' | 'desc';
  offset?: number;
  /** Default 100. */
  limit?: number;
}

const SORTABLE = new Set(['name', 'kind', 'state', 'healthPercentage', 'failureRate', 'totalCalls', 'probability']);

/**
 * Health rows of `entries` filtered, sorted and paged. A row is read (`rowOf`) only for entries
 * that pass the kind and name filters, so a narrow query over a large registry stays cheap.
 */
export function listHealth<E extends { readonly kind: string; readonly name: string }>(
  entries: Iterable<E>,
  rowOf: (entry: E) => BreakerHealth,
  query: ListQuery = {},
): { total: number; items: BreakerHealth[] } {
  const offset = integerOption('offset', query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = integerOption('limit', query.limit, 100, 0, 10_000);
  const search = query.search?.toLowerCase();
  const rows: BreakerHealth[] = [];
  for (const entry of entries) {
    if (query.kind !== undefined && entry.kind !== query.kind) continue;
    if (search !== undefined && !entry.name.toLowerCase().includes(search)) continue;
    const row = rowOf(entry);
    if (query.state !== undefined && row.state !== query.state) continue;
    rows.push(row);
  }
  const sort = query.sort ?? 'name';
  if (!SORTABLE.has(sort))
    throw new RangeError(
      `breakwater: list() option "sort" must be one of ${[...SORTABLE].join(', ')}, got ${JSON.stringify(sort)}`,
    );
  const direction = query.order === 'desc' ? -1 : 1;
  if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
    throw new RangeError(
      `breakwater: list() option "order" must be "asc" or "desc", got ${JSON.stringify(query.order)}`,
    );
  }
  rows.sort(
    (a, b) => direction * compare(a[sort] ?? -1, b[sort] ?? -1) || compare(a.kind, b.kind) || compare(a.name, b.name),
  );
  return { total: rows.length, items: rows.slice(offset, offset + limit) };
}

export function integerOption(
  option: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `breakwater: option "${option}" must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
