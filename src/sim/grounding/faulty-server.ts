import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInjectedFault } from '../../chaos/fault-errors';
import { FaultInjector } from '../../chaos/injector';
import type { ScheduleEntry } from '../../chaos/schedule';

/** A real HTTP downstream on 127.0.0.1 whose faults come from a FaultInjector schedule. */
export interface FaultyServer {
  readonly url: string;
  readonly injector: FaultInjector;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (a free port) answering 200 after `latencyMs`, with the
 * scheduled faults (times from now): a connection-reset fault resets the socket (TCP RST: the client sees
 * ECONNRESET), a latency fault delays the answer, any other injected error answers 500.
 */
export async function startFaultyServer(options: {
  faults: readonly ScheduleEntry[];
  latencyMs: number;
  seed: number;
}): Promise<FaultyServer> {
  const injector = new FaultInjector({ schedule: options.faults, seed: options.seed });
  const answer = injector.wrap(
    () => new Promise<string>((resolve) => setTimeout(() => resolve('ok'), options.latencyMs)),
  );
  const server: Server = createServer((request, response) => {
    request.resume();
    let answered: Promise<string>;
    try {
      answered = answer();
    } catch (error) {
      answered = Promise.reject(error);
    }
    answered.then(
      (body) => response.end(body),
      (error: unknown) => {
        if (isInjectedFault(error) && error.code === 'ECONNRESET') request.socket.resetAndDestroy();
        else response.writeHead(500).end(isInjectedFault(error) ? error.code : 'error');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    injector,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
