import { RepeatedFailure } from '../repeated-failure';
import { Emitter, type Disposer } from '../events';
import type { Timers } from '../clock';
import type { BreakerEvent, EventSink } from './event';
import { MemoryRing, type RecentQuery } from './memory-ring';

/** Events that never reached their sink: where each was lost, as the metrics export them. */
export interface EventDrops {
  /** Events no sink got because more than the registry's `maxPending` waited (Registry.droppedEvents). */
  readonly queue: number;
  /** Each sink the registry delivers to and the events it counted as dropped (a full disk, a closed database). */
  readonly sinks: ReadonlyArray<{ readonly sink: string; readonly dropped: number }>;
}

/**
 * A registry's event history: the in-memory ring, listeners that hear each event as it happens,
 * and sinks that get them in batches on the tick. Past `maxPending` events waiting for the sinks,
 * new ones are dropped and counted (the ring and the listeners still get them).
 */
export class EventLog {
  private readonly ring: MemoryRing;
  /**
   * Each sink, its failed writes and the drops it had counted at the last delivery: one that fails
   * every write or drops every batch (a full disk) warns once, not ten times a second.
   */
  private readonly sinks = new Map<EventSink, { failures: RepeatedFailure; droppedSeen: number }>();
  private readonly emitter = new Emitter<{ event: BreakerEvent }>();
  private pending: BreakerEvent[] = [];
  /** Events the sinks never got because too many were waiting. */
  dropped = 0;

  constructor(
    ringSize: number,
    private readonly maxPending: number,
    /** How long flush() and close() wait for a sink, on `timers`' clock. */
    private readonly sinkTimeoutMs: number,
    private readonly timers: Timers,
  ) {
    this.ring = new MemoryRing(ringSize);
  }

  onEvent(listener: (event: BreakerEvent) => void): Disposer {
    return this.emitter.on('event', listener);
  }

  addSink(sink: EventSink): Disposer {
    if (
      sink === null ||
      typeof sink !== 'object' ||
      typeof sink.write !== 'function' ||
      typeof sink.close !== 'function'
    ) {
      throw new TypeError('breakwater: addSink() needs an EventSink (write, flush, close, dropped)');
    }
    if (!this.sinks.has(sink)) this.sinks.set(sink, { failures: new RepeatedFailure(), droppedSeen: droppedBy(sink) });
    return () => void this.sinks.delete(sink);
  }

  /** What was lost on the way to the sinks, now. */
  drops(): EventDrops {
    return {
      queue: this.dropped,
      sinks: [...this.sinks.keys()].map((sink, index) => ({
        sink: sinkIdentity(sink, index).label,
        dropped: droppedBy(sink),
      })),
    };
  }

  recent(query?: RecentQuery): BreakerEvent[] {
    return this.ring.recent(query);
  }

  append(event: BreakerEvent): void {
    this.ring.write([event]);
    this.emitter.emit('event', event);
    if (this.sinks.size === 0) return;
    if (this.pending.length >= this.maxPending) this.dropped++;
    else this.pending.push(event);
  }

  /**
   * Hands the waiting events to every sink. A sink that throws, or that dropped events since the
   * last delivery (sinks write in the background and count what they could not: a full disk, a
   * closed database), becomes a process warning (see RepeatedFailure), and so does its recovery.
   */
  deliver(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    let index = 0;
    for (const [sink, seen] of this.sinks) {
      try {
        sink.write(batch);
        this.noticeDrops(sink, index);
      } catch (error) {
        const why = seen.failures.failed(error, performance.now());
        if (why !== undefined) warnOfSink(`an event sink threw on write: ${why}`);
      }
      index++;
    }
  }

  /** Warns when `sink` counted drops since the last look (once while it goes on), or writes again after failures. */
  private noticeDrops(sink: EventSink, index: number): void {
    const seen = this.sinks.get(sink);
    if (seen === undefined) return;
    const dropped = droppedBy(sink);
    if (dropped > seen.droppedSeen) {
      const { lastError } = sink as { lastError?: unknown };
      const why = lastError instanceof Error ? lastError.message : 'it fell behind, its queue full';
      const repeated = seen.failures.failed(`${sinkName(sink, index)} dropped events: ${why}`, performance.now());
      if (repeated !== undefined) warnOfSink(`${repeated}; ${dropped} dropped in all`);
    } else {
      const failed = seen.failures.worked();
      if (failed > 0) warnOfSink(`an event sink writes again, after ${failed} failed write${failed === 1 ? '' : 's'}`);
    }
    seen.droppedSeen = dropped;
  }

  /** Delivers what waits, then flushes every sink, waiting sinkTimeoutMs at most. */
  async flush(): Promise<void> {
    this.deliver();
    const sinks = [...this.sinks.keys()];
    await this.settleWithin('flush', sinks, (sink) => sink.flush());
    sinks.forEach((sink, index) => this.noticeDrops(sink, index));
  }

  /** Delivers what waits, then flushes, closes and forgets every sink, waiting sinkTimeoutMs at most. */
  async close(): Promise<void> {
    this.deliver();
    const sinks = [...this.sinks.keys()];
    await this.settleWithin('flush and close', sinks, async (sink) => {
      await sink.flush();
      this.noticeDrops(sink, sinks.indexOf(sink)); // its last drops, before the close forgets them
      await sink.close();
    });
    this.sinks.clear();
  }

  /**
   * Runs `step` on every sink at once, for sinkTimeoutMs at most: a sink that has not settled by
   * then (a file on a hung mount, a remote sink that lost a reply) is named in a warning and left
   * behind, so one stuck sink neither hangs a shutdown nor keeps the others from closing.
   */
  private async settleWithin(
    what: string,
    sinks: readonly EventSink[],
    step: (sink: EventSink) => Promise<void>,
  ): Promise<void> {
    if (sinks.length === 0) return;
    const unsettled = new Set(sinks);
    let timer: unknown;
    const deadline = new Promise<void>((resolve) => (timer = this.timers.setTimeout(resolve, this.sinkTimeoutMs)));
    const settled = Promise.all(sinks.map((sink) => step(sink).finally(() => unsettled.delete(sink))));
    try {
      await Promise.race([settled, deadline]);
    } finally {
      this.timers.clearTimeout(timer);
    }
    if (unsettled.size === 0) return;
    const names = sinks.filter((sink) => unsettled.has(sink)).map((sink) => sinkName(sink, sinks.indexOf(sink)));
    process.emitWarning(
      `breakwater: the ${what} of ${names.join(', ')} did not settle within ${this.sinkTimeoutMs} ms (Registry option sinkTimeoutMs); going on without ${names.length === 1 ? 'it' : 'them'}`,
      { code: 'BREAKWATER_SINK_TIMEOUT' },
    );
  }
}

function warnOfSink(warning: string): void {
  process.emitWarning(`breakwater: ${warning}`, { code: 'BREAKWATER_SINK_ERROR' });
}

/** What a sink counts as dropped; 0 for one that does not count (`dropped` is part of EventSink, but users write sinks). */
function droppedBy(sink: EventSink): number {
  return typeof sink.dropped === 'number' && Number.isFinite(sink.dropped) ? sink.dropped : 0;
}

/** How a sink is told apart: its `name`, else its file (`path`), else `#N`, its place among the registry's sinks. */
function sinkIdentity(sink: EventSink, index: number): { label: string; by: 'name' | 'path' | 'place' } {
  if (typeof sink.name === 'string') return { label: sink.name, by: 'name' };
  const { path } = sink as { path?: unknown };
  return typeof path === 'string' ? { label: path, by: 'path' } : { label: `#${index + 1}`, by: 'place' };
}

/** A sink as a warning names it. */
function sinkName(sink: EventSink, index: number): string {
  const { label, by } = sinkIdentity(sink, index);
  if (by === 'name') return `event sink ${JSON.stringify(label)}`;
  return `event sink ${label}${by === 'place' ? ' (in the order added, without a name)' : ''}`;
}
