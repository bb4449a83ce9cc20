import nodeGypBuild from 'node-gyp-build';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LAYOUT_VERSION, SCRATCH_SIZE } from './layout';
import type { CoreBackend, HostBinding } from './types';

/** The addon's exports (native/binding/binding.cc); the same operations as CoreBackend. */
type Binding = Omit<CoreBackend, 'kind' | 'scratch' | 'host'> & HostBinding & { setScratch(scratch: Int32Array): void };

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

/**
 * The addon keeps one scratch register set per thread, so every copy of this module in a thread
 * (the ESM and CJS builds, the compat entry points) must share one loaded core: it lives on a
 * global symbol, keyed by the layout version.
 */
const LOADED = Symbol.for(`breakwater.nativeCore.v${LAYOUT_VERSION}`);
type WithCore = typeof globalThis & { [LOADED]?: CoreBackend };

/** Loads the addon (a prebuild from prebuilds/, else build/Release) and binds it to this thread. */
export function loadNativeCore(): CoreBackend {
  const shared = globalThis as WithCore;
  const existing = shared[LOADED];
  if (existing !== undefined) return existing;
  const binding = nodeGypBuild(packageRoot()) as Binding;
  const scratch = new Int32Array(SCRATCH_SIZE);
  binding.setScratch(scratch);
  const loaded: CoreBackend = {
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
    preOpen: binding.preOpen,
    clusterMove: binding.clusterMove,
    release: binding.release,
    claimLane: binding.claimLane,
    remainingMs: binding.remainingMs,
    configure: binding.configure,
    snapshot: binding.snapshot,
    history: binding.history,
    windowStats: binding.windowStats,
    nowUs: binding.nowUs,
    clockPage: binding.clockPage,
    monotonicNowUs: binding.monotonicNowUs,
    host: {
      openHost: binding.openHost,
      hostLookup: binding.hostLookup,
      hostEntry: binding.hostEntry,
      hostSyncLease: binding.hostSyncLease,
      hostConfigVersions: binding.hostConfigVersions,
      hostCut: binding.hostCut,
    },
  };
  shared[LOADED] = loaded;
  return loaded;
}
