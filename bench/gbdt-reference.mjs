// breakwater's GBDT trainer against scikit-learn's HistGradientBoostingClassifier on the same data:
// seeded synthetic breaker-feature windows and one standard shape (Hastie et al. 10.2), the same
// hyper-parameters, the AUC of both on the same held-out rows (computed by scikit-learn for both).
// The bar: |AUC difference| <= 0.005 on every dataset; the script exits 1 otherwise.
// Usage: node bench/gbdt-reference.mjs   (needs Debian's python3-sklearn: /usr/bin/python3)
// Writes bench/results/gbdt-reference.json and .md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir, distDir, machine, markdownTable, writeResults } from './lib/measure.mjs';

const require = createRequire(import.meta.url);
const TOLERANCE = 0.005;
const PYTHON = '/usr/bin/python3'; // Debian's own: python3-sklearn is not importable by another python3 on PATH.

/** The same settings on both sides (scikit-learn names in gbdt_reference.py). */
const PARAMS = {
  rounds: 200,
  learningRate: 0.1,
  maxDepth: 6,
  minSamplesLeaf: 20,
  l2: 1,
  maxBins: 255,
  validationFraction: 0.1,
  earlyStoppingRounds: 10,
  tolerance: 1e-7,
  seed: 0,
};

/** The built adaptive entry, or (before the build has it) the TypeScript source bundled by esbuild, as tsup would. */
function loadAdaptive(scratch) {
  const built = join(distDir, 'adaptive/index.js');
  if (existsSync(built)) return { module: require(built), from: 'dist/adaptive/index.js' };
  const out = join(scratch, 'adaptive.cjs');
  require('esbuild').buildSync({
    entryPoints: [join(benchDir, '../src/adaptive/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    external: ['onnxruntime-node'],
    logLevel: 'error',
  });
  return { module: require(out), from: 'src/adaptive (bundled by esbuild)' };
}

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random) {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const BREAKER_FEATURES = [
  'failure_rate_short',
  'failure_rate_long',
  'failure_rate_slope',
  'latency_p50_rel',
  'latency_p90_rel',
  'latency_p99_rel',
  'latency_p50_slope',
  'latency_p99_slope',
  'timeout_rate',
  'slow_call_rate',
  'call_rate_change',
  'in_flight',
  'consecutive_failures',
  'seconds_since_transition',
  'errors_timeout_share',
  'errors_5xx_share',
  'errors_connection_share',
  'hardware_cpu',
  'hardware_gpu',
  'hardware_webgpu',
  'hardware_webnn',
];

/**
 * Rows that look like a breaker's feature row on a control-plane tick: a hidden degradation d
 * (most breakers healthy, some sliding toward failure) drives the rates, latencies and their
 * slopes with noise; the hardware class changes how fast trouble grows; latency is missing (NaN)
 * when a window had no timed call. The label is whether the failure rate crosses the threshold
 * soon, drawn from a logistic of d, its trend and interactions, so no feature gives it away.
 */
function breakerWindows(rows, seed, { positiveShift, missingLatency }) {
  const random = mulberry32(seed);
  const width = BREAKER_FEATURES.length;
  const x = new Float32Array(rows * width);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const hardware = Math.floor(random() * 4);
    const degrading = random() < 0.25;
    const d = degrading ? random() : random() * 0.15;
    const trend = degrading ? 0.5 * random() + 0.2 * gaussian(random) : 0.05 * gaussian(random);
    const sensitivity = [1, 1.6, 1.3, 0.8][hardware];
    const failureShort = Math.min(1, Math.max(0, 0.02 + 0.35 * d * sensitivity + 0.05 * gaussian(random)));
    const failureLong = Math.min(1, Math.max(0, 0.02 + 0.25 * d + 0.03 * gaussian(random)));
    const latencyMissing = random() < missingLatency;
    const p50 = 1 + 0.8 * d + 0.15 * gaussian(random);
    const p99 = p50 * (1.5 + 2.5 * d * sensitivity + 0.3 * Math.abs(gaussian(random)));
    const inFlight = Math.round(Math.exp(1.5 + 0.8 * gaussian(random) + 1.5 * d));
    const consecutive = Math.floor(-Math.log(1 - random()) * (0.5 + 6 * d * d));
    const sinceTransition = random() < 0.15 ? Number.NaN : -Math.log(1 - random()) * (600 - 400 * d);
    const timeoutShare = Math.max(0, Math.min(1, 0.3 + 0.4 * (hardware === 1 ? d : 0) + 0.15 * gaussian(random)));
    const connectionShare = Math.max(0, Math.min(1 - timeoutShare, 0.2 * random()));
    const row = [
      failureShort,
      failureLong,
      trend * 0.1 + 0.02 * gaussian(random),
      latencyMissing ? Number.NaN : p50,
      latencyMissing ? Number.NaN : (p50 + p99) / 2,
      latencyMissing ? Number.NaN : p99,
      latencyMissing ? Number.NaN : 0.1 * trend + 0.05 * gaussian(random),
      latencyMissing ? Number.NaN : 0.3 * trend * sensitivity + 0.1 * gaussian(random),
      Math.max(0, 0.5 * failureShort * timeoutShare + 0.01 * gaussian(random)),
      Math.max(0, 0.3 * d + 0.05 * gaussian(random)),
      0.2 * gaussian(random) - 0.3 * d,
      inFlight,
      consecutive,
      sinceTransition,
      timeoutShare,
      1 - timeoutShare - connectionShare,
      connectionShare,
      hardware === 0 ? 1 : 0,
      hardware === 1 ? 1 : 0,
      hardware === 2 ? 1 : 0,
      hardware === 3 ? 1 : 0,
    ];
    for (let f = 0; f < width; f++) x[r * width + f] = row[f];
    const logit =
      positiveShift +
      7 * d * sensitivity +
      5 * trend +
      1.5 * d * (inFlight > 20 ? 1 : 0) +
      (hardware === 3 ? -0.8 : 0) +
      0.8 * Math.sin(4 * d * trend * 3);
    y[r] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { x, y, width, features: BREAKER_FEATURES };
}

/** Hastie et al. (ESL, eq. 10.2): ten standard normal features, y = 1 when their squares sum above 9.34. */
function hastie(rows, seed) {
  const random = mulberry32(seed);
  const width = 10;
  const x = new Float32Array(rows * width);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let f = 0; f < width; f++) {
      const v = Math.fround(gaussian(random));
      x[r * width + f] = v;
      sum += v * v;
    }
    y[r] = sum > 9.34 ? 1 : 0;
  }
  return { x, y, width, features: Array.from({ length: width }, (_, i) => `x${i}`) };
}

const DATASETS = [
  {
    name: 'breaker windows (seed 1, 10% latency missing)',
    train: 50_000,
    test: 20_000,
    make: (n) => breakerWindows(n, 1, { positiveShift: -3.2, missingLatency: 0.1 }),
  },
  {
    name: 'breaker windows (seed 2, rarer positives, 30% latency missing)',
    train: 50_000,
    test: 20_000,
    make: (n) => breakerWindows(n, 2, { positiveShift: -5.5, missingLatency: 0.3 }),
  },
  { name: 'Hastie 10.2 (seed 3, standard shape)', train: 20_000, test: 10_000, make: (n) => hastie(n, 3) },
];

const scratch = mkdtempSync(join(tmpdir(), 'breakwater-gbdt-'));
try {
  const { module: adaptive, from } = loadAdaptive(scratch);
  console.log(`breakwater trainer from ${from}; scikit-learn via ${PYTHON}, OMP_NUM_THREADS=1`);
  const jobs = [];
  for (const [index, dataset] of DATASETS.entries()) {
    const { x, y, width, features } = dataset.make(dataset.train + dataset.test);
    const featureList = { name: `bench.${index}`, version: 1, features };
    const train = {
      featureList,
      features: x.subarray(0, dataset.train * width),
      labels: y.subarray(0, dataset.train),
      rowCount: dataset.train,
    };
    const test = {
      featureList,
      features: x.subarray(dataset.train * width),
      labels: y.subarray(dataset.train),
      rowCount: dataset.test,
    };
    const started = performance.now();
    const model = adaptive.trainGbdt(train, PARAMS);
    const trainMs = performance.now() - started;
    const predictions = adaptive.predictProbabilities(model, test.features);
    const dir = join(scratch, String(index));
    writeFileSync(`${dir}.train_x`, train.features);
    writeFileSync(`${dir}.train_y`, train.labels);
    writeFileSync(`${dir}.test_x`, test.features);
    writeFileSync(`${dir}.test_y`, test.labels);
    writeFileSync(`${dir}.ours`, Buffer.from(predictions.buffer));
    const positives = y.reduce((a, b) => a + b, 0) / y.length;
    jobs.push({
      name: dataset.name,
      prefix: dir,
      width,
      train: dataset.train,
      test: dataset.test,
      positives,
      trainMs,
      trees: model.trees.length,
      oursAucJs: adaptive.rocAuc(test.labels, predictions),
    });
    console.log(`  trained on ${dataset.name}: ${model.trees.length} trees`);
  }
  writeFileSync(join(scratch, 'jobs.json'), JSON.stringify({ params: PARAMS, jobs }));
  const output = execFileSync(PYTHON, [join(benchDir, 'gbdt_reference.py'), join(scratch, 'jobs.json')], {
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
  });
  const reference = JSON.parse(output);
  const rows = jobs.map((job, i) => {
    const ref = reference.results[i];
    const delta = ref.ours_auc - ref.sklearn_auc;
    return {
      dataset: job.name,
      'rows (train/test)': `${job.train}/${job.test}`,
      features: job.width,
      positive: `${(job.positives * 100).toFixed(1)}%`,
      'AUC breakwater': ref.ours_auc.toFixed(4),
      'AUC scikit-learn': ref.sklearn_auc.toFixed(4),
      'Δ AUC': delta.toFixed(4),
      'within 0.005': Math.abs(delta) <= TOLERANCE ? 'yes' : 'NO',
      'trees (bw/sk)': `${job.trees}/${ref.sklearn_trees}`,
      'train time bw/sk': `${(job.trainMs / 1000).toFixed(2)} s / ${ref.sklearn_seconds.toFixed(2)} s (×${(job.trainMs / 1000 / ref.sklearn_seconds).toFixed(2)})`,
    };
  });
  const env = machine({ sklearn: reference.sklearn, numpy: reference.numpy, python: reference.python });
  const markdown = [
    '# GBDT trainer vs scikit-learn HistGradientBoostingClassifier',
    '',
    `${env.date}, Node ${env.node}, ${env.cpu} (${env.cores} cores, shared), scikit-learn ${env.sklearn} (Debian, OMP_NUM_THREADS=1). Command: \`node bench/gbdt-reference.mjs\`.`,
    `Settings on both sides: ${JSON.stringify(PARAMS)} (scikit-learn: max_iter, learning_rate, max_depth, min_samples_leaf, l2_regularization, max_bins, validation_fraction, n_iter_no_change, tol, random_state; max_leaf_nodes=None). AUC of both computed by sklearn.metrics.roc_auc_score on the same held-out rows.`,
    '',
    markdownTable(rows),
  ].join('\n');
  console.log(`\n${markdown}`);
  writeResults(
    'gbdt-reference',
    {
      machine: env,
      params: PARAMS,
      tolerance: TOLERANCE,
      rows: jobs.map((job, i) => ({ ...job, prefix: undefined, ...reference.results[i] })),
    },
    markdown,
  );
  const failed = rows.filter((row) => row['within 0.005'] !== 'yes');
  if (failed.length > 0) {
    console.error(`\nAUC differs by more than ${TOLERANCE} on: ${failed.map((row) => row.dataset).join('; ')}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
