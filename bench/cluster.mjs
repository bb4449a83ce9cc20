// Four node processes against one dependency that goes down, joined in a cluster through a real
// redis-server (started here on a free port), beside four independent breakers in the same run:
// failed calls sent before every node is open (few calls per node, and many), the spread from
// the cluster's decision to the last node open, calls reaching the down dependency per half-open
// round, the guarded call's cost with the cluster on and off, and Redis round trips per node with
// 10,000 active breakers. Usage: npm run bench:cluster (writes bench/results/cluster.*)
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { benchDir, distDir, loadBreakwater, machine, markdownTable, median, writeResults } from './lib/measure.mjs';

const NODES = 4;
const TRIALS = Number(process.env.BENCH_CLUSTER_TRIALS ?? 3);
const SPREAD_TRIALS = Number(process.env.BENCH_CLUSTER_SPREAD_TRIALS ?? 20);
const RATE_LIMITED = {
  minimumCalls: 10,
  failureRateThreshold: 50,
  failureThreshold: 0,
  slidingWindowSize: 60_000,
  recoveryTimeout: 60_000,
};

const port = await freePort();
const redisUrl = `redis://127.0.0.1:${port}`;
// Another server that speaks Redis's protocol and takes its flags: BREAKWATER_REDIS_SERVER=valkey-server.
const server = process.env.BREAKWATER_REDIS_SERVER || 'redis-server';
const redis = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
redis.on('error', () => {
  console.error(`bench:cluster needs ${server} (Debian: apt-get install redis-server)`);
  process.exit(2);
});
await new Promise((resolve) =>
  redis.stdout.on('data', (chunk) => String(chunk).includes('Ready to accept') && resolve()),
);

let namespaces = 0;

/** Four node processes: joined through Redis, or independent. */
async function fleet(independent) {
  const namespace = `bench${++namespaces}`;
  const nodes = await Promise.all(
    Array.from({ length: NODES }, () => startNode({ independent, redis: redisUrl, namespace })),
  );
  await Promise.all(nodes.map((node) => node.send('ready')));
  return {
    nodes,
    namespace,
    all: (op, args) => Promise.all(nodes.map((node) => node.send(op, args))),
    close: () => nodes.forEach((node) => node.kill()),
  };
}

/** Failed calls the four nodes send, at `rate` calls a second each, before every one of them is open. */
async function failedBeforeOpen(independent, rate) {
  const sent = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const cluster = await fleet(independent);
    await cluster.all('down', { down: true });
    const replies = await cluster.all('callUntilOpen', {
      name: 'payments',
      breakerOptions: RATE_LIMITED,
      rate,
      maxMs: 60_000,
    });
    sent.push(replies.reduce((sum, reply) => sum + reply.failed, 0));
    cluster.close();
  }
  return median(sent);
}

/** Ms from the first node open (the cluster's decision) to the last, over SPREAD_TRIALS outages. */
async function decisionToLastOpen() {
  const cluster = await fleet(false);
  await cluster.all('down', { down: true });
  const spreads = [];
  for (let trial = 0; trial < SPREAD_TRIALS; trial++) {
    const replies = await cluster.all('callUntilOpen', {
      name: `spread-${trial}`,
      breakerOptions: { ...RATE_LIMITED, minimumCalls: 40 },
      rate: 50,
      maxMs: 30_000,
    });
    const opened = replies.map((reply) => reply.openedAt);
    spreads.push(Math.max(...opened) - Math.min(...opened));
  }
  cluster.close();
  spreads.sort((a, b) => a - b);
  return {
    p50: spreads[Math.floor(spreads.length / 2)],
    p99: spreads[Math.min(spreads.length - 1, Math.ceil(spreads.length * 0.99) - 1)],
  };
}

/** Calls reaching the still-down dependency per half-open round, across the four nodes. */
async function callsPerRound(independent) {
  const options = {
    minimumCalls: 10,
    failureRateThreshold: 50,
    failureThreshold: 0,
    recoveryTimeout: 500,
    halfOpenMaxCalls: 1,
  };
  const cluster = await fleet(independent);
  await cluster.all('down', { down: true });
  await cluster.all('callUntilOpen', { name: 'rounds', breakerOptions: options, rate: 50, maxMs: 30_000 });
  const replies = await cluster.all('callFor', { name: 'rounds', breakerOptions: options, rate: 50, ms: 6_000 });
  const reached = replies.reduce((sum, reply) => sum + reply.reached, 0);
  // Rounds: each independent breaker runs its own; the cluster counts its reopenings in Redis.
  const rounds = independent
    ? median(replies.map((reply) => reply.opens))
    : await clusterRounds(cluster.namespace, 'rounds');
  cluster.close();
  return { reached, rounds, perRound: reached / Math.max(1, rounds) };
}

async function clusterRounds(namespace, name) {
  const { default: Redis } = await import('ioredis');
  const client = new Redis(redisUrl);
  const { breakerKeyPrefix } = createRequire(import.meta.url)(join(distDir, 'cluster/breaker-keys.js'));
  const reopens = Number((await client.hget(`${breakerKeyPrefix(namespace, 'endpoint', name)}:state`, 'reopens')) ?? 0);
  await client.quit();
  return reopens;
}

/** ns per guarded sync call of one breaker, in a registry joined to the cluster or not (alternating rounds). */
async function guardedCallCost() {
  const { Registry } = await loadBreakwater('native');
  const { connectCluster } = createRequire(import.meta.url)(join(distDir, 'cluster/index.js'));
  const registries = { off: new Registry(), on: new Registry() };
  const joined = connectCluster(registries.on, { redis: redisUrl, namespace: `bench-cost` });
  await joined.ready;
  const breakers = {
    off: registries.off.getOrCreate('endpoint', 'cost'),
    on: registries.on.getOrCreate('endpoint', 'cost'),
  };
  const calls = 5_000_000;
  const samples = { off: [], on: [] };
  for (let round = 0; round < 7; round++) {
    for (const mode of ['off', 'on']) {
      const b = breakers[mode];
      let sum = 0;
      const started = performance.now();
      for (let i = 0; i < calls; i++) sum += b.executeSync(() => i);
      samples[mode].push(((performance.now() - started) * 1e6) / calls);
      if (sum < 0) console.log(sum);
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the ticks (and the sync) run between rounds
    }
  }
  await joined.close();
  return { off: median(samples.off), on: median(samples.on) };
}

/** Round trips and syncs of one node whose `count` breakers all change between syncs. */
async function syncsWithManyBreakers(count) {
  const cluster = await fleet(false);
  const reply = await cluster.nodes[0].send('manyBreakers', { count, perSecond: 2, ms: 10_000 });
  cluster.close();
  return reply;
}

const results = {};
results.fewCalls = { rate: 2, cluster: await failedBeforeOpen(false, 2), independent: await failedBeforeOpen(true, 2) };
results.manyCalls = {
  rate: 200,
  cluster: await failedBeforeOpen(false, 200),
  independent: await failedBeforeOpen(true, 200),
};
results.spread = await decisionToLastOpen();
results.rounds = { cluster: await callsPerRound(false), independent: await callsPerRound(true) };
results.cost = await guardedCallCost();
results.manyBreakers = { 10_000: await syncsWithManyBreakers(10_000), 20_000: await syncsWithManyBreakers(20_000) };
redis.kill('SIGKILL');

const f = (value, digits = 1) => value.toFixed(digits);
const rows = [
  [
    'failed calls before all 4 open, 2 calls/s each',
    results.fewCalls.cluster,
    results.fewCalls.independent,
    f(results.fewCalls.cluster / results.fewCalls.independent, 2),
    '<= 0.5',
  ],
  [
    'failed calls before all 4 open, 200 calls/s each',
    results.manyCalls.cluster,
    results.manyCalls.independent,
    f(results.manyCalls.cluster / results.manyCalls.independent, 2),
    'as it is',
  ],
  [
    'decision to last node open, ms, p50 / p99',
    `${f(results.spread.p50)} / ${f(results.spread.p99)}`,
    '-',
    '-',
    'p99 <= 100',
  ],
  [
    'calls reaching the down dependency per half-open round (halfOpenMaxCalls 1)',
    f(results.rounds.cluster.perRound, 2),
    f(results.rounds.independent.perRound, 2),
    '-',
    '<= 1 vs 4',
  ],
  [
    'guarded sync call, ns',
    f(results.cost.on),
    f(results.cost.off),
    f(results.cost.on / results.cost.off, 3),
    '<= 1.05',
  ],
  [
    'Redis round trips per node per second, 10,000 active breakers, sync every 250 ms',
    f(results.manyBreakers[10_000].roundTripsPerSecond, 2),
    '-',
    '-',
    'about 4',
  ],
  ...[10_000, 20_000].map((count) => [
    `syncs that failed (no answer in time) of all syncs in 10 s, ${count.toLocaleString('en')} active breakers`,
    `${results.manyBreakers[count].failedSyncs} of ${results.manyBreakers[count].syncs + results.manyBreakers[count].failedSyncs}`,
    '-',
    '-',
    '0',
  ]),
].map(([measure, cluster, independent, ratio, target]) => ({ measure, cluster, independent, ratio, target }));
const info = machine({ nodes: NODES, trials: TRIALS, spreadTrials: SPREAD_TRIALS });
console.log(markdownTable(rows));
writeResults('cluster', { ...info, results }, `${markdownTable(rows)}\n`);

function startNode(options) {
  const child = spawn(process.execPath, [join(benchDir, 'lib/cluster-node.mjs'), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = [];
  let started;
  const ready = new Promise((resolve) => (started = resolve));
  createInterface({ input: child.stdout }).on('line', (line) =>
    line === '{"started":true}' ? started() : waiting.shift()?.(JSON.parse(line)),
  );
  const node = {
    send: (op, args = {}) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${JSON.stringify({ op, ...args })}\n`);
      }),
    kill: () => child.kill('SIGKILL'),
  };
  return ready.then(() => node);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
}
