// What counting a fast-path success in shared memory costs (issue 12.4), in the same run as its
// alternatives: the plain JS field the facade used before (lost when a thread ended), this
// thread's own lane of a SharedArrayBuffer (what the facade does now), and one counter shared by
// every thread through Atomics.add. Prints ns per call and ratios against the bare call.
// Usage: npm run build:ts && node bench/lanes.mjs  (writes bench/results/lanes.json and lanes.md)
// BASELINE_DIST=/path/to/an/older/dist adds that build's executeSync beside this one's.
import { join } from 'node:path';
import { loadBreakwater, machine, makeWork, markdownTable, nsPerCall, writeResults } from './lib/measure.mjs';

const BATCH = 1000;
const work = makeWork();
const field = { count: 0 };
const lanes = new Float64Array(new SharedArrayBuffer(8 * 64));
const shared = new Int32Array(new SharedArrayBuffer(4 * 16));
const lane = 5;
const native = await loadBreakwater('native');
const breaker = new native.CircuitBreaker({ name: 'bench-lanes' });
const loop = (call) => () => {
  for (let i = 0; i < BATCH; i++) call();
};
const tasks = {
  'bare sync call': loop(work.sync),
  'call + JS field increment (old per-thread tally)': loop(() => {
    work.sync();
    field.count++;
  }),
  'call + own lane on shared memory (this design)': loop(() => {
    work.sync();
    lanes[lane]++;
  }),
  'call + Atomics.add on one shared counter': loop(() => {
    work.sync();
    Atomics.add(shared, 3, 1);
  }),
  'native executeSync (this build)': loop(() => breaker.executeSync(work.sync)),
};
if (process.env.BASELINE_DIST) {
  process.env.BREAKWATER_NATIVE = '1';
  const baseline = await import(join(process.env.BASELINE_DIST, 'index.mjs'));
  const old = new baseline.CircuitBreaker({ name: 'bench-baseline' });
  tasks['native executeSync (baseline build)'] = loop(() => old.executeSync(work.sync));
}

const ns = await nsPerCall(tasks, { batch: BATCH });
const bare = ns['bare sync call'];
const rows = Object.entries(ns).map(([name, value]) => ({
  task: name,
  'ns/call': value.toFixed(2),
  'added ns': (value - bare).toFixed(2),
  'x bare': (value / bare).toFixed(2),
}));
const meta = machine({ command: 'node bench/lanes.mjs', batch: BATCH });
console.log(markdownTable(rows));
writeResults(
  'lanes',
  { meta, ns },
  `${markdownTable(rows)}\n\n${meta.date}, ${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, \`${meta.command}\`.`,
);
