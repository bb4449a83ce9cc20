// A progressive rollout of a new model version behind a real HTTP endpoint on 127.0.0.1.
// The server answers /predict?user=... with model v1 or the candidate; breakwater's
// RolloutController picks the version per user (sticky), watches both, and advances or rolls back.
//   node examples/rollout.mjs              two live rollouts: a good candidate, then a bad one
//   node examples/rollout.mjs --scenarios  the same two rollouts on virtual time (deterministic)
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from 'breakwater';
import { RolloutController } from 'breakwater/rollout';

/** A deterministic PRNG (mulberry32): the same seed gives the same traffic on every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The models. v1 is in production; v2 is a good candidate; v3 fails on a third of the inputs. */
const models = {
  v1: (x) => 1 / (1 + Math.exp(-(0.8 * x - 0.2))),
  v2: (x) => 1 / (1 + Math.exp(-(0.9 * x - 0.1))),
  v3: (x) => {
    if (Math.abs(Math.sin(x * 1000)) < 0.5) throw new Error('v3: NaN in layer 7');
    return 1 / (1 + Math.exp(-x));
  },
};

const pad = (text, width) => String(text).padEnd(width);
const percent = (weight) => `${+(weight * 100).toFixed(2)}%`;

function logTransitions(rollout, clockLabel) {
  rollout.on('transition', (t) => {
    const phase =
      t.to === 'OFF' ? 'OFF' : `${t.to} (${percent(rollout.options.phases.find((p) => p.name === t.to).weight)})`;
    console.log(`  ${clockLabel(t.at)}  ${pad(t.action, 8)} ${pad(t.from, 7)} -> ${pad(phase, 15)} ${t.reason}`);
  });
  rollout.on('rollback', (t) =>
    console.log(`  ${clockLabel(t.at)}  ALERT    ${rollout.options.name} rolled back: ${t.reason}`),
  );
}

// --- live: a real HTTP server ----------------------------------------------------------------

async function live(candidate, runMs) {
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-rollout-example-'));
  const rollout = new RolloutController({
    name: `model-${candidate}`,
    phases: [
      { name: 'PROBE', weight: 0.05 },
      { name: 'SMALL', weight: 0.2 },
      { name: 'MEDIUM', weight: 0.5 },
      { name: 'FULL', weight: 1 },
    ],
    monitoringWindowMinutes: 0.1, // 6 s: a short window for a demo that lasts seconds
    minSamplesPerPhase: 20,
    maxLatencyMs: 200,
    evaluationIntervalMs: 250,
    consecutiveGoodEvaluations: 2,
    stateFile: join(dir, 'rollout.json'),
  });
  const started = Date.now();
  logTransitions(rollout, (at) => `${String(at - started).padStart(5)} ms`);

  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const user = url.searchParams.get('user') ?? '';
    const useNew = rollout.shouldUseNewVersion(user);
    const version = useNew ? candidate : 'v1';
    const begin = performance.now();
    try {
      const score = models[version](Number(url.searchParams.get('x')));
      rollout.recordExecution(useNew ? 'new' : 'old', true, performance.now() - begin);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ version, score }));
    } catch (error) {
      rollout.recordExecution(useNew ? 'new' : 'old', false, performance.now() - begin);
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ version, error: error.message }));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/predict`;
  console.log(`\nlive: model v1 -> ${candidate} behind ${base}`);

  rollout.start();
  const next = random(candidate === 'v2' ? 7 : 11);
  const served = { v1: 0, [candidate]: 0, errors: 0 };
  const candidateUsers = new Set();
  // 16 clients in parallel, each a stream of requests from random users among 20,000.
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() - started < runMs && rollout.status !== 'complete' && rollout.status !== 'rolledBack') {
        const user = `user-${Math.floor(next() * 20_000)}`;
        const response = await fetch(`${base}?user=${user}&x=${next() * 4 - 2}`);
        const body = await response.json();
        served[body.version]++;
        if (!response.ok) served.errors++;
        if (body.version === candidate) candidateUsers.add(user);
      }
    }),
  );
  rollout.stop();
  server.close();
  console.log(
    `  -> ${rollout.status} at ${rollout.phase.name}; served v1 ${served.v1}, ${candidate} ${served[candidate]} (${candidateUsers.size} users), errors ${served.errors}`,
  );
  rollout.dispose();
  rmSync(dir, { recursive: true, force: true });
}

// --- virtual time: the two scenarios, deterministic -----------------------------------------

function scenario(candidate, quality) {
  const clock = new ManualClock(0);
  const rollout = new RolloutController({
    name: `model-${candidate}`,
    clock,
    monitoringWindowMinutes: 5,
    minSamplesPerPhase: 50,
    minPhaseDurationMs: 10 * 60_000,
    consecutiveGoodEvaluations: 3,
    evaluationIntervalMs: 60_000,
  });
  const clockTime = (ms) => {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  const minutes = (ms) => `t=${clockTime(ms).padStart(5)}`;
  console.log(
    `\nscenario: ${candidate} (completion ${quality.completion}, ~${quality.latencyMs} ms) vs v1 (0.97, ~350 ms); 20 requests/s from 100,000 users`,
  );
  logTransitions(rollout, minutes);
  rollout.evaluateAndDecide(); // start now; then one evaluation a minute
  rollout.start();
  const next = random(42);
  const exposed = new Set();
  let candidateRequests = 0;
  let candidateFailures = 0;
  let firstExposure;
  let lastExposure;
  const endMs = 3 * 3_600_000;
  for (let t = 0; t < endMs && rollout.status !== 'complete' && rollout.status !== 'rolledBack'; t += 50) {
    clock.advance(50); // fires the evaluations due
    const user = `user-${Math.floor(next() * 100_000)}`;
    const useNew = rollout.shouldUseNewVersion(user);
    const { completion, latencyMs } = useNew ? quality : { completion: 0.97, latencyMs: 350 };
    const ok = next() < completion;
    rollout.recordExecution(useNew ? 'new' : 'old', ok, latencyMs * (0.5 + next()));
    if (useNew) {
      exposed.add(user);
      candidateRequests++;
      if (!ok) candidateFailures++;
      firstExposure ??= clock.now();
      lastExposure = clock.now();
    }
  }
  const exposure = firstExposure === undefined ? 0 : lastExposure - firstExposure;
  console.log(
    `  -> ${rollout.status} at ${rollout.phase.name} after ${clockTime(clock.now())} min; ${candidate} served ${candidateRequests} requests` +
      ` (${candidateFailures} failed) to ${exposed.size} users over ${clockTime(exposure)} min`,
  );
  rollout.dispose();
}

if (process.argv.includes('--scenarios')) {
  scenario('v2', { completion: 0.985, latencyMs: 300 });
  scenario('v3', { completion: 0.7, latencyMs: 900 });
} else {
  await live('v2', 30_000);
  await live('v3', 30_000);
}
