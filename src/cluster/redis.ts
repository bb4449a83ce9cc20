import type { ClusterRedisClient } from './options';
import { SYNC_SCRIPT, VERDICT_SCRIPT } from './scripts';

/** How ioredis's Cluster takes a node: a port, a host:port string or an object. */
type StartupNode = string | number | { host?: string; port?: number };

/** The calls the cluster makes on a client: its scripts, pipelines and pub/sub (ioredis's API). */
export interface RedisLike extends ClusterRedisClient {
  status: string;
  /** An ioredis Cluster: its slot table gives each slot's nodes, master first. */
  isCluster?: boolean;
  slots?: string[][];
  /** An ioredis Cluster's first nodes, as its caller gave them. */
  startupNodes?: StartupNode[];
  /** A single Redis client's connection options (ioredis's), which name its address in errors. */
  options?: { host?: string; port?: number; path?: string; db?: number };
  /** ioredis's: a Redis's duplicate takes options, a Cluster's its startup nodes and options. */
  duplicate(...args: unknown[]): RedisLike;
  select(db: number): Promise<unknown>;
  info(section: string): Promise<string>;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  pipeline(): RedisPipeline;
  breakwaterVerdict(...args: (string | number)[]): Promise<number>;
  subscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

export interface RedisPipeline {
  breakwaterSync(...args: (string | number)[]): RedisPipeline;
  ping(): RedisPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/** What a subscription or a verdict may take before it counts as failed: Redis hung or slow never holds the sync. */
export function commandTimeoutMs(syncIntervalMs: number): number {
  return Math.min(1000, Math.max(50, syncIntervalMs));
}

/**
 * Per breaker in a sync, on top of commandTimeoutMs: Redis runs each breaker's script (microseconds:
 * evalsha's usec_per_call in INFO commandstats), and the client encodes its arguments and parses
 * its reply. One fixed timeout failed syncs of 10,000 changed breakers (bench:cluster's failed-sync rows).
 */
const SYNC_MS_PER_BREAKER = 0.05;

/** What a sync of `breakers` scripts may take before it counts as failed. */
export function syncDeadlineMs(syncIntervalMs: number, breakers: number): number {
  return commandTimeoutMs(syncIntervalMs) + Math.ceil(breakers * SYNC_MS_PER_BREAKER);
}

/**
 * The clients the cluster makes close a socket as soon as they end it. ioredis waits up to its
 * `disconnectTimeout` (2 s) for Redis to end it too, and a hung Redis (stopped, or behind a
 * partition) never does: its sockets kept the process alive 2 s after shutdown() (an outside fault
 * harness). Nothing is left to say to a Redis the node is leaving.
 */
const LEAVING_AT_ONCE = { disconnectTimeout: 0 };

/**
 * The commands client (scripts defined) and the subscriber: made from a URL with ioredis (an
 * optional peer dependency, loaded here only), or the caller's client and a duplicate of it.
 */
export function openRedis(redis: string | ClusterRedisClient): {
  commands: RedisLike;
  subscriber: RedisLike;
  owned: boolean;
} {
  let commands: RedisLike;
  if (typeof redis === 'string') {
    let Redis: new (url: string, options: object) => RedisLike;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Redis = require('ioredis') as typeof Redis;
    } catch {
      throw new Error('breakwater/cluster: connecting by URL needs the ioredis package: npm install ioredis');
    }
    // No command timeout of the client's own: each sync, subscription and verdict keeps a deadline
    // that fits it (a sync's grows with its breakers). No queue while disconnected: a sync fails
    // at once and the nodes decide locally.
    commands = new Redis(redis, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
      ...LEAVING_AT_ONCE,
    });
  } else {
    commands = redis as RedisLike;
  }
  commands.defineCommand('breakwaterSync', { lua: SYNC_SCRIPT }); // its first argument: how many keys
  commands.defineCommand('breakwaterVerdict', { numberOfKeys: 3, lua: VERDICT_SCRIPT });
  const subscriber =
    commands.isCluster === true
      ? commands.duplicate([], { redisOptions: LEAVING_AT_ONCE })
      : commands.duplicate(LEAVING_AT_ONCE);
  return { commands, subscriber, owned: typeof redis === 'string' };
}

/** Where a client connects (host:port or its socket; a Redis Cluster client: "Cluster" and its startup nodes), for errors that say which Redis. */
export function redisAddress(client: RedisLike): string {
  if (client.isCluster === true) return `Cluster ${(client.startupNodes ?? []).map(nodeAddress).join(', ')}`;
  const options = client.options;
  if (options?.path !== undefined && options.path !== null) return options.path;
  return options?.host !== undefined ? `${options.host}:${options.port ?? 6379}` : '(address unknown)';
}

/** An ioredis Cluster startup node as host:port (ioredis's defaults: localhost, 6379). */
function nodeAddress(node: StartupNode): string {
  if (typeof node === 'object') return `${node.host ?? 'localhost'}:${node.port ?? 6379}`;
  return typeof node === 'number' ? `localhost:${node}` : node;
}

/**
 * Why `client` cannot sync for this cluster, or undefined when it can. A single-Redis client on a
 * Redis Cluster node reaches only the slots that node serves (CROSSSLOT or MOVED for the rest).
 * ioredis takes a SELECT that failed (a database the server does not have) for done and goes on in
 * database 0, where the syncs would write among another application's keys; this SELECT's answer
 * is the server's own.
 */
export async function setupProblem(client: RedisLike, deadlineMs: number): Promise<string | undefined> {
  if (client.isCluster === true) return undefined; // Redis Cluster has only database 0
  const where = `Redis ${redisAddress(client)}`;
  try {
    const info = await withinDeadline(client.info('cluster'), deadlineMs, 'reading INFO cluster');
    if (/^cluster_enabled:1/m.test(info))
      return `${where} is a Redis Cluster node, and a client of one Redis reaches only the slots it serves: give connectCluster ioredis's Cluster client (redis: new Cluster([{ host, port }]))`;
  } catch {
    // A user without INFO, or no answer in time: the syncs say what fails.
  }
  const db = client.options?.db ?? 0;
  if (db === 0) return undefined; // every Redis has database 0
  try {
    await withinDeadline(client.select(db), deadlineMs, `selecting database ${db}`);
    return undefined;
  } catch (error) {
    return `${where} cannot select database ${db} (${(error as Error).message}): the cluster does not sync until it can (name a database the server has, in the URL's path)`;
  }
}

/**
 * Settles as `work` does, or rejects once `ms` have passed. A client the caller made may have no
 * command timeout and an offline queue; the cluster's own deadline keeps its promises all the same.
 * The deadline is judged one turn of I/O after its timer: a process starved of CPU, or blocked,
 * runs its due timers before it reads its sockets, and read an answer that came meanwhile as
 * Redis's silence (a false 'lost', "slow", on a loaded host).
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const silent = (): void => reject(new Error(`${what} got no answer from Redis within ${ms} ms`));
    timer = setTimeout(() => setImmediate(silent), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once `client` is connected (or at once when it is). */
export function whenReady(client: RedisLike): Promise<void> {
  return when(client, 'ready');
}

/** Resolves once the client's sockets are closed after a disconnect() (at once if they are). */
export function whenEnded(client: RedisLike): Promise<void> {
  return when(client, 'end');
}

function when(client: RedisLike, status: 'ready' | 'end'): Promise<void> {
  if (client.status === status) return Promise.resolve();
  return new Promise((resolve) => {
    const reached = (): void => {
      client.removeListener(status, reached);
      resolve();
    };
    client.on(status, reached);
  });
}
