import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index';
import { ManualClock } from '../../../src/clock';
import { runDashboardCommand } from '../../../src/cli/dashboard';
import type { RunningDashboard } from '../../../src/observe/dashboard/server';
import type { EventSink } from '../../../src/registry/event';
import { createDuckDbSink } from '../../../src/observe/sinks/duckdb';
import { createJsonlSink } from '../../../src/observe/sinks/jsonl';
import type { BreakerHealth } from '../../../src/registry/health';
import { Registry } from '../../../src/registry/registry';
import { removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);
const running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

/** Records a small history through a real registry: a healthy endpoint, a worker that trips, a retune. */
async function recordHistory(sink: EventSink): Promise<void> {
  const clock = new ManualClock(1_700_000_000_000);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  registry.addSink(sink);
  const api = registry.endpointBreaker('https://api.example/orders');
  for (let i = 0; i < 10; i++) api.executeSync(() => i);
  clock.advance(1000);
  const worker = registry.workerBreaker('resize-1', { failureThreshold: 2, recoveryTimeout: 600_000 });
  for (let i = 0; i < 2; i++) {
    expect(() =>
      worker.executeSync(() => {
        throw new Error('down');
      }),
    ).toThrow('down');
  }
  clock.advance(1000);
  registry.configure('endpoint', { failureRateThreshold: 40 });
  await registry.shutdown();
  await sink.close();
}

/** An in-memory io for main(). */
function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) } },
  };
}

describe('breakwater dashboard', () => {
  it('without a source says how to give it one and exits non-zero', async () => {
    const run = io();
    expect(await main(['dashboard', '--port', '0'], run.io)).toBe(2);
    expect(run.out).toEqual([]);
    expect(run.err.join('')).toMatch(
      /^breakwater dashboard: nothing to show: this command runs no breakers of its own\. Give it a recorded history: breakwater dashboard --history events\.jsonl \(or events\.duckdb\)/,
    );
  });

  it('names a history file that does not exist, exiting non-zero', async () => {
    const run = io();
    const missing = join(tempFolder('history-missing'), 'nope.jsonl');
    expect(await main(['dashboard', '--history', missing, '--port', '0'], run.io)).toBe(2);
    expect(run.err.join('')).toContain(`event history ${missing}: no such file`);
  });

  for (const format of ['jsonl', 'duckdb'] as const) {
    it(`--history events.${format} serves the breakers, transitions and tuning it holds`, async () => {
      const path = join(tempFolder(`history-${format}`), `events.${format}`);
      await recordHistory(format === 'jsonl' ? createJsonlSink({ path }) : await createDuckDbSink({ path }));
      const lines: string[] = [];
      const dashboard = (await runDashboardCommand(['--history', path, '--port', '0'], {
        env: { BREAKWATER_DASHBOARD_TOKEN: 'a-token-of-enough-length' },
        print: (line) => lines.push(line),
      }))!;
      running.push(dashboard);
      expect(lines[0]).toMatch(
        new RegExp(
          `^breakwater dashboard: history .*events\\.${format}: 2 breakers, 2 events from 2023-11-14T22:13:21\\.000Z to 2023-11-14T22:13:22\\.000Z$`,
        ),
      );
      expect(lines).toContain('  control actions: off (a history is read-only)');
      const base = dashboard.url.replace(/circuit-breakers$/, '');
      const page = (await (await fetch(`${base}api/circuit-breakers`)).json()) as {
        total: number;
        items: BreakerHealth[];
        aggregate: { open: number; closed: number };
        healthyBreakers: unknown;
      };
      expect(page.total).toBe(2);
      expect(page.items.map((row) => [row.kind, row.name, row.state])).toEqual([
        ['endpoint', 'https://api.example/orders', 'closed'],
        ['worker', 'resize-1', 'open'],
      ]);
      expect(page.items[0].thresholds.failureRateThreshold).toBe(40);
      expect(page.aggregate).toMatchObject({ open: 1, closed: 1 });
      expect(page.healthyBreakers).toEqual({ healthy: 1, total: 2, percentage: 50 });
      const transitions = (await (await fetch(`${base}api/circuit-breakers/history?event_type=transition`)).json()) as {
        events: Array<{ breaker: string; detail: { from: string; to: string } }>;
      };
      expect(transitions.events.map((event) => [event.breaker, event.detail.from, event.detail.to])).toEqual([
        ['resize-1', 'closed', 'open'],
      ]);
      const tuning = (await (await fetch(`${base}api/circuit-breakers/history?event_type=tuning`)).json()) as {
        events: Array<{ breaker: string; detail: { changed: unknown } }>;
      };
      expect(tuning.events).toEqual([
        expect.objectContaining({
          breaker: 'https://api.example/orders',
          detail: expect.objectContaining({ changed: { failureRateThreshold: { before: 0, after: 40 } } }),
        }),
      ]);
      // Read-only: control actions are off.
      const control = await fetch(`${base}api/circuit-breakers/worker/resize-1/close`, {
        method: 'POST',
        headers: { Authorization: 'Bearer a-token-of-enough-length' },
      });
      expect(control.status).toBe(403);
    });
  }
});
