import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
let app: string;
let env: NodeJS.ProcessEnv;

/** A PATH holding node, npm and sh (npm runs scripts with it) only: no compiler, make or python. */
function bareBin(): string {
  const bin = mkdtempSync(join(tmpdir(), 'breakwater-bin-'));
  const nodeDir = dirname(process.execPath);
  for (const tool of ['node', 'npm']) symlinkSync(join(nodeDir, tool), join(bin, tool));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

const run = (code: string, type: 'commonjs' | 'module') =>
  execFileSync('node', [`--input-type=${type}`, '-e', code], { cwd: app, env, encoding: 'utf8' }).trim();

describe('the packed package', () => {
  beforeAll(() => {
    // `npm test` built dist/ and prebuilds/ before the tests started; rebuilding here would race the
    // tests that load them, so pack what is there (an empty or stale build fails the checks below).
    expect(readdirSync(join(root, 'prebuilds')).length).toBeGreaterThan(0);
    const packs = mkdtempSync(join(tmpdir(), 'breakwater-pack-'));
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packs], { cwd: root, stdio: 'pipe' });
    const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz'))!);
    app = mkdtempSync(join(tmpdir(), 'breakwater-app-'));
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    env = { ...process.env, PATH: bareBin(), BREAKWATER_NATIVE: '', npm_config_nodedir: '' };
    for (const tool of ['g++', 'cc', 'make', 'python3']) {
      expect(() => execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { env })).toThrow();
    }
    execFileSync('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env, stdio: 'pipe' });
  });

  it('loads with require and runs on the native core from its prebuild', () => {
    const out = run(
      `const { CircuitBreaker, coreKind } = require('breakwater');
       const b = new CircuitBreaker({ failureThreshold: 1 });
       try { b.executeSync(() => { throw new Error('x'); }); } catch {}
       const loaded = Object.keys(require.cache).filter((m) => m.includes('onnxruntime'));
       console.log(JSON.stringify({ coreKind, state: b.getState(), loaded }));`,
      'commonjs',
    );
    expect(JSON.parse(out)).toEqual({ coreKind: 'native', state: 'open', loaded: [] });
  });

  it('exposes breakwater/opossum as the class itself and breakwater/cockatiel, with require and import', () => {
    const cjs = run(
      `const Opossum = require('breakwater/opossum');
       const { ConsecutiveBreaker } = require('breakwater/cockatiel');
       console.log(JSON.stringify({ opossum: typeof Opossum, isOurError: typeof Opossum.isOurError, cockatiel: typeof ConsecutiveBreaker }));`,
      'commonjs',
    );
    expect(JSON.parse(cjs)).toEqual({ opossum: 'function', isOurError: 'function', cockatiel: 'function' });
    const esm = run(
      `import Opossum from 'breakwater/opossum';
       import { SamplingBreaker } from 'breakwater/cockatiel';
       const breaker = new Opossum(async (x) => x * 2);
       console.log(JSON.stringify({ value: await breaker.fire(21), cockatiel: typeof SamplingBreaker }));
       breaker.shutdown();`,
      'module',
    );
    expect(JSON.parse(esm)).toEqual({ value: 42, cockatiel: 'function' });
  });

  it('falls back to the reference core, warning once and saying why, when the addon cannot load', () => {
    const copy = mkdtempSync(join(tmpdir(), 'breakwater-noaddon-'));
    cpSync(join(app, 'node_modules'), join(copy, 'node_modules'), { recursive: true });
    rmSync(join(copy, 'node_modules/breakwater/prebuilds'), { recursive: true, force: true });
    const child = spawnSync(
      'node',
      ['-e', `const a = require('breakwater'); const b = require('breakwater/cockatiel'); new a.CircuitBreaker().executeSync(() => 1); console.log(a.coreKind);`],
      { cwd: copy, env, encoding: 'utf8' },
    );
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('reference');
    const warnings = child.stderr.split('\n').filter((line) => line.includes('BREAKWATER_REFERENCE_CORE') || line.includes('native core could not be loaded'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/native core could not be loaded \(.+\); using the reference core/);
  });

  it('loads with import, types included', async () => {
    const out = run(
      `import { CircuitBreaker, coreKind } from 'breakwater';
       const b = new CircuitBreaker();
       console.log(JSON.stringify({ coreKind, value: await b.execute(async () => 42) }));`,
      'module',
    );
    expect(JSON.parse(out)).toEqual({ coreKind: 'native', value: 42 });
    const files = readdirSync(join(app, 'node_modules/breakwater/dist'));
    expect(files).toEqual(expect.arrayContaining(['index.cjs', 'index.mjs', 'index.d.ts', 'index.d.mts']));
  });
});
