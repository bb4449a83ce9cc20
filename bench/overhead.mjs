// Per-call overhead of a guarded call, against the bare call measured in the same run.
// Each task runs a batch of calls so the timer's own cost (~50 ns) divides away.
// Usage: npm run bench:overhead  (writes bench/results/overhead.json and overhead.md)
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '../dist/index.mjs');
const BATCH = 1000;
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 500);
// The machine drifts between tasks: several short rounds, each task's median across them.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

async function loadCore(kind) {
  process.env.BREAKWATER_NATIVE = kind === 'native' ? '1' : '0';
  const module = await import(`${entry}?core=${kind}`);
  if (module.coreKind !== kind) throw new Error(`expected the ${kind} core, got ${module.coreKind}`);
  return module;
}

const native = await loadCore('native');
const reference = await loadCore('reference');

// Masked so the counter stays a small integer: past 2^30 V8 boxes it and every increment allocates.
let counter = 0;
const work = () => (counter = (counter + 1) & 0xfffffff);
const asyncWork = async () => (counter = (counter + 1) & 0xfffffff);
const onValue = (v) => v;
const onError = (e) => {
  throw e;
};

function openBreaker({ CircuitBreaker }) {
  const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 3_600_000 });
  try {
    breaker.executeSync(() => {
      throw new Error('trip');
    });
  } catch {}
  if (breaker.getState() !== 'open') throw new Error('the open-circuit breaker did not open');
  return breaker;
}

const nativeBreaker = new native.CircuitBreaker({ name: 'bench-native' });
const referenceBreaker = new reference.CircuitBreaker({ name: 'bench-reference' });
const nativeOpen = openBreaker(native);
const referenceOpen = openBreaker(reference);

const sync = {
  'bare sync call': () => { for (let i = 0; i < BATCH; i++) work(); },
  'native executeSync': () => { for (let i = 0; i < BATCH; i++) nativeBreaker.executeSync(work); },
  'native attempt (non-throwing)': () => { for (let i = 0; i < BATCH; i++) nativeBreaker.attempt(work); },
  'reference executeSync': () => { for (let i = 0; i < BATCH; i++) referenceBreaker.executeSync(work); },
  'native open-circuit rejection, attempt': () => { for (let i = 0; i < BATCH; i++) nativeOpen.attempt(work); },
  'reference open-circuit rejection, attempt': () => { for (let i = 0; i < BATCH; i++) referenceOpen.attempt(work); },
  'native open-circuit rejection, executeSync (throws)': () => {
    for (let i = 0; i < BATCH; i++) {
      try { nativeOpen.executeSync(work); } catch {}
    }
  },
};
const asynchronous = {
  'bare await fn()': async () => { for (let i = 0; i < BATCH; i++) await asyncWork(); },
  'one reaction: await fn().then(ok, err)': async () => { for (let i = 0; i < BATCH; i++) await asyncWork().then(onValue, onError); },
  'native execute': async () => { for (let i = 0; i < BATCH; i++) await nativeBreaker.execute(asyncWork); },
  'reference execute': async () => { for (let i = 0; i < BATCH; i++) await referenceBreaker.execute(asyncWork); },
};

const samples = {};
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: TIME_MS, warmupTime: 100 });
  for (const [name, fn] of Object.entries({ ...sync, ...asynchronous })) bench.add(name, fn);
  await bench.run();
  for (const task of bench.tasks) (samples[task.name] ??= []).push((task.result.latency?.mean ?? task.result.mean) * 1e6 / BATCH);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const nsPerCall = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
const bareSync = nsPerCall['bare sync call'];
const bareAwait = nsPerCall['bare await fn()'];
const reactionFloor = nsPerCall['one reaction: await fn().then(ok, err)'] - bareAwait;
const rows = Object.entries(nsPerCall).map(([name, ns]) => {
  const isAsync = name in asynchronous;
  const overhead = ns - (isAsync ? bareAwait : bareSync);
  return { name, nsPerCall: +ns.toFixed(2), addedNs: +overhead.toFixed(2), ratioToBare: +(ns / (isAsync ? bareAwait : bareSync)).toFixed(2) };
});
const targets = {
  'guarded sync call adds <= 10 ns': nsPerCall['native executeSync'] - bareSync,
  'guarded async call adds <= 1.2x the one-reaction floor': (nsPerCall['native execute'] - bareAwait) / reactionFloor,
  'open-circuit rejection (attempt) <= 20 ns': nsPerCall['native open-circuit rejection, attempt'],
};
const machine = { date: new Date().toISOString().slice(0, 10), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, batch: BATCH, timeMs: TIME_MS, rounds: ROUNDS };

console.log(`breakwater overhead, ${machine.date}, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`);
console.table(rows);
console.log(`one-reaction floor: ${reactionFloor.toFixed(2)} ns`);
for (const [target, value] of Object.entries(targets)) console.log(`${target}: ${value.toFixed(2)}`);

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/overhead.json'), JSON.stringify({ machine, rows, reactionFloorNs: reactionFloor, targets }, null, 2) + '\n');
const md = [
  `| call | ns/call | added ns | x bare |`,
  `|---|---:|---:|---:|`,
  ...rows.map((r) => `| ${r.name} | ${r.nsPerCall} | ${r.addedNs} | ${r.ratioToBare} |`),
  '',
  `One-reaction floor: ${reactionFloor.toFixed(2)} ns. ${Object.entries(targets).map(([k, v]) => `${k}: **${v.toFixed(2)}**`).join('; ')}.`,
  '',
  `${machine.date}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, \`npm run bench:overhead\` (batches of ${BATCH} calls; median of ${ROUNDS} rounds of ${TIME_MS} ms per task).`,
].join('\n');
writeFileSync(join(here, 'results/overhead.md'), md + '\n');
