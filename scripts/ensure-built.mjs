// Builds dist/ only when a source changed since the last build (`npm start`, the examples, and
// `prepare` on a fresh clone): a stamp records when the last build started.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'node_modules/.cache/breakwater/dist-built');
const INPUTS = ['src', 'scripts/build-dist.mjs', 'scripts/package-entries.mjs', 'tsconfig.json', 'tsconfig.build.json'];

function newestChange(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

const builtAt = existsSync(stamp) && existsSync(join(root, 'dist/index.js')) ? statSync(stamp).mtimeMs : -Infinity;
if (Math.max(...INPUTS.map((input) => newestChange(join(root, input)))) > builtAt) {
  const started = new Date();
  process.stdout.write('breakwater: building dist/ (sources changed since the last build)\n');
  execFileSync(process.execPath, [join(root, 'scripts/build-dist.mjs')], { stdio: 'inherit' });
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, '');
  // The stamp's time is when the build started: a source saved during the build is seen next time.
  utimesSync(stamp, started, started);
}
