// A breaker in a host arena (shared memory every process of the host maps) beside one in the
// process's own arena, in the same run: a guarded call's cost in one process, and calls per second
// of two processes on one host breaker against two processes with a breaker each (totals checked).
// Usage: npm run bench:host (writes bench/results/host.*)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  distDir,
  loadBreakwater,
  machine,
  markdownTable,
  makeWork,
  median,
  nsPerCall,
  writeResults,
} from './lib/measure.mjs';

const CALLS = Number(process.env.BENCH_HOST_CALLS ?? 20_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const directory = mkdtempSync(join('/dev/shm', 'breakwater-bench-'));
const { Registry } = await loadBreakwater('native');

const hostBreaker = new Registry({ host: { name: 'bench', directory } }).getOrCreate('endpoint', 'one-process');
const ownBreaker = new Registry().getOrCreate('endpoint', 'one-process');
const work = makeWork();
const BATCH = 1000;
const cost = await nsPerCall(
  {
    host: () => {
      for (let i = 0; i < BATCH; i++) hostBreaker.executeSync(work.sync);
    },
    own: () => {
      for (let i = 0; i < BATCH; i++) ownBreaker.executeSync(work.sync);
    },
    bare: () => {
      for (let i = 0; i < BATCH; i++) work.sync();
    },
  },
  { batch: BATCH },
);

/** Calls per second of two processes started together: on one host breaker, or a breaker each. */
async function twoProcesses(shared, round) {
  const script = `
    const { Registry } = require(${JSON.stringify(join(distDir, 'index.js'))});
    const registry = ${shared ? `new Registry({ host: { name: 'bench', directory: ${JSON.stringify(directory)} } })` : 'new Registry()'};
    const breaker = registry.getOrCreate('endpoint', ${JSON.stringify(`two-${round}`)});
    let counter = 0;
    const work = () => (counter = (counter + 1) & 0xfffffff);
    process.stdin.once('data', () => {
      const started = performance.now();
      for (let i = 0; i < ${CALLS}; i++) breaker.executeSync(work);
      const ms = performance.now() - started;
      process.stdout.write(JSON.stringify({ ms, total: breaker.getMetrics().successes }));
    });
    process.stdout.write('ready');
  `;
  const children = [0, 1].map(() => spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
  await Promise.all(children.map((child) => new Promise((resolve) => child.stdout.once('data', resolve))));
  const replies = children.map(
    (child) =>
      new Promise((resolve) => {
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('exit', () => resolve(JSON.parse(out)));
      }),
  );
  for (const child of children) child.stdin.end('go');
  const done = await Promise.all(replies);
  const seconds = Math.max(...done.map((reply) => reply.ms)) / 1000;
  return { callsPerSecond: (2 * CALLS) / seconds, totals: done.map((reply) => reply.total) };
}

const runs = { shared: [], own: [] };
let exact = true;
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['shared', 'own']) {
    const run = await twoProcesses(mode === 'shared', round);
    runs[mode].push(run.callsPerSecond);
    // Shared: both processes read the one breaker's totals, every call of both in it.
    if (mode === 'shared') exact &&= Math.max(...run.totals) === 2 * CALLS;
  }
}
rmSync(directory, { recursive: true, force: true });

const f = (value, digits = 2) => value.toFixed(digits);
const rows = [
  {
    measure: 'guarded sync call, one process, ns',
    host: f(cost.host),
    own: f(cost.own),
    ratio: f(cost.host / cost.own),
    bare: f(cost.bare),
  },
  {
    measure: 'two processes, guarded calls per second (millions)',
    host: f(median(runs.shared) / 1e6),
    own: f(median(runs.own) / 1e6),
    ratio: f(median(runs.shared) / median(runs.own)),
    bare: '-',
  },
];
const info = machine({ calls: CALLS, rounds: ROUNDS, totalsExact: exact });
console.log(markdownTable(rows));
console.log(`totals exact across the two processes: ${exact}`);
writeResults('host', { ...info, cost, runs }, `${markdownTable(rows)}\n\ntotals exact: ${exact}\n`);
