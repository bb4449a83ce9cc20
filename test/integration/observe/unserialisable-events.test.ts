import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { createJsonlSink } from '../../../src/observe/sinks/jsonl';
import { startDashboard, type RunningDashboard } from '../../../src/observe/dashboard/server';
import { Registry } from '../../../src/registry/registry';
import { makeEvent, removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);
const running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

/** A detail that passed recordEvent()'s check and was given a cycle afterwards. */
function recordThenCycle(registry: Registry): void {
  const detail: Record<string, unknown> = { action: 'failover', target: {} };
  registry.recordEvent('endpoint', 'payments', 'recovery', detail);
  (detail.target as Record<string, unknown>).parent = detail;
}

describe('an event that cannot be serialised', () => {
  it('is dropped and counted by the JSONL sink, which writes the rest of its batch', async () => {
    const path = join(tempFolder('unserialisable'), 'events.jsonl');
    const sink = createJsonlSink({ path });
    const bad = makeEvent(2, { detail: { bytes: 10n } as unknown as Record<string, unknown> });
    sink.write([makeEvent(1), bad, makeEvent(3)]);
    await sink.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([makeEvent(1), makeEvent(3)]);
    expect(sink.written).toBe(2);
    expect(sink.dropped).toBe(1);
    expect(sink.lastError?.message).toMatch(
      /the tuning event of endpoint "svc-2" at 1700000000002 cannot be serialised to JSON \(Do not know how to serialize a BigInt\); it was dropped/,
    );
  });

  it('behind a registry, loses neither the process nor the transition before it', async () => {
    const path = join(tempFolder('unserialisable'), 'events.jsonl');
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    const sink = createJsonlSink({ path });
    registry.addSink(sink);
    registry.endpointBreaker('payments').forceOpen();
    recordThenCycle(registry);
    await registry.shutdown();
    const types = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event_type: string }).event_type);
    expect(types).toEqual(['transition']);
    expect(sink.dropped).toBe(1);
  });

  it('is left out of the history API (200, counted in skipped) and of the live stream, which goes on', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    registry.endpointBreaker('payments').executeSync(() => 1);
    const dashboard = await startDashboard({ registry, port: 0 });
    running.push(dashboard);
    const base = dashboard.url.replace(/circuit-breakers$/, '');
    const response = await fetch(`${base}circuit-breakers/events`);
    const reader = response.body!.getReader();
    let text = '';
    const until = async (pattern: RegExp): Promise<RegExpExecArray> => {
      for (;;) {
        const found = pattern.exec(text);
        if (found !== null) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += Buffer.from(value).toString();
      }
    };
    await until(/event: overview\n/);
    recordThenCycle(registry);
    registry.forceOpen('endpoint', 'payments');
    const [, data] = await until(/event: breaker-events\ndata: (.*)\n\n/);
    const batch = JSON.parse(data) as { events: Array<{ event_type: string }>; skipped: number };
    expect(batch.events.map((event) => event.event_type)).toEqual(['transition']);
    expect(batch.skipped).toBe(1);
    await reader.cancel();

    const history = await fetch(`${base}api/circuit-breakers/history`);
    expect(history.status).toBe(200);
    const body = (await history.json()) as { events: Array<{ event_type: string }>; skipped: number };
    expect(body.events.map((event) => event.event_type)).toEqual(['transition']);
    expect(body.skipped).toBe(1);
  });
});
