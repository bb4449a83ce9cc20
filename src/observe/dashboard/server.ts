import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveAllowedHosts } from './host-check';
import {
  createDashboardHandler,
  DASHBOARD_OPTION_NAMES,
  type DashboardHandler,
  type DashboardOptions,
} from './handler';
import { show } from '../../error-message';
import { knownOptions } from '../../options-object';

/** The port `startDashboard` and `breakwater dashboard` listen on unless told. */
export const DEFAULT_DASHBOARD_PORT = 7070;
/** The address they bind unless told: loopback, so only this machine can reach the dashboard. */
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';

/** Options of {@link startDashboard}: the handler's, plus where to listen. */
export interface StartDashboardOptions extends DashboardOptions {
  /** Default 7070; 0 picks a free port (see `url`). */
  port?: number;
  /**
   * Default '127.0.0.1'. Binding another address exposes the dashboard (and, with controls, the
   * token travels in clear unless a TLS proxy is in front). The dashboard answers Host headers
   * naming this host, loopback names and the address a request arrived on (plus `allowedHosts`).
   */
  host?: string;
}

/** A listening dashboard server. */
export interface RunningDashboard {
  /** The page's URL, e.g. http://127.0.0.1:7070/circuit-breakers. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  readonly handler: DashboardHandler;
  /** Ends live streams and stops listening. */
  close(): Promise<void>;
}

/** Starts the dashboard on its own node:http server (127.0.0.1 unless `host` says otherwise). */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('breakwater/observe: startDashboard(options) needs an object with a registry');
  knownOptions(options, 'breakwater/observe: startDashboard options', {
    ...DASHBOARD_OPTION_NAMES,
    port: true,
    host: true,
  });
  const port = options.port ?? DEFAULT_DASHBOARD_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(
      `breakwater/observe: dashboard option port must be an integer from 0 to 65535, got ${String(port)}`,
    );
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  if (typeof host !== 'string' || host.length === 0)
    throw new TypeError(`breakwater/observe: dashboard option host must be a non-empty address, got ${show(host)}`);
  // The configured host is a name the dashboard answers to (loopback names and bound addresses always are).
  const allowed = resolveAllowedHosts(options.allowedHosts);
  const allowedHosts = allowed === true ? true : [...allowed, host];
  const { port: _port, host: _host, ...handlerOptions } = options; // the server's own; the handler refuses options it does not know
  const handler = createDashboardHandler({ ...handlerOptions, allowedHosts });
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((listening, failed) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      handler.close();
      failed(
        new Error(
          `breakwater/observe: the dashboard could not listen on ${host}:${port}: ${error.code ?? error.message}`,
          {
            cause: error,
          },
        ),
      );
    });
    server.listen(port, host, listening);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}/circuit-breakers`,
    host: address.address,
    port: address.port,
    server,
    handler,
    close: () =>
      new Promise<void>((closed) => {
        handler.close();
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}
