import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { breakerKeyPrefix } from '../../../src/cluster/breaker-keys';
import { keySlot } from '../../../src/cluster/slots';
import { ClusterNode } from './cluster-node';
import { CLI, RedisServer } from './redis-server';

/**
 * A real Redis Cluster on 127.0.0.1 (redis-server in cluster mode, made with redis-cli --cluster
 * create): three masters, and a replica of each when asked (a master that dies fails over to it
 * once the others have missed it for `nodeTimeoutMs`).
 */
export class RedisCluster {
  private constructor(
    private readonly servers: RedisServer[],
    private readonly dir: string,
  ) {}

  get nodes(): { host: string; port: number }[] {
    return this.servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  }

  static async start({ replicas = 0, nodeTimeoutMs = 15_000 } = {}): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-redis-cluster-'));
    const servers = await Promise.all(
      Array.from({ length: 3 * (1 + replicas) }, (_, i) =>
        RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${i}.conf`),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--repl-diskless-sync-delay', // a replica syncs at once, not 5 s after it joined
          '0',
          '--dir',
          dir,
        ]),
      ),
    );
    const create = spawnSync(
      CLI,
      [
        '--cluster',
        'create',
        ...servers.map((server) => `127.0.0.1:${server.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`${CLI} --cluster create failed: ${create.stdout}${create.stderr}`);
    const cluster = new RedisCluster(servers, dir);
    // Every server says the cluster is ok a moment after, and every replica holds its master's data
    // (a replica that never synced cannot take over).
    await cluster.until(
      servers,
      (server) =>
        cluster.cli(server, 'cluster', 'info').includes('cluster_state:ok') &&
        !cluster.cli(server, 'info', 'replication').includes('master_link_status:down'),
    );
    return cluster;
  }

  /** The server that is the master of `slot` now. */
  masterOf(slot: number): RedisServer {
    const master = this.servers.find((server) => this.servedBy(server, slot) === server.port);
    if (master === undefined) throw new Error(`no master serves slot ${slot}`);
    return master;
  }

  /** Kills the master of `slot` and resolves once another master serves it and the cluster is ok again. */
  async failOver(slot: number): Promise<void> {
    const master = this.masterOf(slot);
    await master.kill();
    const alive = this.servers.filter((server) => server !== master);
    await this.until(alive, (server) => {
      const owner = this.servedBy(server, slot);
      return (
        owner !== undefined && owner !== master.port && this.cli(server, 'cluster', 'info').includes('cluster_state:ok')
      );
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The port of the master that serves `slot` as `server` sees the cluster (a failed one is not counted). */
  private servedBy(server: RedisServer, slot: number): number | undefined {
    for (const line of this.cli(server, 'cluster', 'nodes').split('\n')) {
      const fields = line.split(' ');
      if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
      const serves = fields.slice(8).some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
      });
      if (serves) return Number(/:(\d+)@/.exec(fields[1])?.[1]);
    }
    return undefined;
  }

  /** Waits until `ready` holds for every one of `servers`. */
  private async until(servers: RedisServer[], ready: (server: RedisServer) => boolean): Promise<void> {
    for (let i = 0; i < 1500; i++) {
      if (servers.every(ready)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the Redis Cluster never got ready');
  }

  private cli(server: RedisServer, ...args: string[]): string {
    return spawnSync(CLI, ['-p', String(server.port), ...args], { encoding: 'utf8' }).stdout ?? '';
  }
}

/**
 * Three node processes connected to `cluster` through an ioredis Cluster client, ready (their first
 * sync done). A sync's deadline starts at its interval: 200 ms leaves room for three masters on a
 * loaded machine.
 */
export async function startNodesOn(
  cluster: RedisCluster,
  namespace: string,
  breaker: Record<string, unknown>,
): Promise<ClusterNode[]> {
  const started = await Promise.all(
    [0, 1, 2].map((i) =>
      ClusterNode.start({
        breaker,
        cluster: { namespace, syncIntervalMs: 200, nodeId: `node-${i}` },
        redisCluster: cluster.nodes,
      }),
    ),
  );
  await Promise.all(started.map((node) => node.send('ready')));
  return started;
}

/** Twelve breaker names: their keys fall on every master of a three-master cluster. */
export const SPREAD_NAMES: readonly string[] = Array.from({ length: 12 }, (_, i) => `db-${i}`);

/** The Redis Cluster slot of a breaker of kind "endpoint" (the hash tag the connection gives it). */
export function breakerSlot(name: string): number {
  return keySlot(breakerKeyPrefix('', 'endpoint', name));
}
