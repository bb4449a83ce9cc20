// The shipped early-warning model on failure shapes written here, apart from the generator it was
// trained on (src/sim/generator/), under breakers configured as users configure them: the model
// beside the recent-quarter and trend rules on the same rows, as the held-out evaluation does.
// Calls are instantaneous on a ManualClock, so only failure evidence moves (no latency).
// Usage: npm run bench:early-warning-unseen [-- --runs N] [-- --compare-model FILE]
// (writes bench/results/early-warning-unseen.*)
import { join } from 'node:path';
import { distDir, machine, markdownTable, writeResults } from './lib/measure.mjs';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = Number(runsFlag >= 0 ? process.argv[runsFlag + 1] : 12);
if (!Number.isInteger(RUNS) || RUNS < 1)
  throw new TypeError(`--runs must be an integer >= 1, got ${process.argv[runsFlag + 1]}`);
const HORIZON_S = 10;
const THRESHOLD = 0.7;
const RUN_S = 180;
const { CircuitBreaker, ManualClock } = await import(join(distDir, 'index.mjs'));
const a = await import(join(distDir, 'adaptive/index.mjs'));
import { readFileSync } from 'node:fs';

/** A model file scored on today's rows: its own feature list's columns, picked by name (older layouts are prefixes or subsets). */
async function loadModel(path) {
  const info = a.readModelInfo(readFileSync(path), path);
  const columns = info.featureList.features.map((name) => a.CORE_FEATURES.features.indexOf(name));
  if (columns.includes(-1))
    throw new RangeError(
      `${path}: features ${info.featureList.features.filter((_, i) => columns[i] < 0).join(', ')} are not in ${a.CORE_FEATURES.name}@${a.CORE_FEATURES.version}`,
    );
  const predictor = await a.Predictor.load(path, { featureList: info.featureList, executionProviders: ['typescript'] });
  return {
    name: `model ${info.featureList.name}@${info.featureList.version} (${path.split('/').slice(-2).join('/')})`,
    score: (rows, width) => {
      const picked = new Float32Array((rows.length / width) * columns.length);
      for (let r = 0; r < rows.length / width; r++)
        columns.forEach((c, k) => (picked[r * columns.length + k] = rows[r * width + c]));
      return predictor.score(picked);
    },
  };
}
const compareFlag = process.argv.indexOf('--compare-model');
const models = [
  await loadModel(a.defaultModelPath()),
  ...(compareFlag >= 0 ? [await loadModel(process.argv[compareFlag + 1])] : []),
];

/** mulberry32: the same draws on every machine. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (random, low, high) => low + (high - low) * random();
const pick = (random, values) => values[Math.floor(random() * values.length)];

/** Failure shapes: each returns the share of calls failing at second t of a run. */
const FAMILIES = [
  {
    name: 'linear-ramp',
    healthy: false,
    draw: (random) => {
      const start = between(random, 20, 60);
      const span = between(random, 15, 120);
      return (t) => Math.min(1, Math.max(0, (t - start) / span));
    },
  },
  {
    name: 'step-to-partial',
    healthy: false,
    draw: (random) => {
      const start = between(random, 20, 80);
      const length = between(random, 10, 60);
      const level = between(random, 0.2, 0.95);
      return (t) => (t >= start && t < start + length ? level : 0.005);
    },
  },
  {
    name: 'sawtooth',
    healthy: false,
    draw: (random) => {
      const period = between(random, 10, 60);
      const peak = between(random, 0.2, 0.9);
      return (t) => (t < 30 ? 0 : peak * (((t - 30) % period) / period));
    },
  },
  {
    name: 'healthy-noise',
    healthy: true,
    draw: (random) => {
      const level = between(random, 0, 0.05);
      return () => level;
    },
  },
];

/** Options as users set them: the usual 50% rule over a 10 s window (sometimes 100 calls), consecutive failures on or off. */
function drawOptions(random) {
  const count = random() < 0.25;
  return {
    slidingWindowType: count ? 'count' : 'time',
    slidingWindowSize: count ? 100 : 10_000,
    failureRateThreshold: 50,
    minimumCalls: pick(random, [10, 20]),
    failureThreshold: random() < 0.5 ? 0 : 5,
    recoveryTimeout: pick(random, [10_000, 30_000]),
  };
}

/** One run: rows of the closed breaker once a second, labelled by the trips that follow. */
function play(family, seed) {
  const random = seeded(seed);
  const failingShare = family.draw(random);
  const callsPerSecond = Math.round(between(random, 5, 200));
  const clock = new ManualClock(0);
  const breaker = new CircuitBreaker({ ...drawOptions(random), clock });
  const trips = [];
  breaker.on('open', () => trips.push(clock.now()));
  const extractor = new a.CoreFeatureExtractor();
  const rows = [];
  for (let second = 0; second < RUN_S; second++) {
    const share = failingShare(second);
    for (let call = 0; call < callsPerSecond; call++) {
      clock.advance(1000 / callsPerSecond);
      const fails = random() < share;
      try {
        breaker.executeSync(() => {
          if (fails) throw new Error('down');
        });
      } catch {
        // a failure, or a refusal of the open circuit
      }
    }
    const row = extractor.extract([breaker], clock.now());
    if (breaker.getState() === 'closed') rows.push({ atMs: clock.now(), row });
  }
  breaker.dispose();
  return rows.map(({ atMs, row }) => {
    const next = trips.find((trip) => trip > atMs);
    return { atMs, row, secondsToTrip: next === undefined ? Infinity : (next - atMs) / 1000 };
  });
}

const width = a.CORE_FEATURES.features.length;
const collected = { rows: [], series: [], family: [] };
let series = 0;
for (const [index, family] of FAMILIES.entries()) {
  for (let run = 0; run < RUNS; run++) {
    for (const row of play(family, 50_000 + index * 1000 + run)) {
      collected.rows.push(row);
      collected.series.push(series);
      collected.family.push(index);
    }
    series++;
  }
}
const n = collected.rows.length;
const data = {
  featureList: a.CORE_FEATURES,
  features: new Float32Array(n * width),
  labels: new Uint8Array(n),
  rowCount: n,
  secondsToTrip: new Float32Array(n),
  series: Uint32Array.from(collected.series),
  atMs: new Float64Array(n),
};
collected.rows.forEach((r, i) => {
  data.features.set(r.row, i * width);
  data.secondsToTrip[i] = r.secondsToTrip;
  data.labels[i] = r.secondsToTrip <= HORIZON_S ? 1 : 0;
  data.atMs[i] = r.atMs;
});
const healthyRow = (row) => FAMILIES[collected.family[row]].healthy;
const scorers = [
  ...(await Promise.all(
    models.map(async (m) => ({
      name: m.name,
      scores: await m.score(data.features, width),
      threshold: THRESHOLD,
      release: THRESHOLD - 0.2,
    })),
  )),
  ...a.RULE_BASELINES.map((rule) => ({ name: rule.name, scores: rule.scores(data), threshold: 1, release: 0.8 })),
];
const rows = scorers.map(({ name, scores, threshold, release }) => {
  const e = a.evaluateEarlyWarning(data, scores, threshold, HORIZON_S);
  const falseAlarms = a.falseAlarmsPerHour(data, scores, threshold, release, healthyRow);
  return {
    score: name,
    auc: +e.auc.toFixed(3),
    threshold,
    precision: +e.precision.toFixed(3),
    recall: +e.recall.toFixed(3),
    tripsWarned: `${e.tripsWarned}/${e.trips}`,
    medianLeadS: e.medianLeadSeconds === null ? '-' : +e.medianLeadSeconds.toFixed(1),
    falseAlarmsPerHourHealthy: +falseAlarms.perHour.toFixed(2),
  };
});
const facts = machine({ runsPerFamily: RUNS });
console.log(
  `${n} rows (${data.labels.reduce((s, l) => s + l, 0)} positive), families ${FAMILIES.map((f) => f.name).join(', ')}, ${RUNS} runs each`,
);
console.table(rows);
writeResults(
  'early-warning-unseen',
  { machine: facts, families: FAMILIES.map((f) => f.name), rows },
  [
    `# The early warning on failure shapes the generator never made (${facts.date})`,
    '',
    `Families (bench/early-warning-unseen.mjs): ${FAMILIES.map((f) => f.name).join(', ')}; ${RUNS} runs each, ${n} rows; breakers with the usual 50% rule, 10 s or 100-call windows, minimumCalls 10 or 20, consecutive-failure rule on half of them.`,
    '',
    markdownTable(rows),
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench:early-warning-unseen\`.`,
  ].join('\n'),
);
