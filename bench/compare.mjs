// breakwater against opossum and cockatiel, each guarding the same functions: the closed-circuit
// success path, the failure path and the open-circuit rejection, with ratios to the baselines
// measured in the same run. Usage: npm run bench (writes bench/results/compare.json and .md)
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import {
  countingWrapper,
  distDir,
  loadBreakwater,
  machine,
  makeWork,
  markdownTable,
  nsPerCall,
  throwingBatch,
  writeResults,
} from './lib/measure.mjs';

const BATCH = 200;
const require = createRequire(import.meta.url);
const Opossum = require('opossum');
const native = await loadBreakwater('native');
const reference = await loadBreakwater('reference');
// breakwater/opossum on the native core.
const BreakwaterOpossum = existsSync(join(distDir, 'opossum.js'))
  ? await loadBreakwater('native', 'opossum.js')
  : undefined;

const work = makeWork();
const fail = () => {
  throw new Error('down');
};
const failAsync = async () => {
  throw new Error('down');
};
const HOUR = 3_600_000;

/** A breakwater breaker tripped open by one failure, open for an hour. */
function tripped(CircuitBreaker) {
  const b = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: HOUR });
  try {
    b.executeSync(fail);
  } catch {
    // the failure that opens it
  }
  return b;
}

/**
 * Every contender's way to guard `fn`, closed and never tripping, or tripped open (`open`: the
 * cheapest refusal it offers; `refuse`: the refusal through the API most users call, awaited or
 * thrown, and caught).
 */
const contenders = {
  'breakwater (native)': {
    guard: (fn, sync) => {
      const b = new native.CircuitBreaker({ failureThreshold: 0 });
      return sync ? () => b.executeSync(fn) : () => b.execute(fn);
    },
    open: () => {
      const b = new native.CircuitBreaker({ failureThreshold: 1, recoveryTimeout: HOUR });
      b.forceOpen();
      return () => b.attempt(work.sync);
    },
    refuse: () => {
      const b = tripped(native.CircuitBreaker);
      return () => b.execute(work.async);
    },
    refuseSync: () => {
      const b = tripped(native.CircuitBreaker);
      return () => b.executeSync(work.sync);
    },
  },
  'breakwater (reference)': {
    guard: (fn, sync) => {
      const b = new reference.CircuitBreaker({ failureThreshold: 0 });
      return sync ? () => b.executeSync(fn) : () => b.execute(fn);
    },
    open: () => {
      const b = new reference.CircuitBreaker({ failureThreshold: 1, recoveryTimeout: HOUR });
      b.forceOpen();
      return () => b.attempt(work.sync);
    },
  },
  ...(BreakwaterOpossum && {
    'breakwater/opossum': {
      guard: (fn) => {
        const b = new BreakwaterOpossum(fn, { volumeThreshold: 1e9 });
        return () => b.fire();
      },
      open: () => {
        const b = new BreakwaterOpossum(work.async, { resetTimeout: HOUR });
        b.open();
        return () => b.fire().catch(() => {});
      },
    },
  }),
  'opossum 10 (defaults)': {
    guard: (fn) => {
      const b = new Opossum(fn, { volumeThreshold: 1e9 });
      return () => b.fire();
    },
    open: () => {
      const b = new Opossum(work.async, { resetTimeout: HOUR });
      b.open();
      return () => b.fire().catch(() => {});
    },
    refuse: () => {
      const b = new Opossum(work.async, { resetTimeout: HOUR });
      b.open();
      return () => b.fire();
    },
  },
  'cockatiel 3.2.1': {
    guard: (fn) => {
      const policy = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(1e9) });
      return () => policy.execute(fn);
    },
    open: () => {
      const policy = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(1e9) });
      policy.isolate();
      return () => policy.execute(work.async).catch(() => {});
    },
    refuse: () => {
      const policy = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(1) });
      policy.execute(failAsync).catch(() => {}); // opens it
      return () => policy.execute(work.async);
    },
  },
};

const loop = (call) => () => {
  for (let i = 0; i < BATCH; i++) call();
};
const asyncLoop = (call) => async () => {
  for (let i = 0; i < BATCH; i++) await call();
};
const asyncFailLoop = (call) => async () => {
  for (let i = 0; i < BATCH; i++) {
    try {
      await call();
    } catch {
      // the refusal or failure is what this measures
    }
  }
};
const syncFailLoop = (call) => throwingBatch(call, BATCH);

// Tasks: [section, contender] -> fn. Contenders with only an async API guard the sync function
// through it (that is what their users do), and are awaited.
const tasks = {};
const add = (section, name, fn) => (tasks[`${section} | ${name}`] = fn);
add('success, sync fn', 'bare call', loop(work.sync));
add('success, async fn', 'bare await', asyncLoop(work.async));
add('failure, sync fn', 'bare throw', syncFailLoop(fail));
add('failure, async fn', 'bare rejection', asyncFailLoop(failAsync));
// The floor of any wrapper that sees a sync error and passes it on.
add(
  'failure, sync fn',
  'floor: a wrapper that catches, counts and rethrows',
  syncFailLoop(() => countingWrapper(fail)),
);
// The floors of a refusal on this runtime: any API that rejects or throws pays at least these.
const prebuilt = Object.freeze(Object.create(Error.prototype));
const settled = Promise.resolve();
add(
  'refusal, awaited and caught',
  'floor: a prebuilt error, rejected after the await attached',
  asyncFailLoop(() => new Promise((_, reject) => void settled.then(() => reject(prebuilt)))),
);
add(
  'refusal, awaited and caught',
  'floor: a prebuilt error, thrown and caught',
  syncFailLoop(() => {
    throw prebuilt;
  }),
);
for (const [name, c] of Object.entries(contenders)) {
  const syncApi = name.startsWith('breakwater (');
  add('success, sync fn', name, syncApi ? loop(c.guard(work.sync, true)) : asyncLoop(c.guard(work.sync, false)));
  add('success, async fn', name, asyncLoop(c.guard(work.async, false)));
  add('failure, sync fn', name, syncApi ? syncFailLoop(c.guard(fail, true)) : asyncFailLoop(c.guard(fail, false)));
  add('failure, async fn', name, asyncFailLoop(c.guard(failAsync, false)));
  add('open-circuit rejection', name, syncApi ? loop(c.open()) : asyncLoop(c.open()));
  if (c.refuse) add('refusal, awaited and caught', name, asyncFailLoop(c.refuse()));
  if (c.refuseSync) add('refusal, awaited and caught', `${name} executeSync`, syncFailLoop(c.refuseSync()));
}

const ns = await nsPerCall(tasks, { batch: BATCH });
const baseline = {
  'success, sync fn': 'bare call',
  'success, async fn': 'bare await',
  'failure, sync fn': 'bare throw',
  'failure, async fn': 'bare rejection',
};
const rows = Object.entries(ns).map(([key, value]) => {
  const [section, name] = key.split(' | ');
  const bare = baseline[section] ? ns[`${section} | ${baseline[section]}`] : 0;
  const added = value - bare;
  const ours = baseline[section]
    ? ns[`${section} | breakwater (native)`] - bare
    : ns[`${section} | breakwater (native)`];
  return {
    case: section,
    contender: name,
    'ns/call': +value.toFixed(1),
    'added ns': +added.toFixed(1),
    'x breakwater': name.startsWith('bare') || name.startsWith('floor') ? '' : +(added / ours).toFixed(1),
  };
});
const added = (section, name) =>
  ns[`${section} | ${name}`] - (baseline[section] ? ns[`${section} | ${baseline[section]}`] : 0);
const targets = {
  'async success overhead, opossum / breakwater (>= 20)':
    added('success, async fn', 'opossum 10 (defaults)') / added('success, async fn', 'breakwater (native)'),
  'async success overhead, cockatiel / breakwater (>= 2.5)':
    added('success, async fn', 'cockatiel 3.2.1') / added('success, async fn', 'breakwater (native)'),
  ...(BreakwaterOpossum && {
    'async success overhead, opossum / breakwater/opossum (>= 10)':
      added('success, async fn', 'opossum 10 (defaults)') / added('success, async fn', 'breakwater/opossum'),
  }),
  'open-circuit rejection, opossum / breakwater (>= 20)':
    ns['open-circuit rejection | opossum 10 (defaults)'] / ns['open-circuit rejection | breakwater (native)'],
  'refusal awaited and caught, opossum fire() / breakwater execute() (>= 20)':
    ns['refusal, awaited and caught | opossum 10 (defaults)'] / ns['refusal, awaited and caught | breakwater (native)'],
  'refusal caught, opossum fire() / breakwater executeSync() (>= 20)':
    ns['refusal, awaited and caught | opossum 10 (defaults)'] /
    ns['refusal, awaited and caught | breakwater (native) executeSync'],
  'refusal awaited and caught, breakwater execute() / its floor (a prebuilt error, rejected after the await attached)':
    ns['refusal, awaited and caught | breakwater (native)'] /
    ns['refusal, awaited and caught | floor: a prebuilt error, rejected after the await attached'],
  'refusal caught, breakwater executeSync() / its floor (a prebuilt error, thrown and caught)':
    ns['refusal, awaited and caught | breakwater (native) executeSync'] /
    ns['refusal, awaited and caught | floor: a prebuilt error, thrown and caught'],
  'refusal, opossum fire() / the awaited floor (the most any rejecting API can beat it by)':
    ns['refusal, awaited and caught | opossum 10 (defaults)'] /
    ns['refusal, awaited and caught | floor: a prebuilt error, rejected after the await attached'],
  'refusal awaited and caught, cockatiel execute() / breakwater execute()':
    ns['refusal, awaited and caught | cockatiel 3.2.1'] / ns['refusal, awaited and caught | breakwater (native)'],
  'failure path added, cockatiel / breakwater, async (>= 1)':
    added('failure, async fn', 'cockatiel 3.2.1') / added('failure, async fn', 'breakwater (native)'),
  'failure path added, cockatiel (awaited) / breakwater executeSync (>= 1)':
    added('failure, sync fn', 'cockatiel 3.2.1') / added('failure, sync fn', 'breakwater (native)'),
  'failure path added, breakwater executeSync / its floor (a wrapper that catches, counts and rethrows)':
    added('failure, sync fn', 'breakwater (native)') /
    added('failure, sync fn', 'floor: a wrapper that catches, counts and rethrows'),
};
const facts = machine({ batch: BATCH, breakwaterOpossum: Boolean(BreakwaterOpossum) });
console.log(
  `breakwater vs opossum and cockatiel, ${facts.date}, ${facts.cpu} (${facts.cores} cores), Node ${facts.node}`,
);
console.table(rows);
for (const [target, value] of Object.entries(targets)) console.log(`${target}: ${value.toFixed(1)}`);
writeResults(
  'compare',
  { machine: facts, rows, targets },
  [
    markdownTable(rows),
    '',
    Object.entries(targets)
      .map(([k, v]) => `- ${k}: **${v.toFixed(1)}**`)
      .join('\n'),
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench\` (batches of ${BATCH} calls; median of ${process.env.BENCH_ROUNDS ?? 7} rounds of ${process.env.BENCH_TIME_MS ?? 500} ms per task). ` +
      'Open-circuit rejection: breakwater `attempt()` on a forced-open circuit; opossum `fire()` after `open()`; cockatiel `execute()` after `isolate()`, each rejected promise caught. ' +
      'Refusal, awaited and caught: each breaker tripped open by a failure; `try { await breaker.execute(fn) } catch {}` (opossum `fire()`, cockatiel `execute()`), and breakwater `executeSync()` in a try/catch.',
  ].join('\n'),
);
process.exit(0); // opossum keeps a rotation timer per breaker alive
