import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src';
import { connectCluster } from '../../../src/cluster';
import { useCluster } from './harness';
import { RedisServer } from './redis-server';

const { redis } = useCluster();

const TWO_FAILURES_OF_FOUR = {
  minimumCalls: 4,
  failureRateThreshold: 50,
  failureThreshold: 0,
  recoveryTimeout: 60_000,
};
const down = (): never => {
  throw new Error('down');
};

/**
 * Two nodes on manual clocks syncing every 100 ms: A on a client of the caller's (whose PING
 * after a sync says the sync's reply has come), B on its own. `end()` closes both and their registries.
 */
function twoNodes(namespace: string) {
  const cluster = { namespace, syncIntervalMs: 100 };
  const [clockA, clockB] = [new ManualClock(), new ManualClock()];
  const [registryA, registryB] = [new Registry({ clock: clockA }), new Registry({ clock: clockB })];
  const client = new Redis(redis().url);
  const nodeA = connectCluster(registryA, { ...cluster, redis: client });
  const nodeB = connectCluster(registryB, { ...cluster, redis: redis().url });
  const end = async (): Promise<void> => {
    await Promise.all([nodeA.close(), nodeB.close()]);
    client.disconnect();
    await Promise.all([registryA.shutdown(), registryB.shutdown()]);
  };
  return { clockA, clockB, registryA, registryB, client, nodeA, nodeB, end };
}

describe('a cluster connection over its life', () => {
  it('forgets a removed breaker at its next sync, so passing names leave nothing behind', async () => {
    const clock = new ManualClock();
    const registry = new Registry({ clock });
    const cluster = connectCluster(registry, { redis: redis().url, namespace: 'forget', syncIntervalMs: 100 });
    try {
      await cluster.ready;
      const names = Array.from({ length: 50 }, (_, i) => `tenant-${i}`);
      for (const name of names) registry.getOrCreate('endpoint', name).executeSync(() => 1);
      await clock.runFor(200);
      expect(cluster.status.breakers).toBe(50);
      for (const name of names.slice(10)) registry.remove('endpoint', name);
      await clock.runFor(200);
      // Before, every breaker the connection had synced stayed in its map (and in `status`) for good.
      expect(cluster.status.breakers).toBe(10);
    } finally {
      await cluster.close();
      await registry.shutdown();
    }
  });

  it('skips a breaker removed while its sync was in flight, and applies the rest of the batch', async () => {
    const { clockA, clockB, registryA, registryB, client, nodeA, nodeB, end } = twoNodes('removed-in-flight');
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await Promise.all([nodeA.ready, nodeB.ready]);
      for (const registry of [registryB, registryA]) {
        for (const name of ['gone', 'kept']) {
          const breaker = registry.getOrCreate('endpoint', name, TWO_FAILURES_OF_FOUR);
          for (let i = 0; i < 2; i++) expect(() => breaker.executeSync(down)).toThrow('down');
        }
      }
      await clockB.runFor(100); // the cluster holds B's two failures of each
      clockA.advance(100); // A's sync adds its two: its script opens both for the cluster, and the reply is on its way
      registryA.remove('endpoint', 'gone');
      await client.ping(); // the sync's reply came before this one, on the same connection
      await new Promise((resolve) => setImmediate(resolve));
      // Before, the reply met the removed breaker first: the sync threw there (a process warning),
      // leaving the rest of the batch's replies unapplied.
      expect(warnings).toEqual([]);
      expect(registryA.get('endpoint', 'kept')?.getState()).toBe('open');
      expect(nodeA.status.connected).toBe(true);
    } finally {
      process.off('warning', onWarning);
      await end();
    }
  });

  it('holds a breaker that tripped on its own window open for the cluster, from its syncs alone when no message reaches it', async () => {
    const cluster = { namespace: 'deaf', syncIntervalMs: 100 };
    const [clockA, clockB] = [new ManualClock(), new ManualClock()];
    const [registryA, registryB] = [new Registry({ clock: clockA }), new Registry({ clock: clockB })];
    // B's subscriber reaches no Redis (as one on a hung Redis Cluster master): B hears no message.
    const client = new Redis(redis().url);
    const deaf = Object.assign(Object.create(client) as Redis, {
      duplicate: () => new Redis('redis://127.0.0.1:1', { lazyConnect: true, retryStrategy: () => null }),
    });
    const nodeA = connectCluster(registryA, { ...cluster, redis: redis().url });
    const nodeB = connectCluster(registryB, { ...cluster, redis: deaf });
    try {
      await Promise.all([nodeA.ready, nodeB.ready]);
      const breakerA = registryA.getOrCreate('endpoint', 'db', TWO_FAILURES_OF_FOUR);
      const breakerB = registryB.getOrCreate('endpoint', 'db', TWO_FAILURES_OF_FOUR);
      for (let i = 0; i < 4; i++) breakerA.executeSync(() => 1);
      await clockA.runFor(100);
      for (let i = 0; i < 2; i++) breakerB.executeSync(() => 1);
      for (let i = 0; i < 2; i++) expect(() => breakerB.executeSync(down)).toThrow('down');
      expect(breakerB.getState()).toBe('open'); // its own window: 2 of 4
      await clockB.runFor(100); // the cluster's windows: 2 of 8, under the threshold
      for (let i = 0; i < 4; i++) expect(() => breakerA.executeSync(down)).toThrow();
      await clockA.runFor(100); // 6 of 12: A's sync opens the cluster and publishes it (B hears nothing)
      await clockB.runFor(100);
      // Held past the cluster's deadline (its 60 s and a hold of 4 s): only the lease holder probes.
      // Before, B's window no longer changed, so B never synced it again and probed at its own 60 s.
      expect(breakerB.getMetrics().retryAfterMs).toBeGreaterThan(61_000);
    } finally {
      await Promise.all([nodeA.close(), nodeB.close()]);
      client.disconnect();
      await Promise.all([registryA.shutdown(), registryB.shutdown()]);
    }
  });

  it('applies nothing a sync in flight at close() brings back, on a client of the caller', async () => {
    const { clockA, clockB, registryA, registryB, client, nodeA, nodeB, end } = twoNodes('close');
    const breakerA = registryA.getOrCreate('endpoint', 'db', TWO_FAILURES_OF_FOUR);
    const moves: string[] = [];
    breakerA.on('stateChange', (change) => moves.push(`${change.to}:${change.reason}`));
    try {
      await Promise.all([nodeA.ready, nodeB.ready]);
      for (const registry of [registryA, registryB]) {
        const breaker = registry.getOrCreate('endpoint', 'db', TWO_FAILURES_OF_FOUR);
        for (let i = 0; i < 2; i++) expect(() => breaker.executeSync(down)).toThrow('down');
      }
      await clockB.runFor(100); // the cluster holds B's two failures
      clockA.advance(100); // A's sync adds its two: its script opens the cluster, and the reply is on its way
      await nodeA.close();
      await client.ping(); // the sync's reply came before this one, on the same connection
      await new Promise((resolve) => setImmediate(resolve));
      // Before, the reply held A open for the cluster after close(), and nothing would release it.
      expect(moves).toEqual([]);
    } finally {
      await end();
    }
  });

  it('closes with its registry: a process that shuts the registry down exits by itself', () => {
    const dist = resolve(__dirname, '../../../dist');
    const script = `
      const { Registry } = require(${JSON.stringify(`${dist}/index.js`)});
      const { connectCluster } = require(${JSON.stringify(`${dist}/cluster/index.js`)});
      const registry = new Registry();
      const cluster = connectCluster(registry, { redis: process.argv.at(-1), namespace: 'shutdown', syncIntervalMs: 50 });
      cluster.ready.then(async () => {
        registry.getOrCreate('endpoint', 'db').executeSync(() => 1);
        const before = cluster.status.connected;
        await registry.shutdown();
        const { connected, syncing } = cluster.status;
        console.log('shut down', JSON.stringify({ before, connected, syncing }));
      });`;
    // Before, its two Redis connections stayed open and kept the process alive: the guard killed it.
    // Its status says it no longer syncs (before, connected and syncing stayed true after shutdown).
    const child = spawnSync(process.execPath, ['-e', script, '--', redis().url], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: child.status, signal: child.signal, stdout: child.stdout.trim() }).toEqual({
      status: 0,
      signal: null,
      stdout: 'shut down {"before":true,"connected":false,"syncing":false}',
    });
  });

  it('leaves no socket open to a hung Redis once its registry shuts down', async () => {
    const hung = await RedisServer.start();
    const registry = new Registry();
    const cluster = connectCluster(registry, { redis: hung.url, namespace: 'hung', syncIntervalMs: 50 });
    const openSockets = (): Socket[] =>
      (process as unknown as { _getActiveHandles(): unknown[] })
        ._getActiveHandles()
        .filter((handle): handle is Socket => handle instanceof Socket && handle.remotePort === hung.port)
        .filter((socket) => !socket.destroyed);
    try {
      await cluster.ready;
      registry.getOrCreate('endpoint', 'db').executeSync(() => 1);
      expect(openSockets()).toHaveLength(2); // the commands and the subscriber
      hung.pause();
      await registry.shutdown();
      // Before, both were ended and left open for Redis to end them too, which a stopped Redis
      // never does: they kept the process alive for ioredis's disconnectTimeout (2 s).
      expect(openSockets()).toEqual([]);
    } finally {
      await hung.kill();
    }
  });
});
