import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import {
  startDashboard,
  type RunningDashboard,
  type StartDashboardOptions,
} from '../../../src/observe/dashboard/server';
import { Registry } from '../../../src/registry/registry';
import { dashboardRegistry } from './dashboard-fixtures';
import { removeTempFolders, tempFolder } from './events';
import { find, parseExposition } from './exposition';

afterAll(removeTempFolders);
const running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

async function start(options: Partial<StartDashboardOptions> = {}): Promise<RunningDashboard> {
  const dashboard = await startDashboard({ registry: dashboardRegistry(), port: 0, ...options });
  running.push(dashboard);
  return dashboard;
}

/** A real request with the Host header set by hand, as a page on a rebinding domain would send it. */
function get(dashboard: RunningDashboard, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((done, failed) => {
    const req = request({ host: '127.0.0.1', port: dashboard.port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => done({ status: res.statusCode!, body }));
    });
    req.on('error', failed);
    req.end();
  });
}

const waitFor = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((tick) => setTimeout(tick, 10));
};

describe('the dashboard answers only the hosts it is bound to', () => {
  it('refuses forged Host headers with 421 on every route, and serves loopback names and the bound address', async () => {
    const dashboard = await start();
    for (const host of [
      'evil.example',
      `evil.example:${dashboard.port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '10.0.0.5',
    ]) {
      for (const path of ['/circuit-breakers', '/api/circuit-breakers', '/metrics', '/circuit-breakers/events']) {
        const { status, body } = await get(dashboard, path, host);
        expect({ host, path, status }).toEqual({ host, path, status: 421 });
        expect(JSON.parse(body).error).toContain(`does not answer to Host ${JSON.stringify(host)}`);
        expect(JSON.parse(body).error).toContain('allowedHosts');
      }
    }
    for (const host of [
      `127.0.0.1:${dashboard.port}`,
      `localhost:${dashboard.port}`,
      'LOCALHOST',
      'app.localhost',
      '127.0.0.1',
    ]) {
      expect({ host, status: (await get(dashboard, '/api/circuit-breakers', host)).status }).toEqual({
        host,
        status: 200,
      });
    }
  });

  it('also answers the names given in allowedHosts, or any with allowedHosts: true', async () => {
    const named = await start({ allowedHosts: ['Dashboard.Internal:7070', '::1'] });
    expect((await get(named, '/api/circuit-breakers', 'dashboard.internal')).status).toBe(200);
    expect((await get(named, '/api/circuit-breakers', `[::1]:${named.port}`)).status).toBe(200);
    expect((await get(named, '/api/circuit-breakers', 'other.internal')).status).toBe(421);
    const open = await start({ allowedHosts: true });
    expect((await get(open, '/api/circuit-breakers', 'evil.example')).status).toBe(200);
    await expect(start({ allowedHosts: 'dashboard.internal' as never })).rejects.toThrow(
      /option allowedHosts must be an array of host names or true, got "dashboard.internal"/,
    );
    await expect(start({ allowedHosts: ['ok', 'a b'] })).rejects.toThrow(
      /option allowedHosts\[1\] must be a host name/,
    );
  });

  it('answers the configured host name', async () => {
    const dashboard = await start({ host: 'localhost' });
    expect((await get(dashboard, '/api/circuit-breakers', 'localhost')).status).toBe(200);
    expect((await get(dashboard, '/api/circuit-breakers', 'evil.example')).status).toBe(421);
  });
});

describe('a request target is a path of this server', () => {
  it('answers a target starting with "//" as the path it is: a 404 naming it, not a 500 or the page of another route', async () => {
    const dashboard = await start();
    const host = `127.0.0.1:${dashboard.port}`;
    for (const path of ['//%/x', '//[/api/circuit-breakers', '//api/circuit-breakers', '//circuit-breakers']) {
      const { status, body } = await get(dashboard, path, host);
      expect({ path, status, body: JSON.parse(body) }).toEqual({
        path,
        status: 404,
        body: { error: `no dashboard route ${JSON.stringify(path)}` },
      });
    }
    expect((await get(dashboard, '/api/circuit-breakers?limit=1', host)).status).toBe(200);
  });
});

describe('live streams are capped and slow pages dropped', () => {
  it('refuses a stream beyond maxLiveClients with 503, counts it, and admits one again when a page leaves', async () => {
    const dashboard = await start({ maxLiveClients: 2 });
    const base = dashboard.url.replace(/circuit-breakers$/, '');
    const first = await fetch(`${base}circuit-breakers/events`);
    const second = await fetch(`${base}circuit-breakers/events`);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await fetch(`${base}circuit-breakers/events`);
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('10');
    expect(((await third.json()) as { error: string }).error).toMatch(
      /already serves 2 live pages \(option maxLiveClients\)/,
    );
    const api = (await (await fetch(`${base}api/circuit-breakers`)).json()) as { dashboard: unknown };
    expect(api.dashboard).toEqual({ clients: 2, maxClients: 2, refused: 1, droppedSlow: 0 });
    const { samples } = parseExposition(await (await fetch(`${base}metrics`)).text());
    expect(find(samples, 'breakwater_dashboard_live_clients', {})[0].value).toBe(2);
    expect(find(samples, 'breakwater_dashboard_live_clients_max', {})[0].value).toBe(2);
    expect(find(samples, 'breakwater_dashboard_live_clients_refused_total', {})[0].value).toBe(1);
    await first.body!.cancel();
    await waitFor(() => dashboard.handler.liveClients === 1);
    const again = await fetch(`${base}circuit-breakers/events`);
    expect(again.status).toBe(200);
    await Promise.all([second.body!.cancel(), again.body!.cancel()]);
    await expect(startDashboard({ registry: dashboardRegistry(), port: 0, maxLiveClients: 0 })).rejects.toThrow(
      /option maxLiveClients must be an integer from 1 to 100000, got 0/,
    );
  });

  it('closes a page that stops reading once its unsent backlog passes maxClientBacklogBytes, and says so in its metrics', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    // Long names make each burst of transitions megabytes, more than the kernel's socket buffers hold.
    const names = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(3, '0')}-${'x'.repeat(40_000)}`);
    for (const name of names) registry.getOrCreate('endpoint', name);
    const dashboard = await start({
      registry,
      updateEveryMs: 50,
      maxClientBacklogBytes: 64 * 1024,
      metrics: { maxSeries: 0 },
    });
    const slow = connect(dashboard.port, '127.0.0.1');
    slow.on('error', () => {});
    slow.write(`GET /circuit-breakers/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    slow.pause(); // never reads
    await waitFor(() => dashboard.handler.liveClients === 1);
    let open = false;
    // A few megabytes fill the socket buffers; 40 bursts are far more than that.
    for (let round = 0; round < 40 && dashboard.handler.liveClients > 0; round++) {
      for (const name of names) (open ? registry.close : registry.forceOpen).call(registry, 'endpoint', name);
      open = !open;
      await new Promise((tick) => setTimeout(tick, 250));
    }
    expect(dashboard.handler.liveClients).toBe(0);
    slow.destroy();
    const base = dashboard.url.replace(/circuit-breakers$/, '');
    const api = (await (await fetch(`${base}api/circuit-breakers?limit=1`)).json()) as { dashboard: unknown };
    expect(api.dashboard).toEqual({ clients: 0, maxClients: 100, refused: 0, droppedSlow: 1 });
    const { samples } = parseExposition(await (await fetch(`${base}metrics`)).text());
    expect(find(samples, 'breakwater_dashboard_live_clients_dropped_total', {})[0].value).toBe(1);
    // A page that reads is served as before.
    const reader = await fetch(`${base}circuit-breakers/events`);
    expect(reader.status).toBe(200);
    await reader.body!.cancel();
  });
});

describe('mounted on an app without prom-client', () => {
  it("leaves the app's own GET /metrics to the app (an Express app in a process where prom-client is not installed)", () => {
    const folder = tempFolder('no-prom');
    const entry = join(folder, 'app.ts');
    const src = resolve(__dirname, '../../../src');
    writeFileSync(
      entry,
      `
      import express from 'express';
      import { createDashboardHandler } from ${JSON.stringify(join(src, 'observe/dashboard/handler'))};
      import { Registry } from ${JSON.stringify(join(src, 'registry/registry'))};
      const registry = new Registry();
      registry.workerBreaker('w1');
      const app = express();
      const dashboard = createDashboardHandler({ registry });
      app.use(dashboard);
      app.get('/metrics', (_req, res) => void res.type('text/plain').send('app_requests_total 7\\n'));
      const server = app.listen(0, '127.0.0.1', async () => {
        const base = 'http://127.0.0.1:' + server.address().port;
        const metrics = await fetch(base + '/metrics');
        const api = await fetch(base + '/api/circuit-breakers');
        console.log(JSON.stringify({ status: metrics.status, body: await metrics.text(), api: api.status, handles: dashboard.handles('/metrics') }));
        dashboard.close();
        server.close();
      });
    `,
    );
    const outfile = join(folder, 'app.cjs');
    buildSync({
      entryPoints: [entry],
      nodePaths: [resolve(__dirname, '../../../node_modules')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      external: ['prom-client', '@duckdb/node-api', 'onnxruntime-node'],
      logLevel: 'error',
    });
    const child = spawnSync(process.execPath, [outfile], {
      cwd: folder,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: '', BREAKWATER_NATIVE: '0' },
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ status: 200, body: 'app_requests_total 7\n', api: 200, handles: false });
  });
});
