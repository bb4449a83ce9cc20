// One breaker shared by 1 and by 2 worker_threads: guarded calls per second and the scaling ratio,
// beside the same work with nothing shared (the machine's own ceiling), and a check that the totals
// are exact. Usage: npm run bench (writes bench/results/threads.*)
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { benchDir, distDir, loadBreakwater, machine, markdownTable, median, writeResults } from './lib/measure.mjs';

const CALLS = Number(process.env.BENCH_THREAD_CALLS ?? 20_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Untimed calls each thread makes first, so every mode is timed in optimized code. */
const WARMUP = 2_000_000;
const entry = join(distDir, 'index.mjs');
const { CircuitBreaker } = await loadBreakwater('native');

/**
 * Calls per second of `threads` workers: 'shared' guard their calls with one breaker, 'own' each
 * with a breaker of its own (the same code with nothing shared), 'plain' make bare calls.
 */
async function run(threads, mode) {
  const breaker = new CircuitBreaker({ name: `threads-${threads}` });
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const script = join(benchDir, mode === 'plain' ? 'lib/plain-worker.mjs' : 'lib/thread-worker.mjs');
  const workers = Array.from(
    { length: threads },
    (_, index) =>
      new Worker(script, {
        workerData: {
          entry,
          handle: mode === 'shared' ? breaker.handle : null,
          index,
          calls: CALLS,
          warmup: WARMUP,
          gate,
        },
        env: { ...process.env, BREAKWATER_NATIVE: '1' },
      }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300)); // let every worker load and park on the gate
  const started = performance.now();
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  const wallMs = performance.now() - started;
  if (mode === 'shared') {
    const { successes } = breaker.getMetrics();
    if (successes !== threads * (CALLS + WARMUP))
      throw new Error(`totals not exact: ${successes} successes, expected ${threads * (CALLS + WARMUP)}`);
  }
  return (threads * CALLS) / (wallMs / 1000);
}

// Rounds interleave the baseline and the breaker, so both see the same machine.
const results = { plain1: [], plain2: [], guarded1: [], guarded2: [], own1: [], own2: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const threads of [1, 2]) {
    results[`plain${threads}`].push(await run(threads, 'plain'));
    results[`guarded${threads}`].push(await run(threads, 'shared'));
    results[`own${threads}`].push(await run(threads, 'own'));
  }
}
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const scaling = m.guarded2 / m.guarded1;
const ceiling = m.plain2 / m.plain1;
const row = (name, one, two) => ({
  workers: name,
  '1 thread, calls/s': Math.round(one).toLocaleString('en'),
  '2 threads, calls/s': Math.round(two).toLocaleString('en'),
  'x one thread': +(two / one).toFixed(2),
});
const ownScaling = m.own2 / m.own1;
const rows = [
  row('one shared breaker (executeSync)', m.guarded1, m.guarded2),
  row('baseline: a breaker of its own per thread (the same code, nothing shared)', m.own1, m.own2),
  row('baseline: the bare call, nothing shared', m.plain1, m.plain2),
];
const facts = machine({ callsPerThread: CALLS, rounds: ROUNDS });
console.log(`${CALLS.toLocaleString('en')} calls per thread; the shared breaker's totals checked exact`);
console.table(rows);
console.log(
  `2 threads / 1 thread (>= 1.8): ${scaling.toFixed(2)}; a breaker of its own per thread: ${ownScaling.toFixed(2)}; the bare call: ${ceiling.toFixed(2)}`,
);
writeResults(
  'threads',
  { machine: facts, rows, scaling, ownScaling, ceiling },
  [
    markdownTable(rows),
    '',
    `2 threads / 1 thread (target >= 1.8): **${scaling.toFixed(2)}**, against **${ownScaling.toFixed(2)}** for the same code with a breaker of its own per thread and **${ceiling.toFixed(2)}** for the bare call with nothing shared, on the same machine; shared / bare: **${(scaling / ceiling).toFixed(2)}** (issue 16: >= 0.95); every run's totals checked exact.`,
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench\` (${CALLS.toLocaleString('en')} calls per thread, median of ${ROUNDS} interleaved runs).`,
  ].join('\n'),
);
