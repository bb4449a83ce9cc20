import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);

const OPTIONAL = ['@duckdb/node-api', 'prom-client', 'chart.js'];

it('loading the observability modules loads none of the optional packages until they are used', () => {
  const folder = tempFolder('lazy');
  const entry = join(folder, 'entry.ts');
  const src = resolve(__dirname, '../../../src/observe');
  writeFileSync(
    entry,
    ['sinks/jsonl', 'sinks/duckdb', 'prometheus', 'dashboard/index']
      .map((file) => `export * from ${JSON.stringify(join(src, file))};`)
      .join('\n'),
  );
  const outfile = join(folder, 'observe.cjs');
  // Bundled like the package, optional packages external; NODE_PATH lets the bundle find them.
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: [...OPTIONAL, 'node-gyp-build'],
    logLevel: 'error',
  });
  const script = `
    const observe = require(${JSON.stringify(outfile)});
    const loaded = () => Object.keys(require.cache).filter((file) => ${JSON.stringify(OPTIONAL)}.some((name) => file.includes('/node_modules/' + name + '/')));
    const before = loaded();
    observe.createDashboardHandler({ registry: { list() {}, onEvent() {} } });
    const afterHandler = loaded();
    observe.createDuckDbSink({ path: ':memory:' }).then(async (sink) => {
      await sink.close();
      console.log(JSON.stringify({ before, afterHandler, afterDuckDb: loaded().some((f) => f.includes('@duckdb')) }));
    });
  `;
  const child = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: resolve(__dirname, '../../../node_modules'), BREAKWATER_NATIVE: '0' },
  });
  expect(child.stderr).toBe('');
  expect(JSON.parse(child.stdout)).toEqual({ before: [], afterHandler: [], afterDuckDb: true });
});
