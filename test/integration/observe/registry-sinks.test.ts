import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import type { BreakerEvent } from '../../../src/registry/event';
import { createDuckDbSink } from '../../../src/observe/sinks/duckdb';
import { createJsonlSink } from '../../../src/observe/sinks/jsonl';
import { Registry } from '../../../src/registry/registry';
import { removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);

describe('sinks behind a registry', () => {
  it('receive the same transitions and tuning events in JSONL and DuckDB', async () => {
    const folder = tempFolder('registry-sinks');
    const clock = new ManualClock(1_000_000);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const jsonl = createJsonlSink({ path: join(folder, 'events.jsonl') });
    const duck = await createDuckDbSink({ path: join(folder, 'history.duckdb') });
    registry.addSink(jsonl);
    registry.addSink(duck);

    const breaker = registry.endpointBreaker('https://payments.example/charge', {
      failureThreshold: 2,
      recoveryTimeout: 5_000,
      labels: { team: 'billing' },
    });
    for (let i = 0; i < 2; i++)
      expect(() =>
        breaker.executeSync(() => {
          throw new Error('503');
        }),
      ).toThrow('503');
    clock.advance(5_000);
    breaker.executeSync(() => 'ok');
    registry.configure('endpoint', { failureRateThreshold: 30 });
    await registry.shutdown();

    const fromFile = readFileSync(jsonl.path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BreakerEvent);
    expect(fromFile.map((e) => [e.event_type, e.state])).toEqual([
      ['transition', 'open'],
      ['transition', 'half-open'],
      ['transition', 'closed'],
      ['tuning', 'closed'],
    ]);
    expect(fromFile[0]).toMatchObject({
      breaker: 'https://payments.example/charge',
      kind: 'endpoint',
      labels: { team: 'billing' },
      timestamp: 1_000_000,
    });
    expect(fromFile[3].thresholds.failureRateThreshold).toBe(30);
    expect(fromFile[3].detail).toMatchObject({ changed: { failureRateThreshold: { before: 0, after: 30 } } });
    expect(fromFile).toEqual(registry.recent());

    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(duck.path);
    const connection = await instance.connect();
    const rows = (
      await connection.runAndReadAll(
        `SELECT event_type, state, detail->>'reason' AS reason, thresholds.failureRateThreshold AS rate FROM circuit_breaker_metrics ORDER BY "timestamp", rowid`,
      )
    ).getRowObjectsJson();
    // The table holds what the file holds, field for field.
    expect(rows).toEqual(
      fromFile.map((e) => ({
        event_type: e.event_type,
        state: e.state,
        reason: (e.detail?.reason as string | undefined) ?? null,
        rate: e.thresholds.failureRateThreshold,
      })),
    );
    expect(rows.map((row) => row.reason).slice(0, 3)).toEqual([
      'consecutive-failures',
      'recovery-timeout',
      'probe-success',
    ]);
    connection.closeSync();
    instance.closeSync();
    expect(jsonl.dropped + duck.dropped).toBe(0);
  });
});
