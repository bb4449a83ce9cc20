import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The built package (`npm run build:ts`), one core per child process. */
const main = resolve(__dirname, '../fixtures/hammer-main.mjs');

interface Seen {
  coreKind: string;
  successes: number;
  failures: number;
  rejections: number;
  opens: number;
  opensMadeElsewhere: number;
  transitions: number;
}

function hammer(core: 'native' | 'reference', threads: number, calls: number) {
  const env = { ...process.env, BREAKWATER_NATIVE: core === 'native' ? '1' : '0' };
  const out = execFileSync(process.execPath, [main, String(threads), String(calls)], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const { coreKind, metrics, results } = JSON.parse(out) as {
    coreKind: string;
    metrics: Record<string, number>;
    results: Seen[];
  };
  expect(coreKind).toBe(core);
  const sum = (key: keyof Seen) => results.reduce((total, seen) => total + (seen[key] as number), 0);
  return { metrics, results, sum };
}

describe('worker_threads share one breaker', () => {
  it('4 threads x 10^6 calls on the native core: exact totals, each trip made by one thread, announced by each at most once', () => {
    const { metrics, results, sum } = hammer('native', 4, 1_000_000);
    expect(results.every((r) => r.coreKind === 'native')).toBe(true);
    expect(sum('successes') + sum('failures') + sum('rejections')).toBe(4_000_000);
    expect(metrics.successes).toBe(sum('successes'));
    expect(metrics.failures).toBe(sum('failures'));
    expect(metrics.rejections).toBe(sum('rejections'));
    expect(metrics.totalCalls).toBe(sum('successes') + sum('failures'));
    expect(metrics.opens).toBeGreaterThan(1000); // it really tripped, many times
    expect(sum('opens')).toBe(metrics.opens); // each trip made by exactly one thread
    // The other threads announce it too, marked, each at most once (a thread that missed more than
    // the slot's history of 8 transitions announces the last 8).
    for (const seen of results) expect(seen.opens + seen.opensMadeElsewhere).toBeLessThanOrEqual(metrics.opens);
    expect(sum('opensMadeElsewhere')).toBeGreaterThan(0);
  });

  it('the reference core shares breakers between threads too', () => {
    const { metrics, sum } = hammer('reference', 2, 50_000);
    expect(metrics.successes).toBe(sum('successes'));
    expect(metrics.failures).toBe(sum('failures'));
    expect(metrics.rejections).toBe(sum('rejections'));
    expect(metrics.opens).toBeGreaterThan(10);
    expect(sum('opens')).toBe(metrics.opens);
    expect(sum('opensMadeElsewhere')).toBeGreaterThan(0);
  });
});
