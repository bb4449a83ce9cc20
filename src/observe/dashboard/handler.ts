import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from '../../error-message';
import type { Registry } from '../../registry/registry';
import {
  collectFromSnapshots,
  isPromClientInstalled,
  PROM_CLIENT_PACKAGE,
  type BreakwaterCollector,
  type PrometheusOptions,
} from '../prometheus';
import { asset } from './assets';
import { eventsJsonArray } from '../event-json';
import {
  authorize,
  CONTROL_ACTIONS,
  controlToken,
  runControl,
  type ControlAction,
  type ControlsOption,
} from './controls';
import { checkHost, resolveAllowedHosts, type AllowedHosts } from './host-check';
import { LiveStream } from './live-stream';
import { dashboardExposition } from './own-metrics';
import { overviewOf } from './overview';
import { SharedSnapshot, type RegistrySnapshot } from '../registry-snapshot';
import { PAGE } from './page';
import { parseHistoryQuery, parseListQuery } from './query';
import { HttpError, send, sendError, sendJson } from './respond';
import { knownOptions } from '../../options-object';

/** The registry reads and actions the dashboard uses. */
export type DashboardRegistry = Pick<
  Registry,
  'health' | 'list' | 'breakerHealth' | 'recent' | 'onEvent' | 'get' | 'reset' | 'forceOpen' | 'close'
> & {
  entries(): Iterable<{ readonly kind: string; readonly name: string }>;
};

/** Options of {@link createDashboardHandler}. */
export interface DashboardOptions {
  registry: DashboardRegistry;
  /** Control actions (reset, force open, close): false (the default) or on behind `{ token }`. */
  controls?: ControlsOption;
  /** How often connected pages get the overview, in ms. Default 1000. */
  updateEveryMs?: number;
  /**
   * Options of the Prometheus collector behind GET /metrics (its own prom-client Registry), or
   * false to not serve /metrics. Without prom-client installed, /metrics is not the dashboard's:
   * mounted on an app, the request goes on to the app (next()).
   */
  metrics?: Omit<PrometheusOptions, 'register'> | false;
  /**
   * Host names the dashboard answers to besides localhost, loopback addresses and the address a
   * request arrived on (DNS rebinding guard); other Host headers get 421. `true` accepts any host:
   * only behind a proxy that checks Host itself. Default none.
   */
  allowedHosts?: AllowedHosts;
  /** Live pages (server-sent event streams) served at once; one more gets 503. Default 100. */
  maxLiveClients?: number;
  /** Bytes a live page may leave unread when the next message is due; beyond it its stream is closed. Default 1 MiB. */
  maxClientBacklogBytes?: number;
}

/** @internal The names of DashboardOptions, for the refusal of any other (startDashboard adds its own). */
export const DASHBOARD_OPTION_NAMES: Record<keyof DashboardOptions, true> = {
  registry: true,
  controls: true,
  updateEveryMs: true,
  metrics: true,
  allowedHosts: true,
  maxLiveClients: true,
  maxClientBacklogBytes: true,
};

/** Connect-style: calls `next()` for paths that are not the dashboard's (Express), or answers 404 without it. */
export type NextFunction = (error?: unknown) => void;

/** A request handler for node:http, Express (app.use) and Fastify (through reply.raw); close() ends its live streams. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** Whether a request URL (query allowed) is one of the dashboard's routes; Fastify hooks use it to hand over only those. */
  handles(url: string): boolean;
  /** Pages connected to the live stream. */
  readonly liveClients: number;
  /** Ends every live stream and stops listening to the registry. */
  close(): void;
}

/** The page's Content-Security-Policy: scripts and styles from the dashboard only, no inline code. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PREFIXES = ['/circuit-breakers', '/api/circuit-breakers', '/metrics'];
const JSON_TYPE = 'application/json; charset=utf-8';
/** List bodies kept per snapshot (a snapshot lives 250 ms at most): a few MB at worst. */
const MAX_CACHED_BODIES = 256;

function allow(methods: string): HttpError {
  return new HttpError(405, `method not allowed here; use ${methods}`, { Allow: methods });
}

function integerOption(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `breakwater/observe: dashboard option ${option} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad percent-encoding in ${JSON.stringify(segment)}`);
  }
}

/**
 * The dashboard as one request handler. Routes (relative to where it is mounted):
 * GET /circuit-breakers (the page), GET /circuit-breakers/events (server-sent events),
 * GET /circuit-breakers/assets/* (script, styles, chart.js from node_modules),
 * GET /api/circuit-breakers (JSON), GET /api/circuit-breakers/history (JSON events),
 * POST /api/circuit-breakers/:kind/:name/(reset|force-open|close) (behind the token), GET /metrics.
 */
export function createDashboardHandler(options: DashboardOptions): DashboardHandler {
  if (options === null || typeof options !== 'object')
    throw new TypeError('breakwater/observe: createDashboardHandler(options) needs an object with a registry');
  knownOptions(options, 'breakwater/observe: createDashboardHandler options', DASHBOARD_OPTION_NAMES);
  const { registry } = options;
  if (
    registry === null ||
    typeof registry !== 'object' ||
    typeof registry.list !== 'function' ||
    typeof registry.onEvent !== 'function'
  ) {
    throw new TypeError('breakwater/observe: dashboard option registry must be a breakwater Registry');
  }
  const token = controlToken(options.controls);
  const updateEveryMs = options.updateEveryMs ?? 1000;
  if (!Number.isInteger(updateEveryMs) || updateEveryMs < 50 || updateEveryMs > 3_600_000) {
    throw new RangeError(
      `breakwater/observe: dashboard option updateEveryMs must be an integer from 50 to 3600000, got ${String(updateEveryMs)}`,
    );
  }
  const metricsOptions = options.metrics ?? {};
  const allowedHosts = resolveAllowedHosts(options.allowedHosts);
  const maxClients = integerOption('maxLiveClients', options.maxLiveClients, 100, 1, 100_000);
  const maxBacklogBytes = integerOption('maxClientBacklogBytes', options.maxClientBacklogBytes, 1 << 20, 1024, 1 << 30);
  const snapshot = new SharedSnapshot(registry, Math.min(250, updateEveryMs));
  const live = new LiveStream(registry, snapshot, updateEveryMs, { maxClients, maxBacklogBytes });
  let collector: BreakwaterCollector | undefined;

  // /metrics is the dashboard's only when it can answer it: an app's own /metrics stays the app's.
  const servesMetrics = (): boolean => metricsOptions !== false && isPromClientInstalled();
  const handlesPath = (path: string): boolean =>
    PREFIXES.some(
      (prefix) => (path === prefix || path.startsWith(`${prefix}/`)) && (prefix !== '/metrics' || servesMetrics()),
    );

  // The list's bodies, one per query for the current snapshot: clients paging one snapshot share
  // each page's serialization too (the count of live pages is part of the body, so of the key).
  let bodiesOf: RegistrySnapshot | undefined;
  const bodies = new Map<string, string>();
  const listBreakers = (res: ServerResponse, params: URLSearchParams): void => {
    const query = parseListQuery(params);
    const current = snapshot.get();
    const counts = live.counts;
    const key = `${JSON.stringify(query)} ${counts.clients} ${counts.refused} ${counts.droppedSlow}`;
    if (bodiesOf !== current) {
      bodies.clear();
      bodiesOf = current;
    }
    let body = bodies.get(key);
    if (body === undefined) {
      const page = current.list(query);
      body = JSON.stringify({
        ...overviewOf(current),
        controls: token !== undefined,
        dashboard: counts,
        total: page.total,
        offset: query.offset,
        limit: query.limit,
        items: page.items,
      });
      if (bodies.size < MAX_CACHED_BODIES) bodies.set(key, body);
    }
    send(res, 200, JSON_TYPE, body);
  };

  const control = (req: IncomingMessage, res: ServerResponse, kind: string, name: string, action: string): void => {
    if (req.method !== 'POST') throw allow('POST');
    if (token === undefined)
      throw new HttpError(403, 'control actions are off; start the dashboard with controls: { token }');
    authorize(req, token);
    if (!(CONTROL_ACTIONS as readonly string[]).includes(action))
      throw new HttpError(404, `unknown action ${JSON.stringify(action)}; use ${CONTROL_ACTIONS.join(', ')}`);
    runControl(registry, kind, name, action as ControlAction);
    snapshot.invalidate();
    sendJson(res, 200, { ok: true, action, breaker: registry.breakerHealth(kind, name) });
  };

  // An event that cannot be serialised is left out and counted: the others are still served.
  const history = (res: ServerResponse, params: URLSearchParams): void => {
    let skipped = 0;
    const events = eventsJsonArray(registry.recent(parseHistoryQuery(params)), () => skipped++);
    send(res, 200, JSON_TYPE, `{"events":${events},"skipped":${skipped}}`);
  };

  const metrics = async (res: ServerResponse): Promise<void> => {
    if (metricsOptions === false) throw new HttpError(404, 'GET /metrics is off in this dashboard');
    collector ??= collectFromSnapshots(() => snapshot.get(), metricsOptions);
    const text = await collector.register.metrics();
    const own = dashboardExposition(metricsOptions.prefix ?? 'breakwater_', live.counts);
    send(res, 200, collector.register.contentType, `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${own}`);
  };

  const route = async (req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined): Promise<void> => {
    const url = requestUrl(req.url);
    if (url === undefined) throw new HttpError(400, `malformed request target ${JSON.stringify(req.url)}`);
    const path = url.pathname;
    const reading = req.method === 'GET' || req.method === 'HEAD';
    if (!handlesPath(path)) {
      if (next !== undefined) return next();
      if (path === '/metrics' && metricsOptions !== false)
        throw new HttpError(
          404,
          `GET /metrics needs the optional package ${PROM_CLIENT_PACKAGE}; install it with \`npm install ${PROM_CLIENT_PACKAGE}\``,
        );
      throw new HttpError(404, `no dashboard route ${JSON.stringify(path)}`);
    }
    checkHost(req, allowedHosts);
    if (path === '/circuit-breakers') {
      if (!reading) throw allow('GET, HEAD');
      return send(res, 200, 'text/html; charset=utf-8', PAGE, { 'Content-Security-Policy': CSP });
    }
    if (path === '/circuit-breakers/events') {
      if (req.method !== 'GET') throw allow('GET');
      return live.open(req, res);
    }
    if (path.startsWith('/circuit-breakers/assets/')) {
      if (!reading) throw allow('GET, HEAD');
      const file = asset(path.slice('/circuit-breakers/assets/'.length));
      if (file === undefined) throw new HttpError(404, `no dashboard asset ${JSON.stringify(path)}`);
      return send(res, 200, file.contentType, file.body, { 'Cache-Control': 'public, max-age=300' });
    }
    if (path === '/api/circuit-breakers') {
      if (!reading) throw allow('GET, HEAD');
      return listBreakers(res, url.searchParams);
    }
    if (path === '/api/circuit-breakers/history') {
      if (!reading) throw allow('GET, HEAD');
      return history(res, url.searchParams);
    }
    if (path === '/metrics') {
      if (!reading) throw allow('GET, HEAD');
      return metrics(res);
    }
    // Kinds and names may hold any character: they arrive percent-encoded, one segment each.
    const segments = path.split('/').slice(3);
    if (path.startsWith('/api/circuit-breakers/') && segments.length === 3)
      return control(req, res, decode(segments[0]), decode(segments[1]), segments[2]);
    throw new HttpError(404, `no dashboard route ${JSON.stringify(path)}`);
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    route(req, res, next).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy(error as Error);
      if (error instanceof HttpError) return sendError(res, error);
      // The query parsers refuse every bad value with a 400 before the registry is read: any
      // other error is the server's fault, whatever its class (JSON.stringify throws TypeErrors).
      sendError(res, new HttpError(500, messageOf(error)));
    });
  }) as DashboardHandler;
  Object.defineProperty(handler, 'liveClients', { get: () => live.size });
  handler.handles = (target: string) => {
    const url = requestUrl(target);
    return url !== undefined && handlesPath(url.pathname);
  };
  handler.close = () => live.close();
  return handler;
}

/**
 * A request target as a URL of this server, or undefined when it is none. A target that starts with
 * "/" is a path, "//x/y" too: resolved against a base, it read as a URL of host "x" (a 500 where it
 * was no valid host, the page where it was "//api/circuit-breakers").
 */
function requestUrl(target: string | undefined): URL | undefined {
  const base = 'http://dashboard.invalid';
  try {
    return target === undefined || target.startsWith('/') ? new URL(`${base}${target ?? '/'}`) : new URL(target, base);
  } catch {
    return undefined;
  }
}
