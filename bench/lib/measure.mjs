// Shared benchmark plumbing: rounds of tinybench with the median per task, loading the built
// package on a chosen core, and writing results as JSON and Markdown under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(benchDir, '../dist');

const require = createRequire(import.meta.url);

/**
 * The built breakwater on one core. Each call loads a fresh copy of dist/'s module graph (the
 * require cache is cleared for dist/ first), so the benchmarks run both cores side by side in one
 * process; the package itself always shares one graph.
 */
export async function loadBreakwater(kind, file = 'index.js') {
  process.env.BREAKWATER_NATIVE = kind === 'native' ? '1' : '0';
  for (const key of Object.keys(require.cache)) if (key.startsWith(distDir + sep)) delete require.cache[key];
  const module = require(join(distDir, file));
  const { coreKind } = require(join(distDir, 'index.js'));
  if (coreKind !== kind) throw new Error(`expected the ${kind} core, got ${coreKind}`);
  return module;
}

/**
 * Runs every task for `rounds` short rounds (the machine drifts between tasks) and returns the
 * median ns per call of each. A task runs `batch` calls per invocation so the timer's own cost
 * divides away.
 */
export async function nsPerCall(
  tasks,
  { batch, rounds = Number(process.env.BENCH_ROUNDS ?? 7), timeMs = Number(process.env.BENCH_TIME_MS ?? 500) },
) {
  const samples = {};
  for (let round = 0; round < rounds; round++) {
    // At least 8 iterations, not the default 64: some contenders take milliseconds a batch.
    const bench = new Bench({ time: timeMs, warmupTime: 100, iterations: 8, warmupIterations: 2 });
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      if (task.result.error) throw task.result.error;
      (samples[task.name] ??= []).push(((task.result.latency?.mean ?? task.result.mean) * 1e6) / batch);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

export function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

export function machine(extra = {}) {
  return {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ...extra,
  };
}

/** A Markdown table from rows of objects (columns in the order of the first row's keys). */
export function markdownTable(rows) {
  const columns = Object.keys(rows[0]);
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => r[c]).join(' | ')} |`),
  ].join('\n');
}

/** Writes bench/results/<name>.json and .md. */
export function writeResults(name, json, markdown) {
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, `results/${name}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(benchDir, `results/${name}.md`), markdown + '\n');
}

/** A small integer counter: past 2^30 V8 boxes a number and every increment allocates. */
export function makeWork() {
  let counter = 0;
  return {
    sync: () => (counter = (counter + 1) & 0xfffffff),
    async: async () => (counter = (counter + 1) & 0xfffffff),
  };
}

/** A task of `batch` calls of `call`, each expected to throw (the throw is what it measures). */
export function throwingBatch(call, batch) {
  return () => {
    for (let i = 0; i < batch; i++) {
      try {
        call();
      } catch {
        // the refusal or failure is what this measures
      }
    }
  };
}

/** The floor of any wrapper that sees a sync error and passes it on: it catches, counts and rethrows. */
export function countingWrapper(fn) {
  try {
    return fn();
  } catch (error) {
    countingWrapper.failures++;
    throw error;
  }
}
countingWrapper.failures = 0;
