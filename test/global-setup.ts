import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Some integration tests run the built package (dist/: worker threads, child processes, the CLI
 * executable): build it first when a source changed since the last build, so a bare `npx vitest`
 * works on a fresh clone. A no-op when dist/ is current (`npm test` has just built it).
 */
export default function buildDistWhenStale(): void {
  execFileSync(process.execPath, [resolve(__dirname, '../scripts/ensure-built.mjs')], { stdio: 'inherit' });
}
