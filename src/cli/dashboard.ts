import { readHistoryFile } from '../observe/history-file';
import { HistoryView } from '../observe/dashboard/history-view';
import {
  DEFAULT_DASHBOARD_HOST,
  DEFAULT_DASHBOARD_PORT,
  startDashboard,
  type RunningDashboard,
} from '../observe/dashboard/server';
import type { DashboardRegistry } from '../observe/dashboard/handler';
import { isInputError, type CliIo } from './io';

/** The environment variable that turns control actions on for `breakwater dashboard` (a token on the command line would show in `ps`). */
export const TOKEN_VARIABLE = 'BREAKWATER_DASHBOARD_TOKEN';

export const DASHBOARD_USAGE = `Usage: breakwater dashboard --history <events.jsonl|events.duckdb> [--port <port>] [--host <address>]

Serves the circuit-breaker dashboard over a recorded event history (what createJsonlSink or
createDuckDbSink wrote): every breaker as its last event shows it, its transitions and tuning, at
http://<host>:<port>/circuit-breakers, the JSON API at /api/circuit-breakers and Prometheus metrics
at /metrics. (To watch live breakers, mount the dashboard in the process that runs them:
startDashboard({ registry }) or createDashboardHandler; attaching to other processes is not there yet.)

  --history <file>  the event history: JSON lines (.jsonl) or a DuckDB file (.duckdb)
  --port <port>     port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)
  --host <address>  address to bind (default ${DEFAULT_DASHBOARD_HOST}: this machine only)
  --help            show this text

Control actions (reset, force open, close) are off unless ${TOKEN_VARIABLE} holds a token of at
least 16 characters; requests then need "Authorization: Bearer <token>".`;

/** What {@link runDashboardCommand} needs besides argv (tests and the demo pass their own). */
export interface DashboardCommandContext {
  /** The breakers to serve (the demo passes its own); without it, --history is required. */
  registry?: DashboardRegistry;
  /** Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where progress lines go. Default: console.log. */
  print?: (line: string) => void;
}

interface DashboardArguments {
  port?: number;
  host?: string;
  history?: string;
  help: boolean;
}

function parseArguments(argv: readonly string[]): DashboardArguments {
  const parsed: DashboardArguments = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const [flag, inline] =
      argument.startsWith('--') && argument.includes('=')
        ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
        : [argument, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '')
        throw new TypeError(`breakwater dashboard: ${flag} needs a value\n\n${DASHBOARD_USAGE}`);
      return next;
    };
    if (flag === '--help' || flag === '-h') parsed.help = true;
    else if (flag === '--port') {
      const text = value();
      const port = Number(text);
      if (!/^\d+$/.test(text) || port > 65535)
        throw new RangeError(
          `breakwater dashboard: --port must be an integer from 0 to 65535, got ${JSON.stringify(text)}`,
        );
      parsed.port = port;
    } else if (flag === '--host') parsed.host = value();
    else if (flag === '--history') parsed.history = value();
    else
      throw new TypeError(`breakwater dashboard: unknown argument ${JSON.stringify(argument)}\n\n${DASHBOARD_USAGE}`);
  }
  return parsed;
}

/** What the dashboard serves: the given registry, or the history file named by --history. */
async function sourceOf(
  history: string | undefined,
  context: DashboardCommandContext,
  print: (line: string) => void,
): Promise<{ registry: DashboardRegistry; readOnly: boolean }> {
  if (history === undefined) {
    if (context.registry !== undefined) return { registry: context.registry, readOnly: false };
    throw new TypeError(
      'breakwater dashboard: nothing to show: this command runs no breakers of its own. Give it a recorded history: ' +
        'breakwater dashboard --history events.jsonl (or events.duckdb), as createJsonlSink or createDuckDbSink write it; ' +
        'to watch live breakers, mount the dashboard in the process that runs them (startDashboard({ registry })).',
    );
  }
  const view = new HistoryView(await readHistoryFile(history));
  const span =
    view.span === undefined
      ? 'no events'
      : `${view.events} events from ${new Date(view.span.from).toISOString()} to ${new Date(view.span.to).toISOString()}`;
  print(`breakwater dashboard: history ${history}: ${view.list({ limit: 0 }).total} breakers, ${span}`);
  return { registry: view, readOnly: true };
}

/**
 * `breakwater dashboard --history <file> [--port] [--host]`: starts the dashboard over a recorded
 * history (or over `context.registry`, for the demo) and prints its URL; SIGINT or SIGTERM closes
 * it. Resolves with the running server, or undefined after --help. Without a source it throws a
 * TypeError that says how to give one.
 */
export async function runDashboardCommand(
  argv: readonly string[],
  context: DashboardCommandContext = {},
): Promise<RunningDashboard | undefined> {
  const print = context.print ?? ((line: string) => console.log(line));
  const { port, host, history, help } = parseArguments(argv);
  if (help) {
    print(DASHBOARD_USAGE);
    return undefined;
  }
  const { registry, readOnly } = await sourceOf(history, context, print);
  const token = readOnly ? undefined : (context.env ?? process.env)[TOKEN_VARIABLE];
  const dashboard = await startDashboard({
    registry,
    port,
    host,
    controls: token === undefined || token === '' ? false : { token },
  });
  print(`breakwater dashboard: ${dashboard.url}`);
  print(
    `  JSON: ${dashboard.url.replace(/circuit-breakers$/, 'api/circuit-breakers')}   Prometheus: ${dashboard.url.replace(/circuit-breakers$/, 'metrics')}`,
  );
  print(
    `  control actions: ${readOnly ? 'off (a history is read-only)' : token ? 'on (bearer token from ' + TOKEN_VARIABLE + ')' : 'off'}`,
  );
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

/** `breakwater dashboard`: serves until the process is stopped; 2 on a bad flag, a missing source or an unreadable history. */
export async function dashboardCommand(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await runDashboardCommand(argv, { print: (line) => io.stdout.write(`${line}\n`) });
    return 0;
  } catch (error) {
    const listen = ((error as Error).cause ?? error) as NodeJS.ErrnoException & { address?: string; port?: number };
    if (listen.code === 'EADDRINUSE') {
      io.stderr.write(
        `breakwater dashboard: port ${listen.port} on ${listen.address} is taken; choose another with --port (0 picks a free one)\n`,
      );
      return 2;
    }
    if (!isInputError(error)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
}
