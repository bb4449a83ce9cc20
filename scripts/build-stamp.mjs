// When dist/ was last built: a stamp file whose time is when that build started (a source saved
// during a build is seen as changed next time). In node_modules/.cache, so it never ships.
import { existsSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'node_modules/.cache/breakwater/dist-built');

/** The start of the last complete build, in ms; -Infinity when there is none (or dist/ is gone). */
export function lastBuildStarted() {
  return existsSync(stamp) && existsSync(join(root, 'dist/index.js')) ? statSync(stamp).mtimeMs : -Infinity;
}

export function markBuilt(started) {
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, '');
  utimesSync(stamp, started, started);
}
