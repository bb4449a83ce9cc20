import { afterEach, describe, expect, it } from 'vitest';
import { runDashboardCommand } from '../../../src/cli/dashboard';
import type { RunningDashboard } from '../../../src/observe/dashboard/server';
import { arenaFolder, ENTRY, runNode } from './processes';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('breakwater dashboard --host', () => {
  it('shows the live breakers other processes made in a host arena, and acts on them', async () => {
    const dir = arenaFolder();
    const make = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const [dir, name] = process.argv.slice(-2);
      const registry = new Registry({ host: { name: 'ops', directory: dir } });
      const breaker = registry.getOrCreate('endpoint', name, { failureThreshold: 3, recoveryTimeout: 600000 });
      for (let i = 0; i < 3; i++) { try { breaker.executeSync(() => { throw new Error('down'); }); } catch {} }
      registry.getOrCreate('worker', name + '-pool').executeSync(() => 1);
    `;
    runNode(make, [dir, 'inventory']);
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => void warnings.push(warning.code ?? warning.name);
    process.on('warning', onWarning);
    cleanup.push(() => process.off('warning', onWarning));
    const lines: string[] = [];
    const dashboard = (await runDashboardCommand(['--host', 'ops', '--host-directory', dir, '--port', '0'], {
      env: { BREAKWATER_DASHBOARD_TOKEN: 'a-token-of-sixteen-chars' },
      print: (line) => lines.push(line),
    })) as RunningDashboard;
    cleanup.push(() => dashboard.close());
    expect(lines[0]).toMatch(/^breakwater dashboard: host arena .*breakwater-ops: 2 breakers$/);
    const api = dashboard.url.replace(/circuit-breakers$/, 'api/circuit-breakers');
    const listed = (await (await fetch(api)).json()) as { items: { kind: string; name: string; state: string }[] };
    const states = Object.fromEntries(listed.items.map((b) => [`${b.kind}/${b.name}`, b.state]));
    expect(states).toEqual({ 'endpoint/inventory': 'open', 'worker/inventory-pool': 'closed' });
    // Showing the breakers asks for no options of its own: nothing to warn about.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('BREAKWATER_HOST_OPTIONS');

    // Closing it here closes it for every process of the host.
    const closed = await fetch(`${api}/endpoint/inventory/close`, {
      method: 'POST',
      headers: { authorization: 'Bearer a-token-of-sixteen-chars' },
    });
    expect(closed.status).toBe(200);
    const state = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const [dir] = process.argv.slice(-1);
      console.log(new Registry({ host: { name: 'ops', directory: dir } }).getOrCreate('endpoint', 'inventory').getState());
    `;
    expect(runNode(state, [dir]).trim()).toBe('closed');
  });

  it('says when the host arena does not exist, without making it', async () => {
    const dir = arenaFolder();
    await expect(runDashboardCommand(['--host', 'nothing', '--host-directory', dir])).rejects.toThrow(
      /no host arena "nothing": .*breakwater-nothing does not exist/,
    );
    await expect(runDashboardCommand(['--host', 'a', '--history', 'x.jsonl'])).rejects.toThrow(
      /give --host or --history, not both/,
    );
  });
});
