import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * The server binary the cluster tests run: redis-server (Debian's package), or another that
 * speaks its protocol and takes its flags, such as Valkey's: BREAKWATER_REDIS_SERVER=valkey-server.
 */
export const SERVER = process.env.BREAKWATER_REDIS_SERVER || 'redis-server';
/** Its command-line client, for creating a Redis Cluster: BREAKWATER_REDIS_CLI=valkey-cli. */
export const CLI = process.env.BREAKWATER_REDIS_CLI || 'redis-cli';

/** A real redis-server (or SERVER) on 127.0.0.1 and a free port, without persistence. */
export class RedisServer {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArguments: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `extraArguments` go to redis-server after the port, address and no-persistence ones. */
  static async start(extraArguments: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArguments);
    await server.restart();
    return server;
  }

  /** A free port for a server not started yet (restart() starts it). */
  static async reserve(): Promise<RedisServer> {
    return new RedisServer(await freePort(), []);
  }

  /** (Re)starts it on the same port; resolves once it accepts connections. */
  restart(): Promise<void> {
    const child = spawn(
      SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArguments],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.process = child;
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.on('error', (error) =>
        reject(new Error(`cannot start ${SERVER} (${error.message}): install it with apt-get install redis-server`)),
      );
      child.on('exit', (code) => reject(new Error(`${SERVER} exited ${code}: ${out}`)));
    });
  }

  /** SIGSTOP: Redis hangs (connections stay open, nothing answers). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGKILL, and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return; // gone already (a signal leaves exitCode null)
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await gone;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
