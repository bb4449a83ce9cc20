import { defaultRegistry } from '../../registry/default-registry';
import { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, startDashboard, type RunningDashboard } from './server';
import type { DashboardRegistry } from './handler';

/** The environment variable that turns control actions on for `breakwater dashboard` (a token on the command line would show in `ps`). */
export const TOKEN_VARIABLE = 'BREAKWATER_DASHBOARD_TOKEN';

export const DASHBOARD_USAGE = `Usage: breakwater dashboard [--port <port>] [--host <address>]

Serves the circuit-breaker dashboard at http://<host>:<port>/circuit-breakers, its JSON API at
/api/circuit-breakers and Prometheus metrics at /metrics.

  --port <port>     port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)
  --host <address>  address to bind (default ${DEFAULT_DASHBOARD_HOST}: this machine only)
  --help            show this text

Control actions (reset, force open, close) are off unless ${TOKEN_VARIABLE} holds a token of at
least 16 characters; requests then need "Authorization: Bearer <token>".`;

/** What {@link runDashboardCommand} needs besides argv (tests and the demo pass their own). */
export interface DashboardCommandContext {
  /** Default: the process's default registry. */
  registry?: DashboardRegistry;
  /** Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where progress lines go. Default: console.log. */
  print?: (line: string) => void;
}

function parseArguments(argv: readonly string[]): { port?: number; host?: string; help: boolean } {
  const parsed: { port?: number; host?: string; help: boolean } = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const [flag, inline] = argument.startsWith('--') && argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new TypeError(`breakwater dashboard: ${flag} needs a value\n\n${DASHBOARD_USAGE}`);
      return next;
    };
    if (flag === '--help' || flag === '-h') parsed.help = true;
    else if (flag === '--port') {
      const text = value();
      const port = Number(text);
      if (!/^\d+$/.test(text) || port > 65535) throw new RangeError(`breakwater dashboard: --port must be an integer from 0 to 65535, got ${JSON.stringify(text)}`);
      parsed.port = port;
    } else if (flag === '--host') parsed.host = value();
    else throw new TypeError(`breakwater dashboard: unknown argument ${JSON.stringify(argument)}\n\n${DASHBOARD_USAGE}`);
  }
  return parsed;
}

/**
 * `breakwater dashboard [--port] [--host]`: starts the dashboard over the registry (the process's
 * default one unless given) and prints its URL; SIGINT or SIGTERM closes it. Resolves with the
 * running server, or undefined after --help.
 */
export async function runDashboardCommand(argv: readonly string[], context: DashboardCommandContext = {}): Promise<RunningDashboard | undefined> {
  const print = context.print ?? ((line: string) => console.log(line));
  const { port, host, help } = parseArguments(argv);
  if (help) {
    print(DASHBOARD_USAGE);
    return undefined;
  }
  const token = (context.env ?? process.env)[TOKEN_VARIABLE];
  const dashboard = await startDashboard({
    registry: context.registry ?? defaultRegistry(),
    port,
    host,
    controls: token === undefined || token === '' ? false : { token },
  });
  print(`breakwater dashboard: ${dashboard.url}`);
  print(`  JSON: ${dashboard.url.replace(/circuit-breakers$/, 'api/circuit-breakers')}   Prometheus: ${dashboard.url.replace(/circuit-breakers$/, 'metrics')}`);
  print(`  control actions: ${token ? 'on (bearer token from ' + TOKEN_VARIABLE + ')' : 'off'}`);
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void dashboard.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  dashboard.server.once('close', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return dashboard;
}
