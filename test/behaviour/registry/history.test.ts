import { describe, expect, it } from 'vitest';
import { CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { ManualClock, Registry, type BreakerEvent, type EventSink } from '../../../src/index';
import { fail, succeed } from '../helpers';

class CollectingSink implements EventSink {
  batches: BreakerEvent[][] = [];
  dropped = 0;
  closed = false;
  write(events: readonly BreakerEvent[]): void {
    this.batches.push([...events]);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('registry event history', () => {
  it('records every transition with the fixed schema', () => {
    const clock = new ManualClock(5000);
    const registry = new Registry({ clock });
    const breaker = registry.endpointBreaker('https://model', {
      failureThreshold: 2,
      recoveryTimeout: 1000,
      labels: { region: 'eu' },
    });
    succeed(breaker, 3);
    fail(breaker, 2);
    const [event] = registry.recent({ event_type: 'transition' });
    expect(event).toEqual({
      timestamp: 5000,
      breaker: 'https://model',
      kind: 'endpoint',
      labels: { region: 'eu' },
      event_type: 'transition',
      state: 'open',
      thresholds: { failureThreshold: 2, failureRateThreshold: 0, slowCallRateThreshold: 0, minimumCalls: 10 },
      timeouts: { timeout: 0, recoveryTimeout: 1000, halfOpenTimeout: 60_000, slowCallDuration: 0 },
      counts: { calls: 5, successes: 3, failures: 2, rejections: 0, timeouts: 0, slowCalls: 0 },
      rates: { failureRate: 0.4, slowCallRate: 0, rejectionRate: 0 },
      latency: expect.objectContaining({}),
      probability: null,
      detail: { from: 'closed', to: 'open', reason: 'consecutive-failures', generation: 1 },
    });
    clock.advance(1000);
    succeed(breaker);
    expect(
      registry.recent({ event_type: 'transition' }).map((e) => `${(e.detail as { from: string }).from}->${e.state}`),
    ).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('records tuning changes, predictions and events of other wings', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    registry.workerBreaker('w');
    registry.configure('worker', { failureThreshold: 3 });
    registry.setProbability('worker', 'w', 0.8, { detail: { model: 'v1' } });
    registry.setProbability('worker', 'w', 0.8, { record: false });
    registry.recordEvent('worker', 'w', 'recovery', { action: 'switch-worker' });
    const [tuning, prediction, recovery] = registry.recent({ kind: 'worker' });
    expect(tuning).toMatchObject({
      event_type: 'tuning',
      detail: { changed: { failureThreshold: { before: 5, after: 3 } } },
      thresholds: { failureThreshold: 3 },
    });
    expect(prediction).toMatchObject({ event_type: 'prediction', probability: 0.8, detail: { model: 'v1' } });
    expect(recovery).toMatchObject({ event_type: 'recovery', probability: 0.8, detail: { action: 'switch-worker' } });
    expect(registry.breakerHealth('worker', 'w')?.probability).toBe(0.8);
    expect(() => registry.setProbability('worker', 'w', 1.5)).toThrow(/must be a number from 0 to 1/);
  });

  it('writes window summaries of busy breakers on the tick, and hands sinks batches', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 1000 });
    const sink = new CollectingSink();
    const live: string[] = [];
    registry.onEvent((event) => live.push(event.event_type));
    registry.addSink(sink);
    const busy = registry.workerBreaker('busy');
    registry.workerBreaker('idle');
    succeed(busy, 10);
    registry.tick();
    expect(sink.batches).toEqual([]); // not due yet
    clock.advance(1000);
    registry.tick();
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0].map((e) => [e.event_type, e.breaker, e.counts.successes])).toEqual([['window', 'busy', 10]]);
    // The summary carries the breaker's early-warning feature row, for training on the history.
    expect(sink.batches[0][0].detail).toMatchObject({ featureList: 'breakwater.core@10', features: expect.any(Array) });
    expect((sink.batches[0][0].detail as { features: unknown[] }).features).toHaveLength(CORE_FEATURE_COUNT);
    clock.advance(1000);
    registry.tick(); // nothing happened since: no summary
    expect(sink.batches).toHaveLength(1);
    expect(live).toEqual(['window']);
    await registry.shutdown();
    expect(sink.closed).toBe(true);
    expect(registry.tick()).toBe(false);
  });

  it('drops and counts events when the sinks fall behind, never growing without bound', () => {
    const registry = new Registry({ clock: new ManualClock(0), maxPendingEvents: 3 });
    registry.addSink(new CollectingSink());
    registry.workerBreaker('w');
    for (let i = 0; i < 5; i++) registry.recordEvent('worker', 'w', 'recovery', { attempt: i });
    expect(registry.droppedEvents).toBe(2);
    expect(registry.recent({ limit: 10 })).toHaveLength(5); // the ring keeps its own copy
  });

  it('a sink that fails every write (a full disk) warns once, and once more when it writes again', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const sink = new CollectingSink();
    let full = true;
    const write = sink.write.bind(sink);
    sink.write = (events) => {
      if (full) throw new Error('ENOSPC: no space left on device');
      write(events);
    };
    registry.addSink(sink);
    registry.workerBreaker('w');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    for (let tick = 0; tick < 50; tick++) {
      registry.recordEvent('worker', 'w', 'recovery', { tick });
      clock.advance(100); // a tick hands the waiting event to the sink
    }
    full = false;
    registry.recordEvent('worker', 'w', 'recovery', { tick: 50 });
    clock.advance(100);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    // Before, 50 warnings: one a tick, ten a second.
    expect(warnings.filter((w) => w.includes('event sink'))).toEqual([
      'breakwater: an event sink threw on write: ENOSPC: no space left on device',
      'breakwater: an event sink writes again, after 50 failed writes',
    ]);
    expect(sink.batches.flat()).toHaveLength(1);
    await registry.shutdown();
  });

  it('the in-memory ring keeps the newest events and filters', () => {
    const registry = new Registry({ clock: new ManualClock(0), ringSize: 3 });
    registry.workerBreaker('a');
    registry.workerBreaker('b');
    for (let i = 0; i < 4; i++) registry.recordEvent('worker', i % 2 ? 'a' : 'b', 'recovery', { i });
    expect(registry.recent().map((e) => e.detail)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect(registry.recent({ breaker: 'a' }).map((e) => e.detail)).toEqual([{ i: 1 }, { i: 3 }]);
    expect(registry.recent({ limit: 1 }).map((e) => e.detail)).toEqual([{ i: 3 }]);
    expect(() => new Registry({ ringSize: 0 })).toThrow(/option "ringSize" must be an integer/);
    expect(() => new Registry({ summaryEveryMs: -1 })).toThrow(/option "summaryEveryMs"/);
  });

  it('records who changed a breaker and why', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const breaker = registry.workerBreaker('w');
    registry.reconfigure(
      'worker',
      'w',
      { recoveryTimeout: 20_000 },
      { source: 'tuner', reason: 'recoveries take about 20 s' },
    );
    breaker.reconfigure({ failureThreshold: 9 });
    registry.configure('worker', { halfOpenTimeout: 5000 });
    expect(registry.recent({ event_type: 'tuning' }).map((e) => e.detail)).toEqual([
      {
        changed: { recoveryTimeout: { before: 60_000, after: 20_000 } },
        source: 'tuner',
        reason: 'recoveries take about 20 s',
      },
      { changed: { failureThreshold: { before: 5, after: 9 } }, source: 'user', reason: 'reconfigure()' },
      {
        changed: { halfOpenTimeout: { before: 60_000, after: 5000 } },
        source: 'configure',
        reason: 'configure("worker")',
      },
    ]);
  });
});

describe('registry control tasks', () => {
  it('runs scheduled work on the tick at its interval, never two runs at once', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const runs: number[] = [];
    let finish: () => void = () => {};
    const stop = registry.schedule('slow', 1000, (now) => {
      runs.push(now);
      return new Promise<void>((resolve) => (finish = resolve));
    });
    registry.tick();
    expect(runs).toEqual([]);
    clock.advance(1000);
    registry.tick();
    clock.advance(1000);
    registry.tick(); // the first run has not finished
    expect(runs).toEqual([1000]);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    registry.tick();
    expect(runs).toEqual([1000, 2000]);
    stop();
    clock.advance(5000);
    registry.tick();
    expect(runs).toHaveLength(2);
    expect(() => registry.schedule('bad', 0, () => {})).toThrow(/"bad: everyMs" must be an integer from 1/);
  });

  it('a failing task warns of its first failure and each new one, of a repeat every 10 min with its count, and of working again', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    let runs = 0;
    let why = 'model missing';
    registry.schedule('flaky', 60_000, () => {
      runs++;
      if (why !== '') throw new Error(why);
    });
    const minutes = (count: number) => {
      for (let i = 0; i < count; i++) clock.advance(60_000); // the registry ticks on its clock
    };
    minutes(3); // the same failure: one warning, not one a round (a round a second was 3,600 lines an hour)
    why = 'model file truncated';
    minutes(11); // a new message warns at once; the same failure ten minutes on, again, with its count
    why = '';
    minutes(2); // working again: said once
    expect(runs).toBe(16);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next turn
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.includes('registry task "flaky"'))).toEqual([
      'breakwater: registry task "flaky" failed: model missing',
      'breakwater: registry task "flaky" failed: model file truncated',
      'breakwater: registry task "flaky" failed: model file truncated (10 times in the last 10 min)',
      'breakwater: registry task "flaky" works again, after 14 failed runs',
    ]);
  });
});
