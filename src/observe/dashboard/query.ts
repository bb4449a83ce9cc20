import type { ListQuery } from '../../registry/registry';
import type { BreakerEventType } from '../../registry/event';
import type { RecentQuery } from '../../registry/memory-ring';
import type { StateName } from '../../state';
import { HttpError } from './respond';

const STATES: readonly StateName[] = ['closed', 'open', 'half-open', 'forced-open', 'disabled'];
const SORTS: ReadonlyArray<NonNullable<ListQuery['sort']>> = [
  'name',
  'kind',
  'state',
  'healthPercentage',
  'failureRate',
  'totalCalls',
  'probability',
];
const EVENT_TYPES: readonly BreakerEventType[] = [
  'transition',
  'window',
  'tuning',
  'prediction',
  'recovery',
  'rollout',
];

/** The largest page the JSON API returns. */
export const MAX_PAGE = 1000;
/** The most history events one request returns. */
export const MAX_HISTORY = 5000;

/** The parameter's one value: given twice (`?kind=a&kind=b`), which one was meant cannot be told, so it is refused. */
function single(params: URLSearchParams, key: string): string | null {
  const values = params.getAll(key);
  if (values.length > 1)
    throw new HttpError(
      400,
      `query parameter ${key} is given ${values.length} times (${values.map((value) => JSON.stringify(value)).join(', ')}); give it once`,
    );
  return values.length === 0 ? null : values[0];
}

function oneOf<T extends string>(params: URLSearchParams, key: string, allowed: readonly T[]): T | undefined {
  const value = single(params, key);
  if (value === null || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new HttpError(
      400,
      `query parameter ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  return value as T;
}

function integer(params: URLSearchParams, key: string, fallback: number, min: number, max: number): number {
  const value = single(params, key);
  if (value === null || value === '') return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max)
    throw new HttpError(
      400,
      `query parameter ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return number;
}

function text(params: URLSearchParams, key: string): string | undefined {
  const value = single(params, key);
  return value === null || value === '' ? undefined : value;
}

/** `?kind=&state=&search=&sort=&order=&offset=&limit=` of GET /api/circuit-breakers; 400 on bad values. */
export function parseListQuery(params: URLSearchParams): Required<Pick<ListQuery, 'offset' | 'limit'>> & ListQuery {
  return {
    kind: text(params, 'kind'),
    state: oneOf(params, 'state', STATES),
    search: text(params, 'search'),
    sort: oneOf(params, 'sort', SORTS) ?? 'name',
    order: oneOf(params, 'order', ['asc', 'desc'] as const) ?? 'asc',
    offset: integer(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integer(params, 'limit', 50, 1, MAX_PAGE),
  };
}

/** `?event_type=&kind=&breaker=&limit=` of GET /api/circuit-breakers/history; 400 on bad values. */
export function parseHistoryQuery(params: URLSearchParams): RecentQuery {
  return {
    event_type: oneOf(params, 'event_type', EVENT_TYPES),
    kind: text(params, 'kind'),
    breaker: text(params, 'breaker'),
    limit: integer(params, 'limit', 500, 1, MAX_HISTORY),
  };
}
