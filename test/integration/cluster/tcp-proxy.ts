import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a port: one node's road to Redis, which a test can cut as a
 * network partition does (connections stay up, nothing gets through either way; new ones are
 * accepted and hear nothing) and heal (what was held back flows again, as TCP retransmits).
 */
export class TcpProxy {
  private readonly pairs: { client: Socket; upstream: Socket }[] = [];
  private cut = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy = new TcpProxy(server, address.port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Nothing passes either way until heal(). */
  partition(): void {
    this.cut = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  heal(): void {
    this.cut = false;
    for (const pair of this.pairs) this.join(pair);
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs.splice(0)) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.push(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      const at = this.pairs.indexOf(pair);
      if (at >= 0) this.pairs.splice(at, 1);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (this.cut) client.pause();
    else this.join(pair);
  }

  private join({ client, upstream }: { client: Socket; upstream: Socket }): void {
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
  }
}
