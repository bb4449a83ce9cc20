import { loadNativeCore } from './native';
import type { CoreBackend } from './types';

export type CoreKind = CoreBackend['kind'];

const WARNED = Symbol.for('breakwater.referenceCoreWarned');
const REFERENCE = Symbol.for('breakwater.referenceCore');

/**
 * This thread's one reference core: every copy of this module (ESM, CJS, each self-contained
 * entry) must address arenas by the same ids, as they do on the native core, whose loader is
 * shared the same way.
 */
function referenceCore(): CoreBackend {
  const shared = globalThis as typeof globalThis & { [REFERENCE]?: CoreBackend };
  // Loaded when chosen: a process on the native core never parses it (the main entry's budget).
  // The test suite, which runs the TypeScript sources, puts one there first (test/reference-core.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (shared[REFERENCE] ??= new (require('./reference/core') as typeof import('./reference/core')).ReferenceCore());
}

/**
 * Picks this thread's core: the native addon unless BREAKWATER_NATIVE=0, falling back to the
 * reference core, with one warning that says why, when the addon cannot load.
 */
function selectCore(): CoreBackend {
  if (process.env.BREAKWATER_NATIVE === '0') return referenceCore();
  try {
    return loadNativeCore();
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    // Once per process, however many copies of this module (ESM, CJS, compat entries) get loaded.
    const shared = globalThis as typeof globalThis & { [WARNED]?: boolean };
    if (shared[WARNED]) return referenceCore();
    shared[WARNED] = true;
    process.emitWarning(
      `breakwater: the native core could not be loaded (${why}); using the reference core, which is slower. ` +
        'Reinstall breakwater on this platform (a C++ toolchain builds it if no prebuild fits), or set BREAKWATER_NATIVE=0 to choose the reference core explicitly.',
      { code: 'BREAKWATER_REFERENCE_CORE' },
    );
    return referenceCore();
  }
}

export const core: CoreBackend = selectCore();

/** Which core this process runs: 'native' (the C++ addon) or 'reference' (plain TypeScript). */
export const coreKind: CoreKind = core.kind;
