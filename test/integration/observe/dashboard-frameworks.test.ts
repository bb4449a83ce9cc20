import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createDashboardHandler } from '../../../src/observe/dashboard/handler';
import { dashboardRegistry } from './dashboard-fixtures';

/** The JSON API and the app's own route, through a framework mounted as docs/observability.md shows. */
async function check(base: string): Promise<void> {
  const api = await fetch(`${base}/api/circuit-breakers?kind=worker`);
  expect(api.status).toBe(200);
  const body = (await api.json()) as { total: number; items: Array<{ kind: string }> };
  expect(body.total).toBe(3);
  expect(body.items.every((row) => row.kind === 'worker')).toBe(true);
  const page = await fetch(`${base}/circuit-breakers`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
}

describe('the dashboard handler mounted on Express and Fastify', () => {
  it('Express, at the root and under a prefix; other paths reach the app', async () => {
    const registry = dashboardRegistry();
    const app = express();
    const root = createDashboardHandler({ registry });
    const prefixed = createDashboardHandler({ registry });
    app.use('/ops', prefixed);
    app.use(root);
    app.get('/hello', (_request, response) => void response.send('app'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await check(base);
      await check(`${base}/ops`);
      expect(await (await fetch(`${base}/hello`)).text()).toBe('app');
    } finally {
      root.close();
      prefixed.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('Fastify, through an onRequest hook that hands over the raw request', async () => {
    const registry = dashboardRegistry();
    const dashboard = createDashboardHandler({ registry });
    const fastify = Fastify();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!dashboard.handles(request.url)) return done();
      reply.hijack();
      dashboard(request.raw, reply.raw);
    });
    fastify.get('/hello', async () => 'app');
    const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      await check(address);
      expect(await (await fetch(`${address}/hello`)).text()).toBe('app');
    } finally {
      dashboard.close();
      await fastify.close();
    }
  });
});
