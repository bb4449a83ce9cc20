import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index';
import type { RunningDashboard } from '../../../src/observe/dashboard/server';
import { runDashboardCommand } from '../../../src/cli/dashboard';
import { makeEvent, removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);
const running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

/** Two whole events, then what a writer killed mid-append leaves: the start of a third, no newline. */
function tornHistory(): string {
  const path = join(tempFolder('history-torn'), 'events.jsonl');
  writeFileSync(path, `${JSON.stringify(makeEvent(0))}\n${JSON.stringify(makeEvent(1))}\n`);
  appendFileSync(path, JSON.stringify(makeEvent(2)).slice(0, 40));
  return path;
}

describe('breakwater dashboard --history over a torn file', () => {
  it('skips a torn last line, saying so on stderr with the file and the line, and serves the rest', async () => {
    const path = tornHistory();
    const lines: string[] = [];
    const warnings: string[] = [];
    const dashboard = (await runDashboardCommand(['--history', path, '--port', '0'], {
      print: (line) => lines.push(line),
      warn: (line) => warnings.push(line),
    }))!;
    running.push(dashboard);
    expect(warnings).toEqual([
      `breakwater/adaptive: ${path} line 3 skipped: the last line is cut short (no newline ends it, as a writer killed mid-append leaves it)`,
    ]);
    expect(lines[0]).toMatch(/: 2 breakers, 2 events from /);
    const base = dashboard.url.replace(/circuit-breakers$/, '');
    const history = (await (await fetch(`${base}api/circuit-breakers/history`)).json()) as { events: unknown[] };
    expect(history.events).toEqual([makeEvent(0), makeEvent(1)]);
  });

  it('still refuses a bad line in the middle, or a bad last line that ends with a newline', async () => {
    for (const tail of ['\n', `\n${JSON.stringify(makeEvent(3))}\n`]) {
      const path = tornHistory();
      appendFileSync(path, tail);
      const err: string[] = [];
      const io = { stdout: { write: () => true }, stderr: { write: (text: string) => err.push(text) } };
      expect(await main(['dashboard', '--history', path, '--port', '0'], io)).toBe(2);
      expect(err.join('')).toMatch(new RegExp(`${path} line 3 is not JSON`));
      expect(readFileSync(path, 'utf8').endsWith(tail)).toBe(true);
    }
  });
});
