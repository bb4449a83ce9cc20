// Per-call overhead of a guarded call, against the bare call measured in the same run.
// Usage: npm run bench:overhead  (writes bench/results/overhead.json and overhead.md)
import { loadBreakwater, machine, makeWork, markdownTable, nsPerCall, writeResults } from './lib/measure.mjs';

const BATCH = 1000;
const native = await loadBreakwater('native');
const reference = await loadBreakwater('reference');
const work = makeWork();
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
  } catch {
    // the refusal or failure is what this measures
  }
  if (breaker.getState() !== 'open') throw new Error('the open-circuit breaker did not open');
  return breaker;
}

const nativeBreaker = new native.CircuitBreaker({ name: 'bench-native' });
const referenceBreaker = new reference.CircuitBreaker({ name: 'bench-reference' });
const nativeOpen = openBreaker(native);
const referenceOpen = openBreaker(reference);
const loop = (call) => () => {
  for (let i = 0; i < BATCH; i++) call();
};
const asyncLoop = (call) => async () => {
  for (let i = 0; i < BATCH; i++) await call();
};

const sync = {
  'bare sync call': loop(work.sync),
  'native executeSync': loop(() => nativeBreaker.executeSync(work.sync)),
  'native attempt (non-throwing)': loop(() => nativeBreaker.attempt(work.sync)),
  'reference executeSync': loop(() => referenceBreaker.executeSync(work.sync)),
  'native open-circuit rejection, attempt': loop(() => nativeOpen.attempt(work.sync)),
  'reference open-circuit rejection, attempt': loop(() => referenceOpen.attempt(work.sync)),
  'native open-circuit rejection, executeSync (throws)': loop(() => {
    try {
      nativeOpen.executeSync(work.sync);
    } catch {
      // the refusal or failure is what this measures
    }
  }),
};
const asynchronous = {
  'bare await fn()': asyncLoop(work.async),
  'one reaction: await fn().then(ok, err)': asyncLoop(() => work.async().then(onValue, onError)),
  'native execute': asyncLoop(() => nativeBreaker.execute(work.async)),
  'reference execute': asyncLoop(() => referenceBreaker.execute(work.async)),
};

const ns = await nsPerCall({ ...sync, ...asynchronous }, { batch: BATCH });
const bareSync = ns['bare sync call'];
const bareAwait = ns['bare await fn()'];
const reactionFloor = ns['one reaction: await fn().then(ok, err)'] - bareAwait;
const rows = Object.entries(ns).map(([name, value]) => {
  const bare = name in asynchronous ? bareAwait : bareSync;
  return {
    call: name,
    'ns/call': +value.toFixed(2),
    'added ns': +(value - bare).toFixed(2),
    'x bare': +(value / bare).toFixed(2),
  };
});
const targets = {
  'guarded sync call adds <= 10 ns': ns['native executeSync'] - bareSync,
  'guarded async call adds <= 1.2x the one-reaction floor': (ns['native execute'] - bareAwait) / reactionFloor,
  'open-circuit rejection (attempt) <= 20 ns': ns['native open-circuit rejection, attempt'],
};
const facts = machine({ batch: BATCH });

console.log(`breakwater overhead, ${facts.date}, ${facts.cpu} (${facts.cores} cores), Node ${facts.node}`);
console.table(rows);
console.log(`one-reaction floor: ${reactionFloor.toFixed(2)} ns`);
for (const [target, value] of Object.entries(targets)) console.log(`${target}: ${value.toFixed(2)}`);

writeResults(
  'overhead',
  { machine: facts, rows, reactionFloorNs: reactionFloor, targets },
  [
    markdownTable(rows),
    '',
    `One-reaction floor: ${reactionFloor.toFixed(2)} ns. ${Object.entries(targets)
      .map(([k, v]) => `${k}: **${v.toFixed(2)}**`)
      .join('; ')}.`,
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench:overhead\` (batches of ${BATCH} calls; median of ${process.env.BENCH_ROUNDS ?? 7} rounds of ${process.env.BENCH_TIME_MS ?? 500} ms per task).`,
  ].join('\n'),
);
