import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HISTORY_FEATURES, loadEventHistory, trainingSetFromEvents } from '../../../src/adaptive/event-history';
import type { BreakerEvent } from '../../../src/registry/event';
import type { StateName } from '../../../src/state';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { createDuckDbSink } from '../../../src/observe/sinks/duckdb';

const dir = mkdtempSync(join(tmpdir(), 'breakwater-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-11-22T06:00:00Z');

/** An event as the registry's history writes it; by default a window summary (one every 5 s here). */
function event(
  breaker: string,
  second: number,
  failureRate: number,
  state: StateName = 'closed',
  type: BreakerEvent['event_type'] = 'window',
): BreakerEvent {
  return {
    timestamp: T0 + second * 1000,
    breaker,
    kind: 'endpoint',
    labels: { hardware: 'gpu' },
    event_type: type,
    state,
    thresholds: { failureRateThreshold: 50, failureThreshold: 5, slowCallRateThreshold: 0, minimumCalls: 10 },
    timeouts: { timeout: 0, recoveryTimeout: 30_000, halfOpenTimeout: 10_000, slowCallDuration: 0 },
    counts: {
      calls: 100,
      successes: Math.round(100 * (1 - failureRate)),
      failures: Math.round(100 * failureRate),
      rejections: 0,
      timeouts: 1,
      slowCalls: 2,
    },
    rates: { failureRate, slowCallRate: 0.02, rejectionRate: 0 },
    latency: { p50: 10 + 20 * failureRate, p90: 20, p99: 40 + 100 * failureRate },
    probability: null,
    detail: null,
  };
}

/** api: healthy, then failing from 60 s (crossing 50% at 75 s, trip), recovered later. db: always healthy. */
function scriptedHistory(): BreakerEvent[] {
  const events: BreakerEvent[] = [];
  for (let s = 0; s <= 150; s += 5) {
    const rate = s < 60 ? 0.02 : s < 75 ? 0.1 + (s - 60) * 0.025 : s < 100 ? 0.6 : 0.01;
    events.push(event('api', s, rate, s >= 75 && s < 100 ? 'open' : 'closed'));
    events.push(event('db', s, 0.01));
  }
  // Transitions carry rates too; only window summaries become rows.
  events.push(event('api', 75, 0.6, 'open', 'transition'));
  events.push(event('api', 100, 0.6, 'closed', 'transition'));
  // Shuffled: the loader orders events by time per breaker.
  return events.reverse();
}

describe('labelled windows from event history', () => {
  it('labels closed windows by whether the failure rate crosses the threshold within H seconds', () => {
    const set = trainingSetFromEvents(scriptedHistory(), { horizonSeconds: 20 });
    expect(set.featureList).toBe(HISTORY_FEATURES);
    const width = HISTORY_FEATURES.features.length;
    expect(set.features.length).toBe(set.rowCount * width);
    // api: closed windows at 0..70 s and 100..130 s (the last 20 s are censored when negative);
    // positives are the windows 55..70 s, at most 20 s before the crossing at 75 s.
    // db: 0..130 s, all negative.
    const rows = Array.from({ length: set.rowCount }, (_, r) => ({
      rate: set.features[r * width],
      label: set.labels[r],
    }));
    expect(set.rowCount).toBe(15 + 7 + 27);
    expect(rows.filter((r) => r.label === 1)).toHaveLength(4);
    expect(rows.filter((r) => r.label === 1).map((r) => r.rate)).toEqual([0.02, 0.1, 0.225, 0.35].map(Math.fround));
    const seconds = HISTORY_FEATURES.features.indexOf('seconds_since_transition');
    const afterRecovery = rows.findIndex((r, i) => r.label === 0 && set.features[i * width + seconds] === 0);
    expect(afterRecovery).toBeGreaterThan(0);
  });

  it('reads a JSONL file (ISO or ms timestamps, blank lines) and trains on it', async () => {
    const file = join(dir, 'events.jsonl');
    const events = [];
    // Many breakers with the same script shifted in time, so there is enough to learn from.
    for (let b = 0; b < 30; b++)
      for (const e of scriptedHistory())
        events.push({ ...e, breaker: `${e.breaker}-${b}`, timestamp: e.timestamp + b * 7000 });
    // Files written elsewhere may carry ISO-8601 timestamps.
    const line = (e: BreakerEvent, i: number) =>
      JSON.stringify(i % 2 === 0 ? e : { ...e, timestamp: new Date(e.timestamp).toISOString() });
    writeFileSync(file, events.map(line).join('\n') + '\n\n');
    const set = await loadEventHistory(file, { horizonSeconds: 20 });
    expect(set.rowCount).toBe(30 * 49);
    const model = trainGbdt(set, { validationFraction: 0, rounds: 20 });
    expect(model.trees.length).toBe(20);
  });

  it('takes your own features through featureList + extract', () => {
    const featureList = { name: 'custom', version: 3, features: ['p99', 'failures'] };
    const set = trainingSetFromEvents(scriptedHistory(), {
      horizonSeconds: 20,
      featureList,
      extract: ({ now }) => [now.latency?.p99 ?? Number.NaN, now.counts?.failures ?? Number.NaN],
    });
    expect(set.featureList).toEqual(featureList);
    expect(set.features.length).toBe(set.rowCount * 2);
  });

  it('bad files and options get errors that name them', async () => {
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, `${JSON.stringify(event('a', 0, 0))}\n{"timestamp": 1, "breaker": "a", "event_ty\n`);
    await expect(loadEventHistory(broken, { horizonSeconds: 10 })).rejects.toThrow(/broken.jsonl line 2 is not JSON/);
    const noBreaker = join(dir, 'no-breaker.jsonl');
    writeFileSync(noBreaker, `${JSON.stringify({ ...event('a', 0, 0), breaker: '' })}\n`);
    await expect(loadEventHistory(noBreaker, { horizonSeconds: 10 })).rejects.toThrow(
      /no-breaker.jsonl line 1: breaker must be a non-empty string/,
    );
    await expect(loadEventHistory(join(dir, 'absent.jsonl'), { horizonSeconds: 10 })).rejects.toThrow(
      /event history .*absent.jsonl: no such file/,
    );
    // A DuckDB sink's file: before, "line 1 is not JSON: Unexpected token".
    const duckdb = join(dir, 'history.duckdb');
    await (await createDuckDbSink({ path: duckdb })).close();
    await expect(loadEventHistory(duckdb, { horizonSeconds: 10 })).rejects.toThrow(
      /history.duckdb is a DuckDB database, not JSON lines: .*`breakwater train --from` and `breakwater dashboard --history` read both/,
    );
    await expect(loadEventHistory(dir, { horizonSeconds: 10 })).rejects.toThrow(
      `breakwater/adaptive: event history ${dir} is a folder; name a JSONL or .duckdb event history file`,
    );
    expect(() =>
      trainingSetFromEvents([{ ...event('a', 0, 0), timestamp: 'yesterday' as never }], { horizonSeconds: 10 }),
    ).toThrow(/events\[0\]: timestamp must be ms since the epoch or an ISO-8601 string, got "yesterday"/);
    expect(() => trainingSetFromEvents([], { horizonSeconds: 0 })).toThrow(
      /option horizonSeconds must be a positive number/,
    );
    expect(() => trainingSetFromEvents([], { horizonSeconds: 5, extract: () => [] })).toThrow(
      /featureList and options.extract go together/,
    );
    expect(() =>
      trainingSetFromEvents(scriptedHistory(), {
        horizonSeconds: 5,
        featureList: { name: 'x', version: 1, features: ['a'] },
        extract: () => [1, 2],
      }),
    ).toThrow(/extract returned 2 values .* expected 1 \(x@1\)/);
  });
});
