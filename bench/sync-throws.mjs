// executeSync's failure path and refusal in a process where no guarded synchronous call has
// returned yet (a dependency down since the process started), then the same calls after a million
// returns. V8 spends a function's tiering budget on its returns: a function that only ever throws
// is never optimized, nor given type feedback. The failing function throws a prebuilt error, so the
// figures are the breaker's own cost, not the error's creation (a few microseconds with its stack,
// which bench/compare.mjs includes). Baselines in the same run: the bare throw, and a wrapper that
// catches, counts and rethrows (the floor of any wrapper), which likewise only throws in the first
// part and has returned a million times in the second.
// Usage: npm run bench:sync-throws  (writes bench/results/sync-throws.json and .md)
import {
  countingWrapper,
  loadBreakwater,
  machine,
  markdownTable,
  nsPerCall,
  throwingBatch,
  writeResults,
} from './lib/measure.mjs';

const BATCH = 200;
const { CircuitBreaker } = await loadBreakwater('native');
const DOWN = new Error('down');
const fail = () => {
  throw DOWN;
};
const failing = new CircuitBreaker({ failureThreshold: 0, failureRateThreshold: 0 });
const open = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 3_600_000 });
try {
  open.executeSync(fail);
} catch {
  // the failure that opens it
}

const throwing = (call) => throwingBatch(call, BATCH);
const tasks = {
  'bare throw (the floor of a refusal that throws)': throwing(fail),
  'floor: a wrapper that catches, counts and rethrows': throwing(() => countingWrapper(fail)),
  'breakwater executeSync, failure': throwing(() => failing.executeSync(fail)),
  'breakwater executeSync, refusal': throwing(() => open.executeSync(fail)),
};
const cold = await nsPerCall(tasks, { batch: BATCH });
const succeeding = new CircuitBreaker({ failureThreshold: 0 });
for (let i = 0; i < 1_000_000; i++) {
  succeeding.executeSync(() => i);
  countingWrapper(() => i);
}
const warm = await nsPerCall(tasks, { batch: BATCH });
if (countingWrapper.failures === 0) throw new Error('the wrapper never ran');

const BARE = 'bare throw (the floor of a refusal that throws)';
const rows = Object.keys(tasks).map((name) => ({
  call: name,
  'no call returned yet: ns': +cold[name].toFixed(1),
  'no call returned yet: added over a bare throw': +(cold[name] - cold[BARE]).toFixed(1),
  'after 1,000,000 returns: ns': +warm[name].toFixed(1),
  'after 1,000,000 returns: added over a bare throw': +(warm[name] - warm[BARE]).toFixed(1),
}));
const floor = 'floor: a wrapper that catches, counts and rethrows';
const ratio = (ns, name) => +((ns[name] - ns[BARE]) / (ns[floor] - ns[BARE])).toFixed(2);
const REFUSAL = 'breakwater executeSync, refusal';
const summary = {
  'executeSync failure, added / the floor, no call returned yet': ratio(cold, 'breakwater executeSync, failure'),
  'executeSync failure, added / the floor, after 1,000,000 returns': ratio(warm, 'breakwater executeSync, failure'),
  'executeSync refusal / the bare throw, no call returned yet': +(cold[REFUSAL] / cold[BARE]).toFixed(2),
  'executeSync refusal / the bare throw, after 1,000,000 returns': +(warm[REFUSAL] / warm[BARE]).toFixed(2),
};
console.table(rows);
for (const [label, value] of Object.entries(summary)) console.log(`${label}: ${value}`);
const info = machine({ command: 'npm run bench:sync-throws', batch: BATCH });
writeResults(
  'sync-throws',
  { ...info, rows, summary },
  `${markdownTable(rows)}\n\n${Object.entries(summary)
    .map(([label, value]) => `- ${label}: **${value}**`)
    .join(
      '\n',
    )}\n\n${info.date}, ${info.cpu}, ${info.cores} cores, Node ${info.node}, \`npm run bench:sync-throws\` (batches of ${BATCH} calls; median of 7 rounds of 500 ms per task).\n`,
);
