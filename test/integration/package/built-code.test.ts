import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = resolve(__dirname, '../../../dist');

/** Every built JavaScript file under `dir`. */
function builtFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return builtFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

/** What Node prints for an uncaught error thrown by `code` (CommonJS, run with the built package). */
function uncaught(code: string): string {
  const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
  expect(child.status).toBe(1);
  return child.stderr;
}

describe('the built package, as an uncaught error shows it', () => {
  it.each([
    [
      'a bad breaker option',
      `new (require(${JSON.stringify(dist)}).CircuitBreaker)({ failureThreshold: -1 })`,
      'RangeError: breakwater: option "failureThreshold"',
    ],
    [
      'a JSONL sink without options',
      `require(${JSON.stringify(join(dist, 'observe'))}).createJsonlSink()`,
      'TypeError: breakwater/observe: createJsonlSink(options)',
    ],
  ])('%s: the line that threw, not its whole module, and frames at their lines', (_, code, message) => {
    const stderr = uncaught(code);
    const at = stderr.indexOf(message);
    expect(at).toBeGreaterThan(0);
    // Above the message Node prints the file, the line that threw and a caret under the throw.
    expect(at).toBeLessThan(600);
    const builtFrames = [...stderr.matchAll(/dist\/[\w/-]+\.js:(\d+):\d+/g)].map((match) => Number(match[1]));
    expect(builtFrames.length).toBeGreaterThan(0);
    expect(builtFrames.some((line) => line > 1)).toBe(true);
  });

  it('keeps every built line short enough to print', () => {
    const longest = builtFiles(dist)
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line) => ({ file, length: line.length })),
      )
      .reduce((a, b) => (b.length > a.length ? b : a));
    expect(longest.length, longest.file).toBeLessThanOrEqual(1_000);
  });
});
