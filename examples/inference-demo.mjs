// The README's main job: an inference server on 127.0.0.1 answers /predict by calling a model
// backend (a GPU replica, fault-injected: latency creeps in, then it goes down, then it heals)
// through breakwater, with a CPU replica as the fallback. A bounded load generator drives it;
// adaptive tuning and the early-warning model are on; every event lands in DuckDB under data/;
// the live dashboard shows it all. Ends after DEMO_SECONDS (default 60) or Ctrl-C with a summary.
// Run: npm start
import { rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { AdaptiveTuner, CORE_FEATURES, EarlyWarning, Predictor, defaultModelPath } from 'breakwater/adaptive';
import { FaultInjector } from 'breakwater/chaos';
import { CircuitOpenError, Registry, coreKind } from 'breakwater';
import { createDuckDbSink, startDashboard } from 'breakwater/observe';

const RUN_SECONDS = runSeconds(process.env.DEMO_SECONDS);
const REQUESTS_PER_SECOND = 40;
const DATA_DIR = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'data');
const DATABASE = join(DATA_DIR, 'breakwater-demo.duckdb');
/** The GPU replica's troubles, in ms from the start: latency creeps in, then it is down, then it heals. */
const GPU_TROUBLE = [
  { type: 'latency', from: 12_000, to: 24_000, ramp: ['mild', 'severe'] },
  { type: 'connection-refused', from: 24_000, to: 38_000, intensity: 'severe' },
];

/** DEMO_SECONDS: a whole number of seconds, 1 to 86400; anything else stops the demo before it starts. */
function runSeconds(text) {
  if (text === undefined || text === '') return 60;
  const value = Number(text);
  if (/^\d+$/.test(text.trim()) && value >= 1 && value <= 86_400) return value;
  console.error(`DEMO_SECONDS must be a whole number of seconds from 1 to 86400, got ${JSON.stringify(text)}`);
  process.exit(2);
}

/** What the GPU replica goes through within this run's length (the banner must not promise more). */
function troubleWithin(runMs) {
  const [slow, down] = GPU_TROUBLE.map((fault) => ({ from: fault.from / 1000, to: fault.to / 1000 }));
  const end = runMs / 1000;
  if (end <= slow.from)
    return `the GPU replica stays healthy in this ${end} s run (its troubles start at ${slow.from} s; DEMO_SECONDS=60 shows them all)`;
  if (end <= down.from)
    return `the GPU replica slows down at ${slow.from} s; the run ends at ${end} s, before its outage (${down.from} s to ${down.to} s)`;
  if (end <= down.to)
    return `the GPU replica slows down at ${slow.from} s and is down from ${down.from} s until the run ends at ${end} s`;
  return `the GPU replica slows down at ${slow.from} s, is down from ${down.from} s to ${down.to} s, then heals`;
}

const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;

// --- two model replicas: the GPU one is fault-injected ------------------------------------------
async function modelServer(name, latencyMs, injector) {
  const infer = async () => {
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
    return { label: 'cat', score: 0.93, replica: name };
  };
  const guarded = injector ? injector.wrap(infer) : infer;
  const server = createServer(async (request, response) => {
    try {
      const body = await guarded();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } catch (error) {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') return request.socket.destroy();
      response.writeHead(503).end(String(error.message));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/infer` };
}

const gpuFaults = new FaultInjector({ seed: 7, schedule: GPU_TROUBLE });
const gpu = await modelServer('gpu', 8, gpuFaults);
const cpu = await modelServer('cpu', 40);

// --- the registry: breakers, history in DuckDB, tuning, early warning, dashboard ----------------
rmSync(DATABASE, { force: true });
mkdirSync(DATA_DIR, { recursive: true });
const registry = new Registry({ summaryEveryMs: 1000 });
const database = await createDuckDbSink({ path: DATABASE });
registry.addSink(database);
const breakerOptions = {
  slidingWindowSize: 10_000,
  failureThreshold: 0,
  failureRateThreshold: 50,
  minimumCalls: 20,
  recoveryTimeout: 10_000,
  timeout: 600,
};
const gpuBreaker = registry.hardwareBreaker('gpu', breakerOptions);
const cpuBreaker = registry.hardwareBreaker('cpu', { ...breakerOptions, timeout: 2000 });
const tuner = new AdaptiveTuner(registry, { retrainingInterval: 5_000, minDataPoints: 3, learningRate: 0.5 });
const model = await Predictor.load(defaultModelPath(), {
  featureList: CORE_FEATURES,
  executionProviders: ['cpu', 'typescript'],
});
const warning = new EarlyWarning(registry, model, { everyMs: 1000 });
const dashboard = await startDashboard({ registry, port: Number(process.env.DEMO_PORT ?? 0) });

// --- the inference server: GPU through its breaker, CPU as the fallback -------------------------
const callReplica =
  (url) =>
  ({ signal }) =>
    fetch(url, { signal }).then(async (response) => {
      if (!response.ok) throw new Error(`replica answered ${response.status}`);
      return response.json();
    });
const served = { gpu: 0, cpu: 0, failed: 0 };
const inference = createServer(async (request, response) => {
  let answer;
  try {
    answer = await gpuBreaker.execute(callReplica(gpu.url));
  } catch (error) {
    try {
      answer = await cpuBreaker.execute(callReplica(cpu.url)); // the GPU failed or its circuit is open
    } catch {
      served.failed++;
      return response.writeHead(503).end(error instanceof CircuitOpenError ? 'circuit open' : 'unavailable');
    }
  }
  served[answer.replica]++;
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
});
await new Promise((resolve) => inference.listen(0, '127.0.0.1', resolve));
const predictUrl = `http://127.0.0.1:${inference.address().port}/predict`;

console.log(
  `breakwater inference demo (${coreKind} core, model ${model.executionProvider}): ${RUN_SECONDS} s of ${REQUESTS_PER_SECOND} requests/s to ${predictUrl}`,
);
console.log(`dashboard: ${dashboard.url}   events: ${DATABASE}`);
console.log(`${troubleWithin(RUN_SECONDS * 1000)}\n`);

// --- a bounded load generator -------------------------------------------------------------------
let stopping = false;
process.once('SIGINT', () => (stopping = true));
const inFlight = new Set();
const load = setInterval(() => {
  for (let i = 0; i < REQUESTS_PER_SECOND / 10 && inFlight.size < 200; i++) {
    const call = fetch(predictUrl)
      .then((r) => r.arrayBuffer())
      .catch(() => {})
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  }
}, 100);
const progress = setInterval(() => {
  const p = (b) => registry.breakerHealth('hardware', b.labels.hardware)?.probability;
  const show = (b) => `${b.labels.hardware} ${b.getState().padEnd(9)} P=${(p(b) ?? 0).toFixed(2)}`;
  console.log(
    `t=${seconds().toFixed(0).padStart(3)}s  ${show(gpuBreaker)}  ${show(cpuBreaker)}  served gpu ${served.gpu}, cpu ${served.cpu}, failed ${served.failed}`,
  );
}, 1000);
// DEMO_SCREENSHOT=file.png: a picture of the dashboard while the GPU is down (the README's).
const screenshot = process.env.DEMO_SCREENSHOT && setTimeout(() => takeScreenshot(process.env.DEMO_SCREENSHOT), 30_000);
while (!stopping && seconds() < RUN_SECONDS) await new Promise((resolve) => setTimeout(resolve, 100));
clearTimeout(screenshot);
clearInterval(load);
clearInterval(progress);
await Promise.all(inFlight);

async function takeScreenshot(file) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(dashboard.url);
  await page.waitForTimeout(3000); // let the live charts fill in
  await page.screenshot({ path: file, fullPage: true });
  await browser.close();
  console.log(`screenshot: ${file}`);
}

// --- the summary ----------------------------------------------------------------------------------
const transitions = registry.recent({ event_type: 'transition', limit: 10_000 });
const recoveries = (name) => {
  const times = [];
  let openedAt;
  for (const event of transitions.filter((e) => e.breaker === name)) {
    if (event.detail.from === 'closed' && event.detail.to === 'open') openedAt = event.timestamp;
    if (event.detail.to === 'closed' && openedAt !== undefined) {
      times.push(((event.timestamp - openedAt) / 1000).toFixed(1) + ' s');
      openedAt = undefined;
    }
  }
  return times.join(', ') || '-';
};
const rows = [gpuBreaker, cpuBreaker].map((breaker) => {
  const name = breaker.labels.hardware;
  const m = breaker.getMetrics();
  const mine = transitions.filter((e) => e.breaker === name);
  return {
    breaker: `hardware/${name}`,
    calls: m.totalCalls,
    successes: m.successes,
    failures: m.failures,
    rejections: m.rejections,
    'trips (all)': mine.filter((e) => e.detail.to === 'open' && e.detail.from === 'closed').length,
    'predicted trips': mine.filter((e) => e.detail.reason === 'predicted').length,
    'recovery times': recoveries(name),
    'tuning changes': registry.recent({ event_type: 'tuning', breaker: name, limit: 10_000 }).length,
  };
});
console.log('\nsummary');
console.table(rows);
console.log(
  `requests served: gpu ${served.gpu}, cpu fallback ${served.cpu}, failed ${served.failed}; early-warning rounds ${warning.rounds}, pre-opens ${warning.preOpens}`,
);

tuner.stop();
warning.stop();
await dashboard.close();
await registry.shutdown();
const history = await createDuckDbSink({ path: DATABASE }); // reopened, to read back what was written
const counts = await history.query(
  'SELECT event_type, count(*)::INTEGER AS events FROM circuit_breaker_metrics GROUP BY event_type ORDER BY event_type',
);
console.log(`event history in ${DATABASE}: ${counts.map((r) => `${r.events} ${r.event_type}`).join(', ')}`);
await history.close();
for (const server of [inference, gpu.server, cpu.server]) server.close();
