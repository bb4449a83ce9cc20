// The adaptive tuner against the static breaker it starts from, on held-out failure families
// (bench/tuner/families.mjs), on virtual time: recovery time, probe rounds that close, load on the
// sick service, client success. Figures are deterministic per seed (no wall-clock timing).
//   npm run bench:tuner [-- --seeds N] [-- --probe-share S]   (default 5 seeds per family)
// Writes bench/results/tuner.json and tuner.md (tuner-probe-share.* with --probe-share: the tuner
// with that option set, which is off by default).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { distDir, machine, markdownTable, writeResults } from './lib/measure.mjs';
import { HELD_OUT_FAMILIES } from './tuner/families.mjs';

const require = createRequire(import.meta.url);
const { runScenario, staticBreaker, adaptivePolicy, learningPolicy, SIMULATED_TUNER } = require(
  join(distDir, 'sim/index.js'),
);

const seedsFlag = process.argv.indexOf('--seeds');
const seedCount = seedsFlag >= 0 ? Number(process.argv[seedsFlag + 1]) : 5;
if (!Number.isInteger(seedCount) || seedCount < 1)
  throw new TypeError(`bench:tuner: --seeds must be an integer >= 1, got ${process.argv[seedsFlag + 1]}`);
const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
const shareFlag = process.argv.indexOf('--probe-share');
const probeShare = shareFlag >= 0 ? Number(process.argv[shareFlag + 1]) : undefined;
if (probeShare !== undefined && !(probeShare > 0 && probeShare <= 1))
  throw new TypeError(`bench:tuner: --probe-share must be a number in (0, 1], got ${process.argv[shareFlag + 1]}`);
const tunerOptions = probeShare === undefined ? SIMULATED_TUNER : { ...SIMULATED_TUNER, probeShare };
const tunedPolicy =
  probeShare === undefined
    ? adaptivePolicy
    : learningPolicy('adaptive', `the static breaker, tuned with probeShare ${probeShare}`, { tuner: tunerOptions });

/** The seed's claims for the tuner against the static breaker. */
const CLAIMS = { recovery: -0.3, closingRate: 0.25, sickLoad: -0.15 };

/** Sums one policy's runs of a family over the seeds. */
function totals(runs) {
  const recoveries = runs.map((r) => r.metrics.recoveryTimeMs).filter((ms) => ms !== null);
  const rounds = runs.reduce((n, r) => n + r.metrics.probeRounds, 0);
  const closed = runs.reduce((n, r) => n + Math.round((r.metrics.recoverySuccessRate ?? 0) * r.metrics.probeRounds), 0);
  const requests = runs.reduce((n, r) => n + r.metrics.requests, 0);
  const successes = runs.reduce((n, r) => n + r.metrics.successRate * r.metrics.requests, 0);
  // Calls the sick service received while sick: its load per second times the time it was sick.
  const sickCalls = runs.reduce((n, r) => n + r.metrics.sickLoadPerSecond * sickSeconds(r), 0);
  return {
    incidents: runs.reduce((n, r) => n + r.metrics.incidents, 0),
    recoveryMs: recoveries.length === 0 ? null : recoveries.reduce((a, b) => a + b, 0) / recoveries.length,
    neverRecovered: runs.length - recoveries.length,
    rounds,
    closed,
    closingRate: rounds === 0 ? null : closed / rounds,
    sickCalls: Math.round(sickCalls),
    successRate: requests === 0 ? 1 : successes / requests,
  };
}

function sickSeconds(run) {
  return run.incidents.reduce((s, i) => s + ((i.healedAt ?? run.durationMs) - i.start) / 1000, 0);
}

const change = (tuned, fixed) => (tuned === null || fixed === null || fixed === 0 ? null : tuned / fixed - 1);
const signed = (x) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`);
const seconds = (ms) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const recovery = (side) => (side.incidents === 0 ? '-' : seconds(side.recoveryMs));
const percent = (x) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

const families = [];
const started = Date.now();
for (const scenario of HELD_OUT_FAMILIES) {
  const runsOf = async (policy) =>
    Promise.all(seeds.map((seed) => runScenario(scenario, policy, { seed, size: 'full' })));
  const fixed = totals(await runsOf(staticBreaker));
  const tuned = totals(await runsOf(tunedPolicy));
  families.push({ family: scenario.name, title: scenario.title, static: fixed, tuned });
  console.log(
    `${scenario.name}: recovery ${recovery(fixed)} -> ${recovery(tuned)}, sick calls ${fixed.sickCalls} -> ${tuned.sickCalls}`,
  );
}

const sum = (side, key) => families.reduce((n, f) => n + f[side][key], 0);
const recoveryChanges = families.map((f) => change(f.tuned.recoveryMs, f.static.recoveryMs)).filter((x) => x !== null);
const overall = {
  recovery: recoveryChanges.length === 0 ? null : recoveryChanges.reduce((a, b) => a + b, 0) / recoveryChanges.length,
  closingRate: change(
    sum('tuned', 'closed') / Math.max(1, sum('tuned', 'rounds')),
    sum('static', 'closed') / Math.max(1, sum('static', 'rounds')),
  ),
  sickLoad: change(sum('tuned', 'sickCalls'), sum('static', 'sickCalls')),
  successPoints: 100 * (families.reduce((n, f) => n + f.tuned.successRate - f.static.successRate, 0) / families.length),
  budgetHeld: families.every((f) => f.tuned.sickCalls <= f.static.sickCalls),
};

const rows = families.map((f) => ({
  family: f.family,
  'recovery, static -> tuned': `${recovery(f.static)} -> ${recovery(f.tuned)} (${signed(change(f.tuned.recoveryMs, f.static.recoveryMs))})`,
  'probe rounds that close': `${f.static.closed}/${f.static.rounds} -> ${f.tuned.closed}/${f.tuned.rounds}`,
  'calls to the sick service': `${f.static.sickCalls} -> ${f.tuned.sickCalls} (${signed(change(f.tuned.sickCalls, f.static.sickCalls))})`,
  'client success': `${percent(f.static.successRate)} -> ${percent(f.tuned.successRate)}`,
}));
const verdict = (value, claim, better) => (value === null ? 'n/a' : better(value, claim) ? 'met' : 'not met');
const summary = [
  {
    measure: 'recovery time (mean of per-family changes)',
    claimed: '-30% to -45%',
    measured: signed(overall.recovery),
    verdict: verdict(overall.recovery, CLAIMS.recovery, (v, c) => v <= c),
  },
  {
    measure: 'probe rounds that close (pooled rate)',
    claimed: '+25% to +40%',
    measured: signed(overall.closingRate),
    verdict: verdict(overall.closingRate, CLAIMS.closingRate, (v, c) => v >= c),
  },
  {
    measure: 'calls to the sick service (pooled)',
    claimed: '-15% to -20%',
    measured: signed(overall.sickLoad),
    verdict: verdict(overall.sickLoad, CLAIMS.sickLoad, (v, c) => v <= c),
  },
  {
    measure: 'client success (mean difference)',
    claimed: 'no lower',
    measured: `${overall.successPoints >= 0 ? '+' : ''}${overall.successPoints.toFixed(2)} points`,
    verdict: overall.successPoints >= 0 ? 'met' : 'not met',
  },
  {
    measure: 'probe budget: tuned sends no more calls to the sick service than static, every family',
    claimed: 'always',
    measured: overall.budgetHeld ? 'held' : 'broken',
    verdict: overall.budgetHeld ? 'met' : 'not met',
  },
];

const environment = machine({
  seeds,
  simulatedFamilies: families.length,
  wallSeconds: Math.round((Date.now() - started) / 1000),
});
const markdown = [
  '# The adaptive tuner against the static breaker, on held-out families',
  '',
  `\`npm run bench:tuner${probeShare === undefined ? '' : ` -- --probe-share ${probeShare}`}\` (${environment.date}, Node ${environment.node}; seeds ${seeds.join(', ')} per family; virtual time, so the figures do not depend on the machine).`,
  `Policies: \`static\` (50% of 10 s, min 20 calls, 30 s open, 1 probe) and \`adaptive\` (the same, tuned by \`AdaptiveTuner\` with ${JSON.stringify(tunerOptions)}).`,
  'Families: bench/tuner/families.mjs, none of them a simulator scenario.',
  '',
  markdownTable(rows),
  '',
  markdownTable(summary),
].join('\n');
console.log(`\n${markdown}`);
writeResults(
  probeShare === undefined ? 'tuner' : 'tuner-probe-share',
  { environment, claims: CLAIMS, families, overall },
  markdown,
);
