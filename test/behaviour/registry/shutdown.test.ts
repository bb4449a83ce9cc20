import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Registry, type BreakerEvent, type EventSink } from '../../../src/index';

class Sink implements EventSink {
  written: BreakerEvent[] = [];
  dropped = 0;
  closed = false;
  constructor(
    readonly name?: string,
    private readonly stuck = false,
  ) {}
  write(events: readonly BreakerEvent[]): void {
    this.written.push(...events);
  }
  flush(): Promise<void> {
    return this.stuck ? new Promise(() => {}) : Promise.resolve();
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const warnings: string[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning.message);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

/** Whether a promise has settled once the pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('shutdown with a sink that never finishes', () => {
  it('settles after sinkTimeoutMs, names the stuck sink in a warning and closes the others', async () => {
    process.on('warning', onWarning);
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const healthy = new Sink('local');
    const stuck = new Sink('remote-collector', true);
    registry.addSink(healthy);
    registry.addSink(stuck);
    registry.endpointBreaker('a').forceOpen();

    const shutdown = registry.shutdown();
    expect(await settled(shutdown)).toBe(false);
    expect(healthy.closed).toBe(true);
    expect(healthy.written.map((event) => event.event_type)).toEqual(['transition']);
    clock.advance(1999);
    expect(await settled(shutdown)).toBe(false);
    clock.advance(1);
    await shutdown;
    // A second shutdown is the same one, already settled.
    expect(await settled(registry.shutdown())).toBe(true);
    expect(warnings).toEqual([
      'breakwater: the flush and close of event sink "remote-collector" did not settle within 2000 ms (Registry option sinkTimeoutMs); going on without it',
    ]);
  });

  it('bounds flush() too, naming a sink by its path or its place when it has no name', async () => {
    process.on('warning', onWarning);
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0, sinkTimeoutMs: 250 });
    registry.addSink(new Sink());
    registry.addSink(new Sink(undefined, true));
    registry.addSink(Object.assign(new Sink(undefined, true), { path: '/mnt/nfs/events.jsonl' }));
    const flush = registry.flush();
    clock.advance(250);
    await flush;
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([
      'breakwater: the flush of event sink #2 (in the order added, without a name), event sink /mnt/nfs/events.jsonl did not settle within 250 ms (Registry option sinkTimeoutMs); going on without them',
    ]);
    expect(() => new Registry({ sinkTimeoutMs: 0 })).toThrow(/sinkTimeoutMs/);
  });
});
