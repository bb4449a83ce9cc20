import { afterEach, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../../src/observe/dashboard/server';
import { dashboardRegistry } from './dashboard-fixtures';

const running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

describe('the JSON API query', () => {
  it('refuses a parameter given twice with 400 naming it, on the list and the history', async () => {
    const dashboard = await startDashboard({ registry: dashboardRegistry(), port: 0 });
    running.push(dashboard);
    const base = dashboard.url.replace(/circuit-breakers$/, '');
    for (const [path, message] of [
      [
        'api/circuit-breakers?kind=worker&kind=endpoint',
        'query parameter kind is given 2 times ("worker", "endpoint"); give it once',
      ],
      [
        'api/circuit-breakers?limit=1&state=open&limit=2',
        'query parameter limit is given 2 times ("1", "2"); give it once',
      ],
      [
        'api/circuit-breakers/history?event_type=tuning&event_type=transition',
        'query parameter event_type is given 2 times ("tuning", "transition"); give it once',
      ],
    ] as const) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: message });
    }
    const once = await fetch(`${base}api/circuit-breakers?kind=worker`);
    expect(((await once.json()) as { total: number }).total).toBe(3);
  });
});
