import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { startDashboard, type RunningDashboard } from '../../../src/observe/dashboard/server';
import { Registry } from '../../../src/registry/registry';
import { dashboardRegistry, TOKEN, XSS_NAME } from './dashboard-fixtures';

/** The page globals these tests read inside the browser, typed here: the project compiles without the DOM lib. */
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Readonly<Record<string, string | undefined>>;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
  querySelector(selector: string): PageElement | null;
  getElementById(id: string): PageElement | null;
};
declare const window: {
  Chart: { getChart(id: string): { data: { datasets: Array<{ data: number[] }> } } | undefined };
};

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
/**
 * How long the browser waits for a change (nothing sleeps): a guard, not a measure. The page never
 * polls, so a change it shows came over the live stream; the guard stays under the stream's 10 s
 * reconnect, which would refetch. (2 s timed out once on a loaded CI machine.)
 */
const LIVE_WITHIN_MS = 8000;

let browser: Browser;
const running: RunningDashboard[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the dashboard's browser tests need Debian's chromium at ${CHROMIUM}: install it with \`apt-get install chromium\``,
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

afterAll(async () => {
  await browser?.close();
});

/** Starts a dashboard over the registry and opens its page once the table has data. */
async function open(
  registry: Registry,
  controls: { token: string } | false = { token: TOKEN },
  maxLiveClients?: number,
): Promise<{ page: Page; dashboard: RunningDashboard; dialogs: string[]; requests: string[] }> {
  const dashboard = await startDashboard({ registry, port: 0, controls, maxLiveClients });
  running.push(dashboard);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  pages.push(page);
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(dashboard.url);
  await page.waitForSelector('body[data-ready="true"]');
  expect(errors).toEqual([]);
  return { page, dashboard, dialogs, requests };
}

const row = (page: Page, kind: string, name: string) =>
  page
    .locator('#breakers tbody tr')
    .filter({ has: page.locator('td.name', { hasText: name }) })
    .filter({ has: page.locator('td', { hasText: kind }) });

/** Waits in the browser until the row of (kind, name) shows `state`. */
function waitForState(page: Page, kind: string, name: string, state: string, timeout = LIVE_WITHIN_MS) {
  return page.waitForFunction(
    ([k, n, s]) =>
      [...document.querySelectorAll('#breakers tbody tr')].some(
        (tr) => tr.dataset.kind === k && tr.dataset.name === n && tr.querySelector('td.state')?.textContent === s,
      ),
    [kind, name, state] as const,
    { timeout },
  );
}

describe('dashboard in headless Chromium', () => {
  it('renders the gauge, charts and the table with data, all from the dashboard itself', async () => {
    const { page, dashboard, requests } = await open(dashboardRegistry());
    await expect(page.locator('#breakers tbody tr').count()).resolves.toBe(17);
    await expect(page.locator('#page-info').textContent()).resolves.toBe('1–17 of 17');
    await expect(row(page, 'worker', 'worker-1').locator('td.state').textContent()).resolves.toBe('open');
    await expect(row(page, 'worker', 'worker-1').locator('td.probability').textContent()).resolves.toBe('90.0%');
    expect(await page.locator('#health-value').textContent()).toMatch(/^\d+\.\d%$/);
    // Every chart was drawn by chart.js, which came from the dashboard, not a CDN.
    const charts = await page.evaluate(() =>
      ['health-gauge', 'state-chart', 'kind-chart', 'transition-chart', 'tuning-chart'].map((id) => {
        const chart = window.Chart.getChart(id);
        return chart === undefined ? 0 : chart.data.datasets.length;
      }),
    );
    expect(charts.every((datasets) => datasets > 0)).toBe(true);
    const origin = new URL(dashboard.url).origin;
    expect(requests.every((url) => url.startsWith(origin))).toBe(true);
    expect(requests).toContain(`${origin}/circuit-breakers/assets/chart.umd.min.js`);
    await expect(page.locator('#tuning-list li').count()).resolves.toBe(10);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
  });

  it('shows the share of healthy breakers on the gauge: one of two open is 50%, not a green 96%', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const busy = registry.endpointBreaker('https://busy.example', { failureThreshold: 5 });
    for (let i = 0; i < 24; i++) busy.executeSync(() => i);
    const down = registry.endpointBreaker('https://down.example', {
      failureThreshold: 1,
      recoveryTimeout: 600_000,
    });
    expect(() =>
      down.executeSync(() => {
        throw new Error('down');
      }),
    ).toThrow('down');
    expect(down.getState()).toBe('open');
    const weighted = registry.health().overallHealth;
    expect(weighted).toBeGreaterThan(90); // what the gauge used to show, in green
    const { page } = await open(registry);
    expect(await page.locator('#health-value').textContent()).toBe('50.0%');
    expect(await page.locator('#health-value').getAttribute('data-level')).toBe('bad');
    expect(await page.locator('#health-note').textContent()).toBe('1 of 2 breakers healthy (closed)');
    expect(await page.locator('#health-weighted').textContent()).toBe(
      `traffic-weighted health ${weighted.toFixed(1)}%`,
    );
    const gauge = await page.evaluate(
      () =>
        window.Chart.getChart('health-gauge')!.data.datasets[0] as unknown as {
          data: number[];
          backgroundColor: string[];
        },
    );
    expect(gauge.data).toEqual([50, 50]);
    expect(gauge.backgroundColor[0]).toBe('#c62828');
  });

  it('says so when the dashboard refuses its live stream (maxLiveClients reached), instead of "reconnecting…" forever', async () => {
    const registry = dashboardRegistry();
    const { page, dashboard } = await open(registry, false, 1);
    await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live', undefined, {
      timeout: LIVE_WITHIN_MS,
    });
    const second = await browser.newPage();
    pages.push(second);
    await second.goto(dashboard.url);
    await second.waitForSelector('body[data-ready="true"]');
    await second.waitForFunction(
      () => document.getElementById('live')?.textContent === 'live updates unavailable; retrying in 10 s',
      undefined,
      { timeout: LIVE_WITHIN_MS },
    );
    expect(dashboard.handler.liveClients).toBe(1);
  });

  it('shows a state change live, over server-sent events', async () => {
    const registry = dashboardRegistry();
    const { page } = await open(registry);
    await page.waitForSelector('#live.connected');
    const name = 'https://api.example/svc-05';
    await waitForState(page, 'endpoint', name, 'closed');
    const transitionsBefore = await page.evaluate(() =>
      window.Chart.getChart('transition-chart')!.data.datasets[3].data.reduce((a, b) => a + b, 0),
    );
    registry.forceOpen('endpoint', name);
    await waitForState(page, 'endpoint', name, 'forced-open');
    // The transition also lands in the history chart (dataset 3: to forced-open).
    await page.waitForFunction(
      (before) =>
        window.Chart.getChart('transition-chart')!.data.datasets[3].data.reduce((a, b) => a + b, 0) === before + 1,
      transitionsBefore,
      { timeout: LIVE_WITHIN_MS },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live-update.png'), fullPage: true });
  });

  it('runs a control action with the token and refuses it without', async () => {
    const registry = dashboardRegistry();
    const { page } = await open(registry);
    await expect(page.locator('#controls').isVisible()).resolves.toBe(true);
    // Without a token: 401, shown to the user; the breaker stays open.
    await row(page, 'worker', 'worker-0').locator('button[data-action="close"]').click();
    await page.waitForFunction(
      () => /refused \(HTTP 401\)/.test(document.getElementById('status')!.textContent ?? ''),
      undefined,
      { timeout: LIVE_WITHIN_MS },
    );
    expect(registry.get('worker', 'worker-0')!.getState()).toBe('open');
    // A wrong token: 403.
    await page.fill('#token', 'not-the-token-at-all');
    await row(page, 'worker', 'worker-0').locator('button[data-action="close"]').click();
    await page.waitForFunction(
      () => /refused \(HTTP 403\)/.test(document.getElementById('status')!.textContent ?? ''),
      undefined,
      { timeout: LIVE_WITHIN_MS },
    );
    expect(registry.get('worker', 'worker-0')!.getState()).toBe('open');
    // The token: the circuit closes and the table shows it.
    await page.fill('#token', TOKEN);
    await row(page, 'worker', 'worker-0').locator('button[data-action="close"]').click();
    await waitForState(page, 'worker', 'worker-0', 'closed');
    expect(registry.get('worker', 'worker-0')!.getState()).toBe('closed');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-control-action.png'), fullPage: true });
  });

  it('hides control buttons when controls are off', async () => {
    const { page } = await open(dashboardRegistry(), false);
    await expect(page.locator('#controls').isVisible()).resolves.toBe(false);
    await expect(page.locator('#breakers button').count()).resolves.toBe(0);
  });

  it(`shows a breaker named ${XSS_NAME} as text, and no dialog fires`, async () => {
    const registry = dashboardRegistry();
    registry.configure('task', { failureRateThreshold: 25 });
    const { page, dialogs } = await open(registry);
    const cell = row(page, 'task', XSS_NAME).locator('td.name');
    await expect(cell.textContent()).resolves.toBe(XSS_NAME);
    await expect(page.locator('#tuning-list').textContent()).resolves.toContain(`task/${XSS_NAME}`);
    // The search box takes the name as text too.
    await page.fill('#filter-search', '<img');
    await page.waitForFunction(() => document.getElementById('page-info')!.textContent === '1–1 of 1', undefined, {
      timeout: LIVE_WITHIN_MS,
    });
    await expect(page.evaluate(() => document.querySelectorAll('img, b').length)).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-escaped-name.png'), fullPage: true });
  });

  it('sorts, filters and pages a large registry on the server', async () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    for (let i = 0; i < 130; i++) {
      const breaker = registry.getOrCreate(i % 2 === 0 ? 'endpoint' : 'worker', `b-${String(i).padStart(3, '0')}`);
      for (let k = 0; k < i % 17; k++) breaker.executeSync(() => k);
    }
    const { page } = await open(registry);
    await expect(page.locator('#page-info').textContent()).resolves.toBe('1–50 of 130');
    await page.click('#next');
    await page.waitForFunction(() => document.getElementById('page-info')!.textContent === '51–100 of 130', undefined, {
      timeout: LIVE_WITHIN_MS,
    });
    await expect(page.locator('#breakers tbody tr').first().locator('td.name').textContent()).resolves.toBe('b-050');
    await page.selectOption('#filter-kind', 'worker');
    await page.waitForFunction(() => document.getElementById('page-info')!.textContent === '1–50 of 65', undefined, {
      timeout: LIVE_WITHIN_MS,
    });
    await page.click('th[data-sort="totalCalls"]');
    await page.waitForSelector('th[data-sort="totalCalls"].sorted-desc');
    await page.waitForFunction(
      () => document.querySelector('#breakers tbody tr td.calls')?.textContent === '16',
      undefined,
      { timeout: LIVE_WITHIN_MS },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-large-registry.png'), fullPage: true });
  });
});
