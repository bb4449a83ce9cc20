// Builds dist/ only when a source changed since the last build: `npm start`, the examples, the
// benchmarks and the test setup run it instead of always rebuilding.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastBuildStarted } from './build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'scripts/build-dist.mjs', 'scripts/package-entries.mjs', 'tsconfig.json', 'tsconfig.build.json'];

function newestChange(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

if (Math.max(...INPUTS.map((input) => newestChange(join(root, input)))) > lastBuildStarted()) {
  process.stdout.write('breakwater: building dist/ (sources changed since the last build)\n');
  execFileSync(process.execPath, [join(root, 'scripts/build-dist.mjs')], { stdio: 'inherit' });
}
