import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { bridgeToOpenTelemetry } from '../../../src/observe/opentelemetry';
import { Registry } from '../../../src/registry/registry';
import type { BreakerEvent, EventSink } from '../../../src/registry/event';

/** A reader collected on demand (the SDK's base class does the work). */
class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

async function collect(reader: OnDemandReader): Promise<Map<string, DataPoint<number>[]>> {
  const { resourceMetrics } = await reader.collect();
  const byName = new Map<string, DataPoint<number>[]>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric.dataPoints as DataPoint<number>[]);
  return byName;
}

function setup(maxBreakers?: number) {
  const registry = new Registry({ clock: new ManualClock(0) });
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const bridge = bridgeToOpenTelemetry(
    registry,
    provider.getMeter('test'),
    maxBreakers === undefined ? {} : { maxBreakers },
  );
  return { registry, reader, bridge };
}

describe('OpenTelemetry bridge', () => {
  it('observes state, calls by outcome, latency, health and probability per breaker', async () => {
    const { registry, reader, bridge } = setup();
    const gpu = registry.hardwareBreaker('gpu', { failureThreshold: 2 });
    for (let i = 0; i < 3; i++) gpu.executeSync(() => i);
    for (let i = 0; i < 2; i++)
      expect(() =>
        gpu.executeSync(() => {
          throw new Error('down');
        }),
      ).toThrow();
    gpu.attempt(() => 1);
    registry.setProbability('hardware', 'gpu', 0.42, { record: false });
    const metrics = await collect(reader);
    expect(bridge.instrumentNames).toEqual([
      'breakwater.circuit.state',
      'breakwater.calls',
      'breakwater.latency',
      'breakwater.health',
      'breakwater.trip.probability',
      'breakwater.events.dropped',
    ]);
    expect(metrics.get('breakwater.circuit.state')).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: { hardware: 'gpu', name: 'gpu', kind: 'hardware', state: 'open' },
      }),
    ]);
    const calls = Object.fromEntries(metrics.get('breakwater.calls')!.map((p) => [p.attributes.outcome, p.value]));
    expect(calls).toEqual({ success: 3, failure: 2, rejection: 1, timeout: 0, slow: 0 });
    expect(metrics.get('breakwater.health')![0].value).toBe(0);
    expect(metrics.get('breakwater.trip.probability')![0].value).toBeCloseTo(0.42);
    expect(bridge.lastCollection).toEqual({ mode: 'per-breaker', exported: 1, omitted: 0 });
    bridge.dispose();
    gpu.close();
    const after = (await collect(reader)).get('breakwater.circuit.state') ?? [];
    expect(after.some((p) => p.value === 0)).toBe(false); // no longer observed: the close is not seen
  });

  it('observes the history events lost on the way to the sinks, by stage and sink', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0, maxPendingEvents: 2 });
    const reader = new OnDemandReader();
    bridgeToOpenTelemetry(registry, new MeterProvider({ readers: [reader] }).getMeter('test'));
    // A sink as users write one, without a name: it refuses every event (a closed database).
    const closed = new (class implements EventSink {
      dropped = 0;
      write(batch: readonly BreakerEvent[]): void {
        this.dropped += batch.length;
      }
      async flush(): Promise<void> {}
      async close(): Promise<void> {}
    })();
    registry.addSink(closed);
    registry.workerBreaker('w');
    for (let i = 0; i < 3; i++) registry.recordEvent('worker', 'w', 'recovery', { attempt: i });
    await registry.flush();
    const points = (await collect(reader)).get('breakwater.events.dropped')!;
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{ stage: 'queue' }, 1],
      [{ stage: 'sink', sink: '#1' }, 2],
    ]);
  });
  it('observes only the least healthy breakers above maxBreakers, and refuses a non-meter', async () => {
    const { registry, reader, bridge } = setup(2);
    for (let i = 0; i < 5; i++) registry.workerBreaker(`w${i}`, { failureThreshold: 1 });
    registry.forceOpen('worker', 'w3');
    const states = (await collect(reader)).get('breakwater.circuit.state')!;
    expect(states).toHaveLength(2);
    expect(states.map((p) => p.attributes.name)).toContain('w3');
    expect(bridge.lastCollection).toEqual({ mode: 'top-n', exported: 2, omitted: 3 });
    expect(() => bridgeToOpenTelemetry(registry, {} as never)).toThrow(/needs a Meter from @opentelemetry\/api/);
  });

  it('refuses a prefix that makes names OpenTelemetry does not accept, naming the option', () => {
    const { registry } = setup();
    const meter = new MeterProvider({ readers: [new OnDemandReader()] }).getMeter('test');
    // Before, "my app " became "my app circuit.state": some SDKs drop such an instrument, this one passed it on.
    for (const prefix of ['my app ', '9svc.', 7])
      expect(() => bridgeToOpenTelemetry(registry, meter, { prefix: prefix as string })).toThrow(
        /OpenTelemetry option "prefix" must start instrument names that OpenTelemetry accepts/,
      );
    for (const prefix of ['', 'svc.', 'svc/breakers_'])
      expect(bridgeToOpenTelemetry(registry, meter, { prefix }).instrumentNames[0]).toBe(`${prefix}circuit.state`);
  });
});
