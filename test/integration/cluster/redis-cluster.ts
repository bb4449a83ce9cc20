import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, RedisServer } from './redis-server';

/** A real Redis Cluster of three masters on 127.0.0.1 (redis-server in cluster mode, made with redis-cli --cluster create). */
export class RedisCluster {
  private constructor(
    private readonly servers: RedisServer[],
    private readonly dir: string,
  ) {}

  get nodes(): { host: string; port: number }[] {
    return this.servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  }

  static async start(): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-redis-cluster-'));
    const servers = await Promise.all(
      [0, 1, 2].map((i) =>
        RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${i}.conf`),
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
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`${CLI} --cluster create failed: ${create.stdout}${create.stderr}`);
    // The masters agree on the slots a moment after: wait until every one says the cluster is ok.
    for (let i = 0; i < 500; i++) {
      const ok = servers.every((server) =>
        spawnSync(CLI, ['-p', String(server.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes(
          'cluster_state:ok',
        ),
      );
      if (ok) return new RedisCluster(servers, dir);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the Redis Cluster never reached cluster_state:ok');
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
