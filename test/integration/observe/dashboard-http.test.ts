import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runDashboardCommand } from '../../../src/cli/dashboard';
import { createDashboardHandler } from '../../../src/observe/dashboard/handler';
import { startDashboard, type RunningDashboard } from '../../../src/observe/dashboard/server';
import type { BreakerHealth } from '../../../src/registry/health';
import { dashboardRegistry, TOKEN, XSS_NAME } from './dashboard-fixtures';
import { find, parseExposition } from './exposition';

const running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

async function start(controls: { token: string } | false = { token: TOKEN }) {
  const registry = dashboardRegistry();
  const dashboard = await startDashboard({ registry, port: 0, controls });
  running.push(dashboard);
  const base = dashboard.url.replace(/circuit-breakers$/, '');
  return { registry, dashboard, base };
}

interface Page {
  total: number;
  offset: number;
  limit: number;
  controls: boolean;
  items: BreakerHealth[];
  aggregate: { total: number; open: number; forcedOpen: number; byKind: Record<string, { total: number }> };
  failureRateByKind: Record<string, number>;
}

const getPage = async (base: string, query: string): Promise<Page> => {
  const response = await fetch(`${base}api/circuit-breakers${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
};

const post = (base: string, path: string, token?: string) =>
  fetch(`${base}api/circuit-breakers/${path}`, {
    method: 'POST',
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });

describe('dashboard over HTTP', () => {
  it('binds 127.0.0.1 unless told otherwise', async () => {
    const { dashboard } = await start();
    expect(dashboard.host).toBe('127.0.0.1');
    expect((dashboard.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/circuit-breakers$/);
  });

  it('answers the JSON API with the aggregate, filters, sorting and server-side pages', async () => {
    const { base } = await start();
    const all = await getPage(base, '');
    expect(all.total).toBe(17);
    expect(all.aggregate).toMatchObject({ total: 17, open: 3, forcedOpen: 1 });
    expect(Object.keys(all.aggregate.byKind).sort()).toEqual(['endpoint', 'hardware', 'task', 'worker']);
    expect(all.failureRateByKind.worker).toBeCloseTo(2 / 3, 5);
    expect(all.failureRateByKind.endpoint).toBe(0);
    expect(all.controls).toBe(true);

    const workers = await getPage(base, '?kind=worker');
    expect(workers.items.map((row) => row.name)).toEqual(['worker-0', 'worker-1', 'worker-2']);
    const open = await getPage(base, '?state=open');
    expect(open.items.every((row) => row.state === 'open')).toBe(true);
    expect(open.total).toBe(3);
    const searched = await getPage(base, '?search=SVC-0');
    expect(searched.total).toBe(10);

    const busiest = await getPage(base, '?kind=endpoint&sort=totalCalls&order=desc&limit=3');
    expect(busiest.items.map((row) => row.totalCalls)).toEqual([12, 11, 10]);
    expect(busiest.items[0].thresholds.failureRateThreshold).toBe(40);
    const second = await getPage(base, '?kind=endpoint&sort=totalCalls&order=desc&limit=3&offset=3');
    expect(second.items.map((row) => row.totalCalls)).toEqual([9, 8, 7]);
    expect(second).toMatchObject({ total: 12, offset: 3, limit: 3 });
    const probable = await getPage(base, '?sort=probability&order=desc&limit=1');
    expect(probable.items[0]).toMatchObject({ name: 'worker-1', probability: 0.9 });
  });

  it('refuses bad query parameters with 400 and a JSON error naming the parameter', async () => {
    const { base } = await start();
    for (const [query, message] of [
      ['?state=broken', /query parameter state must be one of closed, open/],
      ['?sort=color', /query parameter sort must be one of/],
      ['?limit=0', /query parameter limit must be an integer from 1 to 1000/],
      ['?offset=-1', /query parameter offset/],
      ['?order=up', /query parameter order/],
    ] as const) {
      const response = await fetch(`${base}api/circuit-breakers${query}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
  });

  it('serves the history, filtered by event type', async () => {
    const { base } = await start();
    const response = await fetch(`${base}api/circuit-breakers/history?event_type=tuning`);
    const { events } = (await response.json()) as {
      events: Array<{ event_type: string; kind: string; detail: { changed: Record<string, unknown> } }>;
    };
    expect(events).toHaveLength(24);
    expect(events.every((event) => event.event_type === 'tuning' && event.kind === 'endpoint')).toBe(true);
    expect(events[23].detail.changed).toEqual({
      failureRateThreshold: { before: 50, after: 40 },
      recoveryTimeout: { before: 30_000, after: 20_000 },
    });
    const newest = await fetch(`${base}api/circuit-breakers/history?event_type=tuning&limit=5`);
    expect(((await newest.json()) as { events: unknown[] }).events).toEqual(events.slice(-5));
  });

  it('runs control actions only with the bearer token: 401 without, 403 wrong, 404 unknown', async () => {
    const { base, registry } = await start();
    const missing = await post(base, 'worker/worker-0/close');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.json()).toEqual({ error: 'control actions need an Authorization: Bearer <token> header' });
    const wrong = await post(base, 'worker/worker-0/close', `${TOKEN}x`);
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/not the dashboard's control token/);
    expect(registry.get('worker', 'worker-0')!.getState()).toBe('open');

    const closed = await post(base, 'worker/worker-0/close', TOKEN);
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({
      ok: true,
      action: 'close',
      breaker: { name: 'worker-0', state: 'closed' },
    });
    expect(registry.get('worker', 'worker-0')!.getState()).toBe('closed');
    expect((await post(base, `task/${encodeURIComponent(XSS_NAME)}/force-open`, TOKEN)).status).toBe(200);
    expect(registry.isOpen('task', XSS_NAME)).toBe(true);
    expect((await post(base, 'task/' + encodeURIComponent(XSS_NAME) + '/reset', TOKEN)).status).toBe(200);
    expect(registry.get('task', XSS_NAME)!.getState()).toBe('closed');

    const unknown = await post(base, 'worker/nobody/reset', TOKEN);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no worker breaker named "nobody"' });
    expect((await post(base, 'worker/worker-1/explode', TOKEN)).status).toBe(404);
    const get = await fetch(`${base}api/circuit-breakers/worker/worker-1/reset`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('keeps control actions off by default', async () => {
    const { base, registry } = await start(false);
    const page = await getPage(base, '');
    expect(page.controls).toBe(false);
    const refused = await post(base, 'worker/worker-0/close', TOKEN);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(/control actions are off/);
    expect(registry.get('worker', 'worker-0')!.getState()).toBe('open');
    await expect(startDashboard({ registry, port: 0, controls: { token: 'short' } })).rejects.toThrow(
      /controls must be false or \{ token \} with a token of at least 16 characters/,
    );
  });

  it('never puts data in the page markup and forbids inline scripts', async () => {
    const { base } = await start();
    const response = await fetch(`${base}circuit-breakers`);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toContain('worker-0');
    expect(html).not.toContain('onerror');
    // JSON keeps the name a string; the page script renders it with textContent.
    const page = await getPage(base, '?kind=task');
    expect(page.items[0].name).toBe(XSS_NAME);
    expect(page.items[0].labels).toEqual({ owner: '<b>bold</b>' });
    const chart = await fetch(`${base}circuit-breakers/assets/chart.umd.min.js`);
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('Chart');
    expect((await fetch(`${base}circuit-breakers/assets/../../etc/passwd`)).status).toBe(404);
  });

  it('serves Prometheus metrics at /metrics', async () => {
    const { base } = await start();
    const response = await fetch(`${base}metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples } = parseExposition(await response.text());
    expect(
      find(samples, 'breakwater_circuit_state', { kind: 'hardware', name: 'gpu', state: 'forced-open' })[0].value,
    ).toBe(1);
    expect(find(samples, 'breakwater_calls_total', { kind: 'task', name: XSS_NAME })[0].value).toBe(1);
  });

  it('streams transitions and the overview as server-sent events', async () => {
    const { base, registry, dashboard } = await start();
    const response = await fetch(`${base}circuit-breakers/events`);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    let text = '';
    const until = async (pattern: RegExp): Promise<string> => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += Buffer.from(value).toString();
      }
      return text;
    };
    await until(/event: overview\ndata: .*\n\n/);
    registry.forceOpen('endpoint', 'https://api.example/svc-03');
    await until(/event: breaker-events\ndata: .*\n\n/);
    const data = /event: breaker-events\ndata: (.*)\n\n/.exec(text)![1];
    expect(JSON.parse(data).events).toEqual([
      expect.objectContaining({
        breaker: 'https://api.example/svc-03',
        event_type: 'transition',
        state: 'forced-open',
        detail: expect.objectContaining({ from: 'closed', to: 'forced-open' }),
      }),
    ]);
    expect(dashboard.handler.liveClients).toBe(1);
    await reader.cancel();
    // The stream is forgotten once the page goes away (the registry listener with it).
    while (dashboard.handler.liveClients > 0) await new Promise((tick) => setTimeout(tick, 10));
  });

  it('hands other paths to next() and answers 404 without it, as middleware', async () => {
    const registry = dashboardRegistry();
    const handler = createDashboardHandler({ registry });
    const server = createServer((req, res) => handler(req, res, () => res.end('the app')));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await (await fetch(`${base}orders`)).text()).toBe('the app');
    expect((await fetch(`${base}circuit-breakers`)).status).toBe(200);
    expect(handler.handles('/api/circuit-breakers?kind=worker')).toBe(true);
    expect(handler.handles('/circuit-breakersX')).toBe(false);
    server.close();
    const bare = createServer((req, res) => handler(req, res));
    await new Promise<void>((listening) => bare.listen(0, '127.0.0.1', listening));
    const missing = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/orders`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no dashboard route "/orders"' });
    bare.close();
    handler.close();
  });

  it('runs as `breakwater dashboard [--port] [--bind]` over a registry it is given (the demo)', async () => {
    const registry = dashboardRegistry();
    const lines: string[] = [];
    const dashboard = (await runDashboardCommand(['--port', '0', '--bind=127.0.0.1'], {
      registry,
      env: {},
      print: (line) => lines.push(line),
    }))!;
    running.push(dashboard);
    expect(lines[0]).toBe(`breakwater dashboard: ${dashboard.url}`);
    expect(lines[2]).toBe('  control actions: off');
    expect((await fetch(dashboard.url)).status).toBe(200);
    const help: string[] = [];
    expect(await runDashboardCommand(['--help'], { print: (line) => help.push(line) })).toBeUndefined();
    expect(help[0]).toMatch(
      /^Usage: breakwater dashboard \(--host <name> \| --history <events\.jsonl\|events\.duckdb>\) \[--port <port>\] \[--bind <address>\]/,
    );
    await expect(runDashboardCommand(['--host', '127.0.0.1'], { registry })).rejects.toThrow(
      /--host names a host arena; to listen on the address "127.0.0.1", use --bind 127.0.0.1/,
    );
    await expect(runDashboardCommand(['--port', 'http'], { registry })).rejects.toThrow(
      /--port must be an integer from 0 to 65535, got "http"/,
    );
    await expect(runDashboardCommand(['--verbose'], { registry })).rejects.toThrow(/unknown argument "--verbose"/);
    const withToken = (await runDashboardCommand(['--port', '0'], {
      registry,
      env: { BREAKWATER_DASHBOARD_TOKEN: TOKEN },
      print: () => {},
    }))!;
    running.push(withToken);
    const base = withToken.url.replace(/circuit-breakers$/, '');
    expect((await post(base, 'worker/worker-2/close', TOKEN)).status).toBe(200);
  });
});
