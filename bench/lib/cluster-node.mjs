// One node of bench/cluster.mjs: a process with its own registry (joined to the cluster unless
// `independent`), calling a dependency that the parent takes down and brings back. It answers
// JSON commands on stdin, one line each.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { distDir } from './measure.mjs';

const { Registry } = await import(join(distDir, 'index.mjs'));
const { connectCluster } = await import(join(distDir, 'cluster/index.mjs'));
const options = JSON.parse(process.argv[2]);

/** Wall-clock ms with sub-ms resolution, comparable across processes of one host. */
const wallNow = () => performance.timeOrigin + performance.now();
const registry = new Registry();
const cluster = options.independent
  ? undefined
  : connectCluster(registry, { redis: options.redis, namespace: options.namespace });
let dependencyDown = false;
/** Calls that reached the dependency while it was down. */
let failedCalls = 0;

function breaker(name, breakerOptions) {
  const b = registry.getOrCreate('endpoint', name, breakerOptions);
  if (!b.openedAt) {
    b.openedAt = [];
    b.on('stateChange', (change) => {
      if (change.to === 'open') b.openedAt.push(wallNow());
    });
  }
  return b;
}

async function dependency() {
  if (dependencyDown) {
    failedCalls++;
    throw new Error('down');
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const commands = {
  ready: async () => {
    await cluster?.ready;
    return {};
  },
  down: async ({ down }) => {
    dependencyDown = down;
    return {};
  },
  /** Calls `name` at `rate` per second until it is open (or `maxMs` passed); reports failed calls and when it opened. */
  callUntilOpen: async ({ name, breakerOptions, rate, maxMs }) => {
    const b = breaker(name, breakerOptions);
    const before = failedCalls;
    const started = wallNow();
    while (b.getState() !== 'open' && wallNow() - started < maxMs) {
      await b.execute(dependency).catch(() => {});
      await sleep(1000 / rate);
    }
    return { failed: failedCalls - before, openedAt: b.openedAt[0] ?? null, state: b.getState() };
  },
  /** Calls `name` at `rate` per second for `ms`, the dependency down: calls that reached it, and the breaker's opens. */
  callFor: async ({ name, breakerOptions, rate, ms }) => {
    const b = breaker(name, breakerOptions);
    const before = failedCalls;
    const opensBefore = b.getMetrics().opens;
    const started = wallNow();
    while (wallNow() - started < ms) {
      await b.execute(dependency).catch(() => {});
      await sleep(1000 / rate);
    }
    return { reached: failedCalls - before, opens: b.getMetrics().opens - opensBefore };
  },
  /** Makes `count` breakers and calls each of them `perSecond` times a second for `ms`: the cluster's round trips and syncs then (the breakers are removed after). */
  manyBreakers: async ({ count, perSecond, ms }) => {
    const all = Array.from({ length: count }, (_, i) => registry.getOrCreate('endpoint', `many-${i}`));
    const before = cluster.status;
    const started = wallNow();
    while (wallNow() - started < ms) {
      for (const b of all) b.executeSync(() => 1);
      await sleep(1000 / perSecond);
    }
    const seconds = (wallNow() - started) / 1000;
    const after = cluster.status;
    for (const b of all) registry.remove('endpoint', b.name);
    return {
      roundTripsPerSecond: (after.roundTrips - before.roundTrips) / seconds,
      syncs: after.syncs - before.syncs,
      failedSyncs: after.failedSyncs - before.failedSyncs,
    };
  },
  close: async () => {
    await cluster?.close();
    await registry.shutdown();
    return {};
  },
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  const command = JSON.parse(line);
  const reply = await commands[command.op](command);
  process.stdout.write(`${JSON.stringify(reply)}\n`);
});
process.stdout.write('{"started":true}\n');
