/** Checks a breaker's failure-rate threshold: a fraction strictly between 0 and 1, as in cockatiel. */
export function checkThreshold(breaker: string, threshold: unknown): number {
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) {
    throw new RangeError(
      `breakwater/cockatiel: ${breaker} threshold must be a number in (0, 1), got ${String(threshold)}`,
    );
  }
  return threshold;
}

/** A plain object (a deserialised `state`), or a TypeError naming what was expected. */
export function checkRecord(breaker: string, value: unknown, expected: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(
      `breakwater/cockatiel: ${breaker} state must be ${expected}, got ${value === null ? 'null' : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/** An integer index into a ring of `length` entries, or a RangeError. */
export function checkIndex(breaker: string, field: string, value: unknown, length: number): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= length) {
    throw new RangeError(
      `breakwater/cockatiel: ${breaker} state.${field} must be an integer from 0 to ${length - 1}, got ${String(value)}`,
    );
  }
  return value as number;
}

/** An array of exactly `length` entries (the breaker's window), or a RangeError. */
export function checkRing(breaker: string, field: string, value: unknown, length: number): unknown[] {
  if (!Array.isArray(value) || value.length !== length) {
    const got = Array.isArray(value) ? `${value.length} entries` : typeof value;
    throw new RangeError(
      `breakwater/cockatiel: ${breaker} state.${field} must be an array of ${length} entries (this breaker's window), got ${got}`,
    );
  }
  return value;
}

/** A count of calls: an integer >= 0, or a RangeError. */
export function checkCount(breaker: string, field: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new RangeError(
      `breakwater/cockatiel: ${breaker} state.${field} must be an integer >= 0, got ${String(value)}`,
    );
  }
  return value as number;
}
