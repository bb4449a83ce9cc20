// The early-warning loop's cost per tick for 10,000 breakers: reading every feature row from the
// core (one windowStats() crossing per arena), then scoring them in one batch with the default
// model, on onnxruntime (CPU) and on the built-in TypeScript tree walker. Target: <= 10 ms per tick.
// Usage: npm run bench:scoring (writes bench/results/scoring.json and .md)
import { join } from 'node:path';
import { distDir, machine, markdownTable, median, writeResults } from './lib/measure.mjs';

const BREAKERS = Number(process.env.BENCH_BREAKERS ?? 10_000);
const TICKS = Number(process.env.BENCH_TICKS ?? 50);
const TARGET_MS = 10;
const { CircuitBreaker } = await import(join(distDir, 'index.mjs'));
const { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor, Predictor, defaultModelPath } = await import(
  join(distDir, 'adaptive/index.mjs')
);

// Used breakers with some history: a few successes and failures each, and calls of 1 to 400 ms
// (log-uniform) recorded with their latency, so every row reads percentiles.
let seed = 7;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const breakers = Array.from({ length: BREAKERS }, (_, i) => {
  const breaker = new CircuitBreaker({
    name: `b${i}`,
    failureThreshold: 0,
    failureRateThreshold: 50,
    labels: { hardware: i % 2 ? 'gpu' : 'cpu' },
  });
  for (let k = 0; k < 20; k++) {
    try {
      breaker.executeSync(() => {
        if ((i + k) % 7 === 0) throw new Error('down');
      });
    } catch {
      // the refusal or failure is what this measures
    }
  }
  for (let k = 0; k < 20; k++) breaker.recordSuccess(Math.exp(random() * Math.log(400)));
  return breaker;
});
const extractor = new CoreFeatureExtractor();
const rows = new Float32Array(BREAKERS * CORE_FEATURE_COUNT);

/** Milliseconds per tick of `work`, median over TICKS ticks after a warm-up. */
async function perTick(work) {
  for (let i = 0; i < 5; i++) await work();
  const times = [];
  for (let i = 0; i < TICKS; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return median(times);
}

const extractMs = await perTick(() => extractor.extract(breakers, performance.now(), rows));
const results = [{ step: 'feature rows only (the baseline)', msPerTick: extractMs }];
for (const provider of ['cpu', 'typescript']) {
  let model;
  try {
    model = await Predictor.load(defaultModelPath(), { featureList: CORE_FEATURES, executionProviders: [provider] });
  } catch (error) {
    console.log(`${provider}: not measured (${error.message.split('\n')[0]})`);
    continue;
  }
  const scoreMs = await perTick(() => model.score(rows));
  const tickMs = await perTick(async () => model.score(extractor.extract(breakers, performance.now(), rows)));
  results.push({
    step: `score only, ${provider === 'cpu' ? 'onnxruntime CPU' : 'TypeScript tree walker'}`,
    msPerTick: scoreMs,
  });
  results.push({
    step: `whole tick (rows + score), ${provider === 'cpu' ? 'onnxruntime CPU' : 'TypeScript tree walker'}`,
    msPerTick: tickMs,
  });
  if (provider === 'cpu') {
    // The default is min(4, cores) intra-op threads; one thread is what onnxruntime-node runs alone.
    const single = await Predictor.load(defaultModelPath(), {
      featureList: CORE_FEATURES,
      executionProviders: ['cpu'],
      intraOpThreads: 1,
    });
    results.push({
      step: 'score only, onnxruntime CPU, 1 intra-op thread',
      msPerTick: await perTick(() => single.score(rows)),
    });
  }
}
const table = results.map((r) => ({
  step: r.step,
  'ms per tick': +r.msPerTick.toFixed(2),
  'x target (10 ms)': +(r.msPerTick / TARGET_MS).toFixed(2),
}));
const facts = machine({ breakers: BREAKERS, ticks: TICKS });
console.log(`${BREAKERS.toLocaleString('en')} breakers, default model (${CORE_FEATURE_COUNT} features)`);
console.table(table);
writeResults(
  'scoring',
  { machine: facts, results },
  [
    markdownTable(table),
    '',
    `Target: all ${BREAKERS.toLocaleString('en')} breakers scored in <= ${TARGET_MS} ms per tick.`,
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench:scoring\` (median of ${TICKS} ticks after 5 warm-up ticks).`,
  ].join('\n'),
);
