import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index';

const root = resolve(__dirname, '../../..');
/** The built executable (`npm run build:ts`), as `npx breakwater` runs it. */
const bin = join(root, 'dist/cli/bin.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'breakwater-cli-'));
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, cwd: dir },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

describe('breakwater CLI habits', () => {
  it('--version prints the package version', async () => {
    const run = capture();
    expect(await main(['--version'], run.io)).toBe(0);
    expect(run.stdout()).toBe(`${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`);
  });

  it('every command takes --flag=value', async () => {
    const dashboard = capture();
    expect(await main(['dashboard', '--port=abc'], dashboard.io)).toBe(2);
    expect(dashboard.stderr()).toBe('breakwater dashboard: --port must be an integer from 0 to 65535, got "abc"\n');
    const train = capture();
    expect(await main(['train', '--from=missing.jsonl', '--out=model.onnx'], train.io)).toBe(2);
    expect(train.stderr()).toMatch(/missing\.jsonl/);
    expect(train.stderr()).not.toMatch(/unknown/);
  });

  it('simulate writes to a folder of the current directory named for the run, not a tracked folder', async () => {
    const run = capture();
    expect(await main(['simulate', '--scenario', 'healthy', '--seed', '4'], run.io)).toBe(0);
    expect(existsSync(join(dir, 'breakwater-simulate-quick-seed4/scenarios.json'))).toBe(true);
    expect(existsSync(join(dir, 'bench'))).toBe(false);
    expect(run.stdout()).toContain('to breakwater-simulate-quick-seed4');
  });

  it('a bad --out is named before the run starts', async () => {
    writeFileSync(join(dir, 'taken'), 'a file');
    const run = capture();
    expect(await main(['simulate', '--scenario', 'healthy', '--out', 'taken'], run.io)).toBe(2);
    expect(run.stderr()).toMatch(/^breakwater: --out: taken is a file, not a folder\n/);
    expect(run.stdout()).toBe('');
  });

  it('train names a bad --out before it trains, not minutes later at the write', async () => {
    writeFileSync(join(dir, 'blocker'), 'a file');
    mkdirSync(join(dir, 'models'), { recursive: true });
    const cases: Array<[string, RegExp]> = [
      ['blocker/model.onnx', /^breakwater train: --out: blocker is a file, not a folder\n$/],
      ['models', /^breakwater train: --out: models is a folder; name the model file, e\.g\. models\/model\.onnx\n$/],
      // A parent that exists but cannot hold the folder: Node's own recursive mkdir loops forever here.
      [
        '/proc/breakwater-test/model.onnx',
        /^breakwater train: --out: cannot write to \/proc\/breakwater-test \(ENOENT\)\n$/,
      ],
    ];
    for (const [out, message] of cases) {
      const run = capture();
      expect(await main(['train', '--from', 'simulator', '--out', out], run.io)).toBe(2);
      expect(run.stderr()).toMatch(message);
      expect(run.stdout()).toBe(''); // nothing generated, nothing trained
    }
  });
});

describe('the breakwater executable', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('says a taken port is taken, in one line without a stack trace', () => {
    writeFileSync(join(dir, 'empty.jsonl'), '');
    const child = spawnSync(process.execPath, [bin, 'dashboard', '--history', 'empty.jsonl', `--port=${port}`], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(2);
    expect(child.stderr).toBe(
      `breakwater dashboard: port ${port} on 127.0.0.1 is taken; choose another with --port (0 picks a free one)\n`,
    );
  });
});
