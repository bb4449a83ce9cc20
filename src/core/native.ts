import nodeGypBuild from 'node-gyp-build';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SCRATCH_SIZE } from './layout';
import type { CoreBackend } from './types';

/** The addon's exports (native/binding/binding.cc); the same operations as CoreBackend. */
type Binding = Omit<CoreBackend, 'kind' | 'scratch'> & { setScratch(scratch: Int32Array): void };

/** The package root, found by walking up from this module (src/core in development, dist when built). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'breakwater') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`breakwater: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

let loaded: CoreBackend | undefined;

/**
 * Loads the addon (a prebuild from prebuilds/, else build/Release) and binds it to this thread.
 * Memoised: the addon keeps one scratch register set per thread.
 */
export function loadNativeCore(): CoreBackend {
  if (loaded !== undefined) return loaded;
  const binding = nodeGypBuild(packageRoot()) as Binding;
  const scratch = new Int32Array(SCRATCH_SIZE);
  binding.setScratch(scratch);
  loaded = {
    kind: 'native',
    scratch,
    attach: binding.attach,
    admit: binding.admit,
    record: binding.record,
    rejected: binding.rejected,
    forceOpen: binding.forceOpen,
    disable: binding.disable,
    close: binding.close,
    reset: binding.reset,
    restore: binding.restore,
    configure: binding.configure,
    snapshot: binding.snapshot,
    history: binding.history,
    nowUs: binding.nowUs,
    clockPage: binding.clockPage,
  };
  return loaded;
}
