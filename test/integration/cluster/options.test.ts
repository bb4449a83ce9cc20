import Redis, { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src';
import { connectCluster, type ClusterRedisClient } from '../../../src/cluster';
import { resolveClusterOptions } from '../../../src/cluster/options';

describe('the client type', () => {
  it("takes ioredis's Redis and Cluster clients, and refuses another library's (checked by the type checker)", () => {
    const single = new Redis({ lazyConnect: true });
    const cluster = new Cluster([], { lazyConnect: true });
    const clients: ClusterRedisClient[] = [single, cluster];
    // The run-time check takes what the type takes.
    for (const client of clients) expect(resolveClusterOptions({ redis: client }, 'node').redis).toBe(client);
    const nodeRedisShaped = {
      duplicate: () => nodeRedisShaped,
      connect: async () => undefined,
      multi: () => undefined,
      subscribe: async () => undefined,
      quit: async () => 'OK',
      disconnect: () => undefined,
    };
    // @ts-expect-error: no defineCommand() or pipeline(), the calls the cluster makes (refused at run time below)
    const refused: ClusterRedisClient = nodeRedisShaped;
    void refused;
    single.disconnect();
    cluster.disconnect();
  });
});

describe('connectCluster options', () => {
  const registry = new Registry();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /redis must be a redis:\/\/ or rediss:\/\/ URL, or an ioredis client, got undefined/],
    [
      { redis: 'http://127.0.0.1' },
      /redis must be a redis:\/\/ or rediss:\/\/ URL, or an ioredis client, got "http:\/\/127.0.0.1"/,
    ],
    [
      { redis: 'redis://127.0.0.1:1', namespace: 'a b' },
      /namespace must be 1-64 letters, digits, "_", ".", ":" or "-", got "a b"/,
    ],
    // Before, a bare "TypeError: Invalid URL" from inside ioredis.
    [
      { redis: 'redis://127.0.0.1:99999' },
      /redis must be a valid redis:\/\/ URL \(host, and a port from 0 to 65535\), got "redis:\/\/127.0.0.1:99999"/,
    ],
    [{ redis: 'redis://127.0.0.1:1', syncIntervalMs: 5 }, /syncIntervalMs must be an integer from 10 to 60000, got 5/],
    [{ redis: 'redis://127.0.0.1:1', mode: 'majority' }, /mode must be "aggregate" or "quorum", got "majority"/],
    [
      { redis: 'redis://127.0.0.1:1', mode: 'quorum' },
      /quorum must be an integer from 1 to 10000 in mode 'quorum', got undefined/,
    ],
    [{ redis: 'redis://127.0.0.1:1', nodeId: 'a b' }, /nodeId must be 1-128 characters without spaces, got "a b"/],
    // A client of another library, shaped as node-redis's (duplicate() and subscribe() too, multi() for
    // pipelines): before, it passed and failed inside the connection, "commands.defineCommand is not a function".
    [
      {
        redis: {
          duplicate() {},
          connect() {},
          sendCommand() {},
          multi() {},
          subscribe() {},
          quit() {},
          disconnect() {},
        },
      },
      /redis must be a redis:\/\/ or rediss:\/\/ URL, or an ioredis client \(Redis or Cluster\), got "an object without defineCommand\(\), pipeline\(\): another client\? pass its URL instead"/,
    ],
  ];
  it.each(cases)('refuses %j, naming the option', (options, message) => {
    expect(() => connectCluster(registry, options as never)).toThrow(message);
  });

  it('refuses a first argument that is not a Registry, saying so', () => {
    expect(() => connectCluster({} as never, { redis: 'redis://127.0.0.1:1' })).toThrow(
      /connectCluster needs a Registry as its first argument, got \{\}/,
    );
  });
});

describe('connectCluster on a registry already connected', () => {
  it('refuses a second connection to the same namespace until the first is closed, and takes another namespace', async () => {
    const registry = new Registry();
    const redis = 'redis://127.0.0.1:1'; // nothing listens: the connections decide locally
    const first = connectCluster(registry, { redis, namespace: 'orders' });
    const other = connectCluster(registry, { redis, namespace: 'billing' });
    try {
      // Before, both pushed the registry's windows under two node ids: the cluster counted each call twice.
      expect(() => connectCluster(registry, { redis, namespace: 'orders' })).toThrow(
        /already connected to namespace "orders": a second connection would count each of its windows twice/,
      );
      await first.close();
      const again = connectCluster(registry, { redis, namespace: 'orders' });
      await again.close();
    } finally {
      await first.close();
      await other.close();
      registry.shutdown();
    }
  });
});
