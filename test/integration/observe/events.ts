import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BreakerEvent, BreakerEventType } from '../../../src/registry/event';

/** A history event with every field of the fixed schema set, numbered by `i` so rows can be told apart. */
export function makeEvent(i: number, overrides: Partial<BreakerEvent> = {}): BreakerEvent {
  const type: BreakerEventType = (['transition', 'window', 'tuning', 'prediction'] as const)[i % 4];
  return {
    timestamp: 1_700_000_000_000 + i,
    breaker: `svc-${i % 7}`,
    kind: i % 2 === 0 ? 'endpoint' : 'worker',
    labels: { region: 'eu-west', shard: String(i % 3) },
    event_type: type,
    state: i % 5 === 0 ? 'open' : 'closed',
    thresholds: {
      failureThreshold: 5,
      failureRateThreshold: 50 + (i % 10),
      slowCallRateThreshold: 0,
      minimumCalls: 10,
    },
    timeouts: { timeout: 2000, recoveryTimeout: 10_000 + i, halfOpenTimeout: 0, slowCallDuration: 1000 },
    counts: { calls: i, successes: i - (i % 3), failures: i % 3, rejections: 0, timeouts: 0, slowCalls: 1 },
    rates: { failureRate: 0.25, slowCallRate: 0.125, rejectionRate: 0 },
    latency: { p50: 1.5, p90: i % 2 === 0 ? 9 : null, p99: i % 2 === 0 ? 30 : null },
    probability: type === 'prediction' ? 0.75 : null,
    detail:
      type === 'tuning'
        ? { changed: { failureRateThreshold: { before: 50, after: 50 + (i % 10) } }, by: 'tuner' }
        : null,
    ...overrides,
  };
}

export const makeEvents = (from: number, count: number): BreakerEvent[] =>
  Array.from({ length: count }, (_, k) => makeEvent(from + k));

const folders: string[] = [];

/** A new folder under the OS temp folder; removeTempFolders() deletes them all. */
export function tempFolder(name: string): string {
  const folder = mkdtempSync(join(tmpdir(), `breakwater-${name}-`));
  folders.push(folder);
  return folder;
}

/** Deletes every folder tempFolder() made (call it in afterAll). */
export function removeTempFolders(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** Bundles a source module to CommonJS so a child process can require it (node 20 runs no TypeScript). */
export function bundleForChild(source: string, folder: string): string {
  const outfile = join(folder, 'bundle.cjs');
  buildSync({
    entryPoints: [resolve(__dirname, '../../..', source)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}
