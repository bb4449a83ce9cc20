/** What `cacheTransport` must provide (opossum's contract): get, set with an expiry, flush. */
export interface CacheTransport {
  get(key: string): unknown;
  /** expiresAt: ms since the epoch, 0 = never. */
  set(key: string, value: unknown, expiresAt: number): void;
  flush(): void;
  delete?(key: string): void;
}

/** Map's own limit on entries. */
const MAP_LIMIT = 2 ** 24 - 1;

/**
 * opossum's in-memory cache: a Map with per-entry expiry that evicts its oldest entry when full.
 * An expired entry is dropped when read.
 */
export class MemoryCache implements CacheTransport {
  readonly cache = new Map<string, { expiresAt: number; value: unknown }>();
  readonly maxEntries: number;

  /** now: the clock expiries are compared with (Date.now unless a breaker runs on a manual clock). */
  constructor(
    maxEntries?: number,
    private readonly now: () => number = Date.now,
  ) {
    this.maxEntries = maxEntries ?? MAP_LIMIT;
  }

  get(key: string): unknown {
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt === 0 || entry.expiresAt > this.now()) return entry.value;
    this.cache.delete(key);
    return undefined;
  }

  set(key: string, value: unknown, expiresAt: number): void {
    // Only a new key makes room: overwriting one never evicts another.
    if (this.cache.size === this.maxEntries && this.get(key) === undefined) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { expiresAt, value });
  }

  delete(key: string): void {
    this.cache.delete(key);
  }

  flush(): void {
    this.cache.clear();
  }
}
