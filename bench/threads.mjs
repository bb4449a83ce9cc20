// One breaker shared by 1 and by 2 worker_threads: guarded calls per second, the scaling ratio,
// and a check that the totals are exact. Usage: npm run bench (writes bench/results/threads.*)
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { benchDir, distDir, loadBreakwater, machine, markdownTable, median, writeResults } from './lib/measure.mjs';

const CALLS = Number(process.env.BENCH_THREAD_CALLS ?? 20_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const entry = join(distDir, 'index.mjs');
const { CircuitBreaker } = await loadBreakwater('native');

async function run(threads) {
  const breaker = new CircuitBreaker({ name: `threads-${threads}` });
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: threads }, () => new Worker(join(benchDir, 'lib/thread-worker.mjs'), { workerData: { entry, handle: breaker.handle, calls: CALLS, gate }, env: { ...process.env, BREAKWATER_NATIVE: '1' } }));
  await new Promise((resolve) => setTimeout(resolve, 300)); // let every worker load and park on the gate
  const started = performance.now();
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
  const wallMs = performance.now() - started;
  const { successes } = breaker.getMetrics();
  if (successes !== threads * CALLS) throw new Error(`totals not exact: ${successes} successes, expected ${threads * CALLS}`);
  return (threads * CALLS) / (wallMs / 1000);
}

const results = { 1: [], 2: [] };
for (let round = 0; round < ROUNDS; round++) for (const threads of [1, 2]) results[threads].push(await run(threads));
const one = median(results[1]);
const two = median(results[2]);
const rows = [
  { threads: 1, 'calls/s': Math.round(one).toLocaleString('en'), 'x one thread': 1 },
  { threads: 2, 'calls/s': Math.round(two).toLocaleString('en'), 'x one thread': +(two / one).toFixed(2) },
];
const facts = machine({ callsPerThread: CALLS, rounds: ROUNDS });
console.log(`one shared breaker, ${CALLS.toLocaleString('en')} executeSync calls per thread, totals checked exact`);
console.table(rows);
console.log(`2 threads / 1 thread (>= 1.8): ${(two / one).toFixed(2)}`);
writeResults('threads', { machine: facts, rows, scaling: two / one }, [
  markdownTable(rows),
  '',
  `2 threads / 1 thread (target >= 1.8): **${(two / one).toFixed(2)}**; every run's totals checked exact.`,
  '',
  `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench\` (${CALLS.toLocaleString('en')} calls per thread, median of ${ROUNDS} runs).`,
].join('\n'));
