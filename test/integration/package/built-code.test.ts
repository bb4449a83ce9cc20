import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const dist = join(root, 'dist');
/** The package's entries, as package.json exports them to `require`: [subpath, built file]. */
const entries = Object.entries(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { require?: string }> })
    .exports,
).flatMap(([subpath, files]) => (files.require === undefined ? [] : [[subpath, join(root, files.require)] as const]));

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
    const longest = readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.js'))
      .map((name) => join(dist, name))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line) => ({ file, length: line.length })),
      )
      .reduce((a, b) => (b.length > a.length ? b : a));
    expect(longest.length, longest.file).toBeLessThanOrEqual(1_000);
  });
});

describe('the built package, as its classes name themselves', () => {
  it.each(entries)('%s: every exported class and function is named as it is exported', (_, file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(file) as Record<string, unknown> | (() => unknown);
    const named =
      typeof exported === 'function'
        ? [['CircuitBreaker', exported] as const] // opossum's module is its class
        : Object.entries(exported).filter(([key, value]) => typeof value === 'function' && key !== 'default');
    expect(named.length).toBeGreaterThan(0);
    for (const [key, value] of named) expect((value as () => unknown).name, key).toBe(key);
  });

  it('shows a refusal as a CircuitOpenError where a service logs it', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CircuitBreaker } = require(dist) as typeof import('../../../src');
    const breaker = new CircuitBreaker({ failureThreshold: 1, name: 'inventory' });
    expect(() => breaker.executeSync(fail)).toThrow('down'); // the failure that opens it
    let refusal: unknown;
    try {
      breaker.executeSync(() => 1);
    } catch (error) {
      refusal = error;
    }
    expect((refusal as Error).constructor.name).toBe('CircuitOpenError');
    expect(inspect(refusal)).toMatch(/^\[CircuitOpenError: breakwater: circuit "inventory" is open/);
    breaker.dispose();
  });
});

function fail(): never {
  throw new Error('down');
}
