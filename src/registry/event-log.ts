import { RepeatedFailure } from '../repeated-failure';
import { Emitter, type Disposer } from '../events';
import type { BreakerEvent, EventSink } from './event';
import { MemoryRing, type RecentQuery } from './memory-ring';

/**
 * A registry's event history: the in-memory ring, listeners that hear each event as it happens,
 * and sinks that get them in batches on the tick. Past `maxPending` events waiting for the sinks,
 * new ones are dropped and counted (the ring and the listeners still get them).
 */
export class EventLog {
  private readonly ring: MemoryRing;
  /** Each sink, and its failed writes: one that fails every write (a full disk) warns once, not ten times a second. */
  private readonly sinks = new Map<EventSink, RepeatedFailure>();
  private readonly emitter = new Emitter<{ event: BreakerEvent }>();
  private pending: BreakerEvent[] = [];
  /** Events the sinks never got because too many were waiting. */
  dropped = 0;

  constructor(
    ringSize: number,
    private readonly maxPending: number,
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
    if (!this.sinks.has(sink)) this.sinks.set(sink, new RepeatedFailure());
    return () => void this.sinks.delete(sink);
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

  /** Hands the waiting events to every sink; a sink that throws becomes a process warning (see RepeatedFailure). */
  deliver(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const [sink, failures] of this.sinks) {
      let warning: string | undefined;
      try {
        sink.write(batch);
        const failed = failures.worked();
        if (failed > 0) warning = `an event sink writes again, after ${failed} failed write${failed === 1 ? '' : 's'}`;
      } catch (error) {
        const why = failures.failed(error, performance.now());
        if (why !== undefined) warning = `an event sink threw on write: ${why}`;
      }
      if (warning !== undefined) process.emitWarning(`breakwater: ${warning}`, { code: 'BREAKWATER_SINK_ERROR' });
    }
  }

  async flush(): Promise<void> {
    this.deliver();
    await Promise.all([...this.sinks.keys()].map((sink) => sink.flush()));
  }

  /** Closes and forgets every sink. */
  async close(): Promise<void> {
    await Promise.all([...this.sinks.keys()].map((sink) => sink.close()));
    this.sinks.clear();
  }
}
