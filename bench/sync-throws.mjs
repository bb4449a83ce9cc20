// executeSync's failure path and refusal in a process where no guarded synchronous call has
// returned yet (a dependency down since the process started), then the same calls after a million
// returns. V8 spends a function's tiering budget on its returns: a function that only ever throws
// is never optimized, nor given type feedback. Two kinds of failure: a prebuilt error thrown again
// and again (the breaker's own cost, without the error's creation), and a fresh error with its
// stack, as a failing dependency throws (a few microseconds to create; a wrapper that throws it
// again anywhere but in the catch block that caught it pays more for it: executeSync throws in a
// frame of its own, for the reasons in src/breaker/sync-calls.ts).
// Baselines in the same run, per kind: the bare throw, and a wrapper that catches, counts and
// rethrows (the floor of any wrapper), which likewise only throws in the first part and has
// returned a million times in the second.
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
const KINDS = {
  'a prebuilt error': () => {
    throw DOWN;
  },
  'a fresh error': () => {
    throw new Error('down');
  },
};
const failing = new CircuitBreaker({ failureThreshold: 0, failureRateThreshold: 0 });
const open = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 3_600_000 });
try {
  open.executeSync(KINDS['a prebuilt error']);
} catch {
  // the failure that opens it
}

const throwing = (call) => throwingBatch(call, BATCH);
const BARE = 'bare throw';
const FLOOR = 'floor: a wrapper that catches, counts and rethrows';
const FAILURE = 'breakwater executeSync, failure';
const REFUSAL = 'breakwater executeSync, refusal (no stack: see Calls)';
const tasks = {};
for (const [kind, fail] of Object.entries(KINDS)) {
  tasks[`${BARE}, ${kind}`] = throwing(fail);
  tasks[`${FLOOR}, ${kind}`] = throwing(() => countingWrapper(fail));
  tasks[`${FAILURE}, ${kind}`] = throwing(() => failing.executeSync(fail));
}
tasks[REFUSAL] = throwing(() => open.executeSync(KINDS['a prebuilt error']));
const cold = await nsPerCall(tasks, { batch: BATCH });
const succeeding = new CircuitBreaker({ failureThreshold: 0 });
for (let i = 0; i < 1_000_000; i++) {
  succeeding.executeSync(() => i);
  countingWrapper(() => i);
}
const warm = await nsPerCall(tasks, { batch: BATCH });
if (countingWrapper.failures === 0) throw new Error('the wrapper never ran');

const kindOf = (name) => Object.keys(KINDS).find((kind) => name.endsWith(kind)) ?? 'a prebuilt error';
const added = (ns, name) => ns[name] - ns[`${BARE}, ${kindOf(name)}`];
const rows = Object.keys(tasks).map((name) => ({
  call: name,
  'no call returned yet: ns': +cold[name].toFixed(1),
  'no call returned yet: added over a bare throw': +added(cold, name).toFixed(1),
  'after 1,000,000 returns: ns': +warm[name].toFixed(1),
  'after 1,000,000 returns: added over a bare throw': +added(warm, name).toFixed(1),
}));
const ratio = (ns, kind) => +(added(ns, `${FAILURE}, ${kind}`) / added(ns, `${FLOOR}, ${kind}`)).toFixed(2);
const summary = {};
for (const kind of Object.keys(KINDS)) {
  summary[`executeSync failure (${kind}), added / the floor, no call returned yet`] = ratio(cold, kind);
  summary[`executeSync failure (${kind}), added / the floor, after 1,000,000 returns`] = ratio(warm, kind);
}
const BARE_PREBUILT = `${BARE}, a prebuilt error`;
summary['executeSync refusal / the bare throw of a prebuilt error, no call returned yet'] = +(
  cold[REFUSAL] / cold[BARE_PREBUILT]
).toFixed(2);
summary['executeSync refusal / the bare throw of a prebuilt error, after 1,000,000 returns'] = +(
  warm[REFUSAL] / warm[BARE_PREBUILT]
).toFixed(2);
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
