import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

const ENTRY = resolve(__dirname, '../../../dist/index.js');
const CLUSTER_ENTRY = resolve(__dirname, '../../../dist/cluster/index.js');
const BREAKER_KEYS = resolve(__dirname, '../../../dist/cluster/breaker-keys.js');

/** What a node process runs: one registry, breaker endpoint "db", connected to the cluster; it answers commands on stdin. */
const NODE_SCRIPT = `
const { createInterface } = require('node:readline');
const { Registry } = require(${JSON.stringify(ENTRY)});
const { connectCluster } = require(${JSON.stringify(CLUSTER_ENTRY)});
const options = JSON.parse(process.argv.at(-1));
const registry = new Registry(options.host ? { host: options.host } : {});
const breaker = registry.getOrCreate('endpoint', 'db', options.breaker);
const changes = [];
breaker.on('stateChange', (change) => changes.push(change.to + ':' + change.reason));
// A Redis Cluster's nodes, when given, make an ioredis Cluster client (the options breakwater/cluster's README gives).
// ownClient: the node's own ioredis client with ioredis's defaults (no command timeout, an offline queue).
const redis = options.redisCluster
  ? new (require('ioredis').Cluster)(options.redisCluster, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0 }, natMap: options.natMap })
  : options.ownClient ? new (require('ioredis'))(options.cluster.redis) : options.cluster.redis;
const cluster = connectCluster(registry, { ...options.cluster, redis });
const events = [];
const reasons = [];
cluster.onEvent((event) => { events.push(event.type); reasons.push(event.reason); });
const warnings = [];
process.on('warning', (warning) => warnings.push(warning.code));
let sent = 0;
const until = async (done) => { for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setTimeout(r, 10)); return done(); };
const commands = {
  ready: async () => { await cluster.ready; return { state: breaker.getState(), retryAfterMs: breaker.getMetrics().retryAfterMs }; },
  fail: async ({ n }) => {
    for (let i = 0; i < n; i++) await breaker.execute(async () => { sent++; throw new Error('down'); }).catch(() => {});
    return { state: breaker.getState() };
  },
  succeed: async ({ n }) => {
    for (let i = 0; i < n; i++) await breaker.execute(async () => { sent++; }).catch(() => {});
    return { state: breaker.getState() };
  },
  waitState: async ({ state }) => ({ reached: await until(() => breaker.getState() === state), state: breaker.getState() }),
  waitEvent: async ({ type }) => ({ reached: await until(() => events.includes(type)), events }),
  callUntilClosed: async () => {
    for (let i = 0; i < 1000 && breaker.getState() !== 'closed'; i++) {
      await breaker.execute(async () => { sent++; }).catch(() => {});
      await new Promise((r) => setTimeout(r, 10));
    }
    return { state: breaker.getState() };
  },
  syncs: async ({ n }) => { const from = cluster.status.syncs; return { reached: await until(() => cluster.status.syncs >= from + n) }; },
  callFor: async ({ ms, rate }) => {
    const before = sent;
    const started = Date.now();
    while (Date.now() - started < ms) {
      await breaker.execute(async () => { sent++; throw new Error('still down'); }).catch(() => {});
      await new Promise((r) => setTimeout(r, 1000 / rate));
    }
    return { reached: sent - before };
  },
  /** The cluster's count of reopenings of endpoint "db", read from Redis. */
  reopens: async () => {
    const Redis = require('ioredis');
    const client = new Redis(options.cluster.redis);
    const prefix = require(${JSON.stringify(BREAKER_KEYS)}).breakerKeyPrefix(options.cluster.namespace, 'endpoint', 'db');
    const reopens = Number((await client.hget(prefix + ':state', 'reopens')) ?? 0);
    await client.quit();
    return { reopens };
  },
  /** Calls until the breaker admits one (a probe, when it is open), which takes ms; answers once admitted. */
  startSlowCall: async ({ ms }) => {
    for (let i = 0; i < 2000; i++) {
      let admitted = false;
      const call = breaker.execute(async () => { admitted = true; sent++; await new Promise((r) => setTimeout(r, ms)); });
      call.catch(() => {});
      await Promise.resolve();
      if (admitted) return { admitted: true, state: breaker.getState() };
      await new Promise((r) => setTimeout(r, 10));
    }
    return { admitted: false, state: breaker.getState() };
  },
  wallClock: async () => ({ now: Date.now() }),
  /** The node's own pid: under faketime, the pid spawn() returns is faketime's. */
  pid: async () => ({ pid: process.pid }),
  pause: async ({ ms }) => { await new Promise((r) => setTimeout(r, ms)); return {}; },
  /** Until the cluster holds no breaker open here (Redis lost past a lease released them). */
  waitReleased: async () => ({ reached: await until(() => cluster.status.heldOpen === 0) }),
  waitSyncing: async () => ({ reached: await until(() => cluster.status.syncing && cluster.status.syncs > 0) }),
  failEach: async ({ names, n }) => {
    for (const name of names) {
      const other = registry.getOrCreate('endpoint', name, options.breaker);
      for (let i = 0; i < n; i++) await other.execute(async () => { throw new Error('down'); }).catch(() => {});
    }
    return {};
  },
  waitAllOpen: async ({ names }) => ({
    reached: await until(() => names.every((name) => registry.getOrCreate('endpoint', name, options.breaker).getState() === 'open')),
  }),
  report: async () => ({ state: breaker.getState(), changes, events, reasons, warnings, sent, opens: breaker.getMetrics().opens, status: cluster.status }),
};
// A node whose driver is gone (its stdin closed) exits: its Redis client would keep it alive.
createInterface({ input: process.stdin }).on('close', () => process.exit(0)).on('line', async (line) => {
  const command = JSON.parse(line);
  const reply = await commands[command.op](command);
  process.stdout.write(JSON.stringify(reply) + '\\n');
});
process.stdout.write('{"started":true}\\n');
`;

export interface NodeOptions {
  breaker?: Record<string, unknown>;
  cluster: Record<string, unknown>;
  /** A Redis Cluster's nodes: the node connects with an ioredis Cluster client instead of `cluster.redis`. */
  redisCluster?: { host: string; port: number }[];
  /** The Redis Cluster's addresses as this node reaches them (ioredis's natMap: "host:port" to a proxy's). */
  natMap?: Record<string, { host: string; port: number }>;
  /** The node makes its own ioredis client from `cluster.redis`, with ioredis's defaults, and passes it instead of the URL. */
  ownClient?: boolean;
  /** The registry's host arena, when the node shares its breakers with the other processes of its host. */
  host?: { name: string; directory: string };
  /** A host whose clocks differ: libfaketime's offset for the node's wall and monotonic clocks ('+3d', '-2h'). */
  clockOffset?: string;
}

/** A real Node process acting as one node of the cluster. */
export class ClusterNode {
  private readonly replies: ((line: string) => void)[] = [];
  private readonly started: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let markStarted: () => void = () => {};
    this.started = new Promise((resolveStarted) => (markStarted = resolveStarted));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === '{"started":true}') markStarted();
      else this.replies.shift()?.(line);
    });
  }

  static async start(options: NodeOptions): Promise<ClusterNode> {
    const argv = [process.execPath, '--no-warnings', '-e', NODE_SCRIPT, '--', JSON.stringify(options)];
    const command = options.clockOffset === undefined ? argv : ['faketime', '-f', options.clockOffset, ...argv];
    // Its own process group: faketime forks the node and waits, so killing faketime alone would
    // leave the node running.
    const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    const node = new ClusterNode(child);
    await node.started;
    return node;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a command and resolves with the node's reply. */
  send<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolveReply) => {
      this.replies.push((line) => resolveReply(JSON.parse(line) as T));
      this.child.stdin!.write(`${JSON.stringify({ op, ...args })}\n`);
    });
  }

  /** Kills the node's process group: the node, and faketime when it runs under it. */
  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // already gone
    }
  }
}
