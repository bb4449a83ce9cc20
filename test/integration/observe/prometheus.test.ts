import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { Registry as PromRegistry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { collectBreakwaterMetrics, prometheusLabelName } from '../../../src/observe/prometheus';
import { Registry } from '../../../src/registry/registry';
import type { BreakerEvent, EventSink } from '../../../src/registry/event';
import { removeTempFolders, tempFolder } from './events';
import { find, parseExposition } from './exposition';

afterAll(removeTempFolders);

const fail = (): never => {
  throw new Error('down');
};

/** A registry with breakers in known states: `a` healthy, `b` tripped, `c` forced open. */
function populated(): Registry {
  const registry = new Registry({ clock: new ManualClock(1_000), summaryEveryMs: 0 });
  // A slow-call rule makes the breaker time every call (on the manual clock a call takes 0 ms).
  const a = registry.getOrCreate('endpoint', 'a', {
    labels: { region: 'eu', 'app.version': '1.2' },
    failureThreshold: 3,
    recoveryTimeout: 30_000,
    slowCallRateThreshold: 90,
    slowCallDuration: 500,
  });
  for (let i = 0; i < 10; i++) a.executeSync(() => i);
  const b = registry.getOrCreate('worker', 'b', { labels: { region: 'us' }, failureThreshold: 2 });
  for (let i = 0; i < 2; i++) expect(() => b.executeSync(fail)).toThrow('down');
  expect(b.attempt(() => 1).ok).toBe(false);
  registry.getOrCreate('worker', 'c');
  registry.forceOpen('worker', 'c');
  registry.setProbability('worker', 'b', 0.875);
  return registry;
}

describe('Prometheus collector', () => {
  it("exports state, counters, health, probability and thresholds that parse back to the registry's figures", async () => {
    const registry = populated();
    const collector = collectBreakwaterMetrics(registry);
    const { samples, types } = parseExposition(await collector.register.metrics());
    const a = { name: 'a', kind: 'endpoint' };
    const b = { name: 'b', kind: 'worker' };
    expect(find(samples, 'breakwater_circuit_state', { ...b, state: 'open' })[0].value).toBe(1);
    expect(find(samples, 'breakwater_circuit_state', { ...b, state: 'closed' })[0].value).toBe(0);
    expect(find(samples, 'breakwater_circuit_state_code', b)[0].value).toBe(1);
    expect(find(samples, 'breakwater_circuit_state_code', { name: 'c', kind: 'worker' })[0].value).toBe(3);
    expect(find(samples, 'breakwater_calls_total', a)[0].value).toBe(10);
    expect(find(samples, 'breakwater_successes_total', a)[0].value).toBe(10);
    expect(find(samples, 'breakwater_failures_total', b)[0].value).toBe(2);
    expect(find(samples, 'breakwater_rejections_total', b)[0].value).toBe(1);
    expect(types.get('breakwater_calls_total')).toBe('counter');
    expect(types.get('breakwater_circuit_state')).toBe('gauge');
    expect(find(samples, 'breakwater_health_ratio', a)[0].value).toBe(1);
    expect(find(samples, 'breakwater_health_ratio', b)[0].value).toBe(0);
    expect(find(samples, 'breakwater_trip_probability', b)[0].value).toBe(0.875);
    expect(find(samples, 'breakwater_trip_probability', a)).toEqual([]);
    expect(find(samples, 'breakwater_threshold', { ...a, option: 'failureThreshold' })[0].value).toBe(3);
    expect(find(samples, 'breakwater_timeout_seconds', { ...a, option: 'recoveryTimeout' })[0].value).toBe(30);
    expect(find(samples, 'breakwater_call_latency_seconds', { ...a, quantile: '0.99' })[0].value).toBeCloseTo(0, 5);
    expect(find(samples, 'breakwater_call_latency_seconds', b)).toEqual([]);
    expect(find(samples, 'breakwater_circuits', { kind: 'worker', state: 'open' })[0].value).toBe(1);
    expect(find(samples, 'breakwater_circuits', { kind: 'worker', state: 'forced-open' })[0].value).toBe(1);
    // The breaker's labels, with keys made valid Prometheus label names.
    expect(find(samples, 'breakwater_calls_total', a)[0].labels).toEqual({
      name: 'a',
      kind: 'endpoint',
      region: 'eu',
      app_version: '1.2',
    });
    expect(find(samples, 'breakwater_calls_total', b)[0].labels).toEqual({
      name: 'b',
      kind: 'worker',
      region: 'us',
      app_version: '',
    });
    expect(collector.lastScrape).toEqual({ mode: 'per-breaker', exported: 3, omitted: 0 });
  });

  it('reads the registry anew on every scrape', async () => {
    const registry = populated();
    const collector = collectBreakwaterMetrics(registry, { register: new PromRegistry() });
    const before = parseExposition(await collector.register.metrics()).samples;
    expect(find(before, 'breakwater_circuit_state_code', { name: 'c' })[0].value).toBe(3);
    registry.close('worker', 'c');
    registry.get('endpoint', 'a')!.executeSync(() => 0);
    const after = parseExposition(await collector.register.metrics()).samples;
    expect(find(after, 'breakwater_circuit_state_code', { name: 'c' })[0].value).toBe(0);
    expect(find(after, 'breakwater_calls_total', { name: 'a' })[0].value).toBe(11);
  });

  it('exports the history events lost on the way to the sinks: the queue past maxPendingEvents, and each sink by name', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0, maxPendingEvents: 3 });
    // A sink as users write one: it keeps the first two events and counts the rest as dropped.
    const archived: BreakerEvent[] = [];
    const archive = new (class implements EventSink {
      readonly name = 'archive';
      dropped = 0;
      write(batch: readonly BreakerEvent[]): void {
        const kept = batch.slice(0, Math.max(0, 2 - archived.length));
        archived.push(...kept);
        this.dropped += batch.length - kept.length;
      }
      async flush(): Promise<void> {}
      async close(): Promise<void> {}
    })();
    registry.addSink(archive);
    registry.workerBreaker('w');
    for (let i = 0; i < 5; i++) registry.recordEvent('worker', 'w', 'recovery', { attempt: i });
    await registry.flush(); // three events reach the sink, two of them are kept
    const collector = collectBreakwaterMetrics(registry);
    const { samples, types } = parseExposition(await collector.register.metrics());
    expect(types.get('breakwater_events_dropped_total')).toBe('counter');
    expect(find(samples, 'breakwater_events_dropped_total', { stage: 'queue' })[0].value).toBe(2);
    expect(find(samples, 'breakwater_events_dropped_total', { stage: 'sink', sink: 'archive' })[0].value).toBe(1);
    expect(archived).toHaveLength(2);
  });

  it('escapes names and label values so they parse back exactly', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    const name = 'say "hi" \\ to\nme <img src=x>';
    registry
      .getOrCreate('endpoint', name, { labels: { note: 'a "quoted" \\ value\nsecond line' } })
      .executeSync(() => 1);
    const collector = collectBreakwaterMetrics(registry);
    const { samples } = parseExposition(await collector.register.metrics());
    const calls = find(samples, 'breakwater_calls_total', { kind: 'endpoint' });
    expect(calls).toHaveLength(1);
    expect(calls[0].labels.name).toBe(name);
    expect(calls[0].labels.note).toBe('a "quoted" \\ value\nsecond line');
  });

  it('above maxSeries exports per-kind aggregates instead of a series per breaker', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    for (let i = 0; i < 30; i++) {
      const breaker = registry.getOrCreate(i % 3 === 0 ? 'worker' : 'endpoint', `svc-${i}`, { failureThreshold: 1 });
      breaker.executeSync(() => i);
      if (i % 5 === 0) expect(() => breaker.executeSync(fail)).toThrow('down');
    }
    const collector = collectBreakwaterMetrics(registry, { maxSeries: 10 });
    const { samples } = parseExposition(await collector.register.metrics());
    expect(samples.filter((s) => s.labels.name !== undefined)).toEqual([]);
    // 10 workers (i % 3 == 0), 20 endpoints; 6 failed once each (i % 5 == 0), 2 of them workers (0, 15).
    expect(find(samples, 'breakwater_calls_total', { kind: 'worker' })[0].value).toBe(12);
    expect(find(samples, 'breakwater_calls_total', { kind: 'endpoint' })[0].value).toBe(24);
    expect(find(samples, 'breakwater_circuit_state', { kind: 'worker', state: 'open' })[0].value).toBe(2);
    expect(find(samples, 'breakwater_circuit_state', { kind: 'endpoint', state: 'open' })[0].value).toBe(4);
    expect(find(samples, 'breakwater_series_omitted_breakers')[0].value).toBe(30);
    expect(collector.lastScrape).toEqual({ mode: 'per-kind', exported: 0, omitted: 30 });
  });

  it('above maxSeries in top-n mode exports the least healthy breakers', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    const unhealthy = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const breaker = registry.getOrCreate('endpoint', `svc-${i}`, { failureThreshold: 1 });
      breaker.executeSync(() => i);
      if (i % 10 === 3) {
        expect(() => breaker.executeSync(fail)).toThrow('down');
        unhealthy.add(`svc-${i}`);
      }
    }
    const collector = collectBreakwaterMetrics(registry, { maxSeries: 4, overflow: 'top-n' });
    const { samples } = parseExposition(await collector.register.metrics());
    const names = new Set(samples.filter((s) => s.labels.name !== undefined).map((s) => s.labels.name));
    expect(names).toEqual(unhealthy);
    expect(find(samples, 'breakwater_series_omitted_breakers')[0].value).toBe(36);
    expect(find(samples, 'breakwater_circuits', { kind: 'endpoint', state: 'closed' })[0].value).toBe(36);
  });

  it('maps breaker label keys to valid Prometheus label names', () => {
    expect(prometheusLabelName('region')).toBe('region');
    expect(prometheusLabelName('app.version')).toBe('app_version');
    expect(prometheusLabelName('9lives')).toBe('_9lives');
    expect(prometheusLabelName('name')).toBe('label_name');
    expect(prometheusLabelName('__meta')).toBe('label___meta');
  });

  it('rejects bad options and a second collector on the same prefix with named errors', () => {
    const registry = new Registry({ summaryEveryMs: 0 });
    expect(() => collectBreakwaterMetrics(registry, { maxSeries: -1 })).toThrow(
      /option maxSeries must be an integer >= 0/,
    );
    expect(() => collectBreakwaterMetrics(registry, { overflow: 'sample' as 'top-n' })).toThrow(
      /option overflow must be 'per-kind' or 'top-n'/,
    );
    expect(() => collectBreakwaterMetrics(registry, { prefix: 'bad prefix' })).toThrow(/option prefix must match/);
    const register = new PromRegistry();
    const first = collectBreakwaterMetrics(registry, { register });
    expect(() => collectBreakwaterMetrics(registry, { register })).toThrow(
      /could not register the Prometheus metrics \(is another collector using prefix "breakwater_"/,
    );
    first.dispose();
    expect(register.getMetricsAsArray()).toEqual([]);
    collectBreakwaterMetrics(registry, { register, prefix: 'app_breakers_' });
  });

  it('says which package to install when prom-client is missing', () => {
    const folder = tempFolder('prom-no-package');
    const outfile = join(folder, 'collector.cjs');
    buildSync({
      entryPoints: [resolve(__dirname, '../../../src/observe/prometheus.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      external: ['prom-client'],
      logLevel: 'error',
    });
    const script = `try { require(${JSON.stringify(outfile)}).collectBreakwaterMetrics({ entries: () => [][Symbol.iterator](), breakerHealth() {}, health() {} }) } catch (e) { console.log(e.message) }`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: folder, encoding: 'utf8' });
    expect(child.stdout.trim()).toBe(
      'breakwater/observe: Prometheus metrics need the optional package prom-client; install it with `npm install prom-client`',
    );
  });
});
