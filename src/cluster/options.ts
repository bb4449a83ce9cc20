import { knownOptions } from '../options-object';

/**
 * A Redis client the cluster can use: an ioredis `Redis` (or `Cluster`), duplicated for pub/sub. The
 * methods it calls are named, so a client of another library (node-redis has duplicate() too) is a
 * type error, as it is an error at run time.
 */
export interface ClusterRedisClient {
  duplicate(): ClusterRedisClient;
  defineCommand(...args: never[]): unknown;
  pipeline(...args: never[]): unknown;
  subscribe(...args: never[]): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface ClusterOptions {
  /** A Redis URL (`redis://127.0.0.1:6379`) or an ioredis client (its subscriber is a duplicate). */
  redis: string | ClusterRedisClient;
  /** Prefix of every key and channel, so clusters can share a Redis. Default 'breakwater'. */
  namespace?: string;
  /** How often a node pushes its windows and pulls the cluster's, in ms. Default 250. */
  syncIntervalMs?: number;
  /**
   * 'aggregate' (default): a breaker opens on every node when the windows of all nodes together
   * cross its thresholds. 'quorum': when at least `quorum` nodes have tripped it locally.
   */
  mode?: 'aggregate' | 'quorum';
  /** Nodes that must have tripped locally for the cluster to open, in mode 'quorum'. */
  quorum?: number;
  /** This node's name in the cluster. Default: host name, process id and a random suffix (with a host arena: host name, the arena file's name and a digest of its identity, alike in every process of the host). */
  nodeId?: string;
}

export interface ResolvedClusterOptions {
  readonly redis: string | ClusterRedisClient;
  readonly namespace: string;
  readonly syncIntervalMs: number;
  readonly mode: 'aggregate' | 'quorum';
  readonly quorum: number;
  readonly nodeId: string;
}

/** What the cluster calls on a client it is given: ioredis's. */
const IOREDIS_METHODS = [
  'duplicate',
  'defineCommand',
  'pipeline',
  'subscribe',
  'quit',
  'disconnect',
] as const satisfies readonly (keyof ClusterRedisClient)[];

const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function fail(option: string, expected: string, got: unknown): never {
  throw new TypeError(
    `breakwater/cluster: ${option} must be ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`,
  );
}

/** The options with their defaults, each checked with an error that names it. */
export function resolveClusterOptions(options: ClusterOptions, defaultNodeId: string): ResolvedClusterOptions {
  if (options === null || typeof options !== 'object')
    fail('options', 'an object like { redis: "redis://..." }', options);
  knownOptions(options, 'breakwater/cluster: connectCluster options', {
    redis: true,
    namespace: true,
    syncIntervalMs: true,
    mode: true,
    quorum: true,
    nodeId: true,
  });
  const { redis } = options;
  if (typeof redis === 'string') {
    if (!/^rediss?:\/\//.test(redis)) fail('redis', 'a redis:// or rediss:// URL, or an ioredis client', redis);
    if (!URL.canParse(redis)) fail('redis', 'a valid redis:// URL (host, and a port from 0 to 65535)', redis);
  } else if (redis === null || typeof redis !== 'object') {
    fail('redis', 'a redis:// or rediss:// URL, or an ioredis client', redis);
  } else {
    // The cluster runs ioredis's API (defined scripts, pipelines, a duplicate for pub/sub): another
    // client (node-redis has duplicate() too) would fail later, far from the option.
    const missing = IOREDIS_METHODS.filter(
      (method) => typeof (redis as unknown as Record<string, unknown>)[method] !== 'function',
    );
    if (missing.length > 0)
      fail(
        'redis',
        'a redis:// or rediss:// URL, or an ioredis client (Redis or Cluster)',
        `an object without ${missing.map((method) => `${method}()`).join(', ')}: another client? pass its URL instead`,
      );
  }
  const namespace = options.namespace ?? 'breakwater';
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace))
    fail('namespace', '1-64 letters, digits, "_", ".", ":" or "-"', namespace);
  const syncIntervalMs = options.syncIntervalMs ?? 250;
  if (
    typeof syncIntervalMs !== 'number' ||
    !Number.isInteger(syncIntervalMs) ||
    syncIntervalMs < 10 ||
    syncIntervalMs > 60_000
  )
    fail('syncIntervalMs', 'an integer from 10 to 60000', syncIntervalMs);
  const mode = options.mode ?? 'aggregate';
  if (mode !== 'aggregate' && mode !== 'quorum') fail('mode', '"aggregate" or "quorum"', mode);
  const quorum = options.quorum ?? 0;
  if (mode === 'quorum' && (typeof quorum !== 'number' || !Number.isInteger(quorum) || quorum < 1 || quorum > 10_000))
    fail('quorum', "an integer from 1 to 10000 in mode 'quorum'", options.quorum);
  const nodeId = options.nodeId ?? defaultNodeId;
  if (typeof nodeId !== 'string' || !/^[^\s]{1,128}$/.test(nodeId))
    fail('nodeId', '1-128 characters without spaces', nodeId);
  return { redis, namespace, syncIntervalMs, mode, quorum, nodeId };
}
