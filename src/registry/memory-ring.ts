import type { BreakerEvent, BreakerEventType, EventSink } from './event';
import { optionsObject } from '../options-object';

/** What recent() can filter on. */
export interface RecentQuery {
  breaker?: string;
  kind?: string;
  event_type?: BreakerEventType;
  /** At most this many, the newest. Default 100. */
  limit?: number;
}

/**
 * The default history sink: the last `capacity` events in memory. The oldest event makes room for
 * the newest, so it never falls behind; `overwritten` counts what it let go.
 */
export class MemoryRing implements EventSink {
  private readonly events: (BreakerEvent | undefined)[];
  private next = 0;
  private stored = 0;
  private closed = false;
  dropped = 0;
  overwritten = 0;

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 10_000_000) {
      throw new RangeError(
        `breakwater: option "ringSize" must be an integer from 1 to 10000000, got ${String(capacity)}`,
      );
    }
    this.events = new Array(capacity);
  }

  write(events: readonly BreakerEvent[]): void {
    if (this.closed) {
      this.dropped += events.length;
      return;
    }
    for (const event of events) {
      if (this.stored === this.capacity) this.overwritten++;
      else this.stored++;
      this.events[this.next] = event;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  /** The newest events matching the query, oldest first. */
  recent(given?: RecentQuery): BreakerEvent[] {
    const query = optionsObject(given, 'breakwater: recent() query');
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 0)
      throw new RangeError(`breakwater: recent() option "limit" must be an integer >= 0, got ${String(limit)}`);
    const found: BreakerEvent[] = [];
    for (let i = 1; i <= this.stored && found.length < limit; i++) {
      const event = this.events[(this.next - i + this.capacity) % this.capacity]!;
      if (query.breaker !== undefined && event.breaker !== query.breaker) continue;
      if (query.kind !== undefined && event.kind !== query.kind) continue;
      if (query.event_type !== undefined && event.event_type !== query.event_type) continue;
      found.push(event);
    }
    return found.reverse();
  }

  /** Events held now. */
  get size(): number {
    return this.stored;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }
}
