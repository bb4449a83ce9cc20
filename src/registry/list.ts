import { STATE_NAMES, type StateName } from '../state';
import type { BreakerHealth } from './health';
import { show } from '../error-message';
import { optionsObject } from '../options-object';

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

/** A ListQuery checked, with its defaults filled in and the search lower-cased. */
export interface ResolvedListQuery {
  kind?: string;
  state?: StateName;
  search?: string;
  sort: NonNullable<ListQuery['sort']>;
  direction: 1 | -1;
  offset: number;
  limit: number;
}

/** Checks a list query; a bad option gets a RangeError naming it. */
export function resolveListQuery(given: ListQuery): ResolvedListQuery {
  const query = optionsObject(given, 'breakwater: list() query');
  for (const option of ['kind', 'search'] as const)
    if (query[option] !== undefined && typeof query[option] !== 'string')
      throw new TypeError(`breakwater: list() option "${option}" must be a string, got ${show(query[option])}`);
  if (query.state !== undefined && !STATE_NAMES.includes(query.state))
    throw new RangeError(
      `breakwater: list() option "state" must be one of ${STATE_NAMES.join(', ')}, got ${show(query.state)}`,
    );
  const offset = integerOption('offset', query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = integerOption('limit', query.limit, 100, 0, 10_000);
  const sort = query.sort ?? 'name';
  if (!SORTABLE.has(sort))
    throw new RangeError(
      `breakwater: list() option "sort" must be one of ${[...SORTABLE].join(', ')}, got ${show(sort)}`,
    );
  if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
    throw new RangeError(`breakwater: list() option "order" must be "asc" or "desc", got ${show(query.order)}`);
  }
  return {
    kind: query.kind,
    state: query.state,
    search: query.search?.toLowerCase(),
    sort,
    direction: query.order === 'desc' ? -1 : 1,
    offset,
    limit,
  };
}

/** Whether a breaker passes the query's kind and name filters (the state filter needs its row). */
export function matchesListFilters(query: ResolvedListQuery, kind: string, name: string): boolean {
  return (
    (query.kind === undefined || kind === query.kind) &&
    (query.search === undefined || name.toLowerCase().includes(query.search))
  );
}

/** The list's order: by the sort key, then kind, then name. */
export function rowOrder(query: ResolvedListQuery): (a: BreakerHealth, b: BreakerHealth) => number {
  const { sort, direction } = query;
  return (a, b) =>
    direction * compare(a[sort] ?? -1, b[sort] ?? -1) || compare(a.kind, b.kind) || compare(a.name, b.name);
}

/**
 * Health rows of `entries` filtered, sorted and paged. A row is read (`rowOf`) only for entries
 * that pass the kind and name filters, so a narrow query over a large registry stays cheap.
 */
export function listHealth<E extends { readonly kind: string; readonly name: string }>(
  entries: Iterable<E>,
  rowOf: (entry: E) => BreakerHealth,
  query: ListQuery = {},
): { total: number; items: BreakerHealth[] } {
  const resolved = resolveListQuery(query);
  const rows: BreakerHealth[] = [];
  for (const entry of entries) {
    if (!matchesListFilters(resolved, entry.kind, entry.name)) continue;
    const row = rowOf(entry);
    if (resolved.state !== undefined && row.state !== resolved.state) continue;
    rows.push(row);
  }
  rows.sort(rowOrder(resolved));
  return { total: rows.length, items: rows.slice(resolved.offset, resolved.offset + resolved.limit) };
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
    throw new RangeError(`breakwater: option "${option}" must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
