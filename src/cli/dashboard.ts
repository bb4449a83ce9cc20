import { readHistoryFile } from './history-file';
import { HistoryView } from '../observe/dashboard/history-view';
import {
  DEFAULT_DASHBOARD_HOST,
  DEFAULT_DASHBOARD_PORT,
  startDashboard,
  type RunningDashboard,
} from '../observe/dashboard/server';
import type { DashboardRegistry } from '../observe/dashboard/handler';
import { isInputError, type CliIo } from './io';
import { hostSource } from './host-source';

/** The environment variable that turns control actions on for `breakwater dashboard` (a token on the command line would show in `ps`). */
export const TOKEN_VARIABLE = 'BREAKWATER_DASHBOARD_TOKEN';

export const DASHBOARD_USAGE = `Usage: breakwater dashboard (--host <name> | --history <events.jsonl|events.duckdb>) [--port <port>] [--bind <address>]

Serves the circuit-breaker dashboard at http://<address>:<port>/circuit-breakers, the JSON API at
/api/circuit-breakers and Prometheus metrics at /metrics, over one of:
- the live breakers of a host arena, which every process of this host that opens
  new Registry({ host: { name } }) shares (breakers named later appear within a second);
- a recorded event history (what createJsonlSink or createDuckDbSink wrote): every breaker as its
  last event shows it, its transitions and tuning.

  --host <name>         a host arena's name (its file: <directory>/breakwater-<name>)
  --host-directory <d>  the host arena's folder (default /dev/shm where it exists, else the temporary folder)
  --history <file>      the event history: JSON lines (.jsonl) or a DuckDB file (.duckdb)
  --port <port>         port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)
  --bind <address>      address to listen on (default ${DEFAULT_DASHBOARD_HOST}: this machine only)
  --help                show this text

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
  /** Where notices about the input go (a torn last line skipped). Default: console.error. */
  warn?: (line: string) => void;
}

interface DashboardArguments {
  port?: number;
  bind?: string;
  host?: string;
  hostDirectory?: string;
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
    } else if (flag === '--bind') parsed.bind = value();
    else if (flag === '--host') parsed.host = hostName(value());
    else if (flag === '--host-directory') parsed.hostDirectory = value();
    else if (flag === '--history') parsed.history = value();
    else
      throw new TypeError(`breakwater dashboard: unknown argument ${JSON.stringify(argument)}\n\n${DASHBOARD_USAGE}`);
  }
  return parsed;
}

/** --host names a host arena; an address there is what --bind (before host arenas: --host) takes. */
function hostName(text: string): string {
  if (text === 'localhost' || /^[\d.]+$/.test(text) || text.includes(':'))
    throw new TypeError(
      `breakwater dashboard: --host names a host arena; to listen on the address ${JSON.stringify(text)}, use --bind ${text}`,
    );
  return text;
}

/** What the dashboard serves: a host arena's live breakers, the history named by --history, or the given registry. */
async function sourceOf(
  parsed: DashboardArguments,
  context: DashboardCommandContext,
  print: (line: string) => void,
): Promise<{ registry: DashboardRegistry; readOnly: boolean; close?: () => void }> {
  const { history, host } = parsed;
  if (host !== undefined && history !== undefined)
    throw new TypeError('breakwater dashboard: give --host or --history, not both');
  if (host !== undefined) return hostSource(host, parsed.hostDirectory, print);
  if (history === undefined) {
    if (context.registry !== undefined) return { registry: context.registry, readOnly: false };
    throw new TypeError(
      'breakwater dashboard: nothing to show: this command runs no breakers of its own. Give it a recorded history: ' +
        'breakwater dashboard --history events.jsonl (or events.duckdb), as createJsonlSink or createDuckDbSink write it; ' +
        'to watch live breakers, mount the dashboard in the process that runs them (startDashboard({ registry })).',
    );
  }
  const view = new HistoryView(
    await readHistoryFile(history, { onTornLastLine: context.warn ?? ((line) => console.error(line)) }),
  );
  const span =
    view.span === undefined
      ? 'no events'
      : `${view.events} events from ${new Date(view.span.from).toISOString()} to ${new Date(view.span.to).toISOString()}`;
  print(`breakwater dashboard: history ${history}: ${view.list({ limit: 0 }).total} breakers, ${span}`);
  return { registry: view, readOnly: true };
}

/**
 * `breakwater dashboard (--host <name> | --history <file>) [--port] [--bind]`: starts the dashboard over a recorded
 * history (or over `context.registry`, for the demo) and prints its URL; SIGINT or SIGTERM closes
 * it. Resolves with the running server, or undefined after --help. Without a source it throws a
 * TypeError that says how to give one.
 */
export async function runDashboardCommand(
  argv: readonly string[],
  context: DashboardCommandContext = {},
): Promise<RunningDashboard | undefined> {
  const print = context.print ?? ((line: string) => console.log(line));
  const parsed = parseArguments(argv);
  if (parsed.help) {
    print(DASHBOARD_USAGE);
    return undefined;
  }
  const { registry, readOnly, close } = await sourceOf(parsed, context, print);
  const token = readOnly ? undefined : (context.env ?? process.env)[TOKEN_VARIABLE];
  const dashboard = await startDashboard({
    registry,
    port: parsed.port,
    host: parsed.bind,
    controls: token === undefined || token === '' ? false : { token },
  });
  if (close !== undefined) dashboard.server.once('close', close);
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
    await runDashboardCommand(argv, {
      print: (line) => io.stdout.write(`${line}\n`),
      warn: (line) => io.stderr.write(`${line}\n`),
    });
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
