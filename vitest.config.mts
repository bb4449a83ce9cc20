import { defineConfig } from 'vitest/config';

/**
 * Real-time tests (real HTTP, wall-clock fault windows): they run alone, after everything else, and
 * are retried: a burst of load from outside can shift a 14 s wall-clock run past its tolerance.
 */
const REAL_TIME = ['test/integration/sim/grounding.test.ts'];
/** Every test file: the reference core the selector finds and the registry's feature module (each file says why). */
const SETUP = ['test/reference-core.ts', 'test/core-features-module.ts'];

// The behaviour suite runs twice, once per core; the rest (differential, threads, packaging)
// load both cores or the built package themselves.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'native',
          include: ['test/behaviour/**/*.test.ts'],
          env: { BREAKWATER_NATIVE: '1' },
          setupFiles: SETUP,
        },
      },
      {
        test: {
          name: 'reference',
          include: ['test/behaviour/**/*.test.ts'],
          env: { BREAKWATER_NATIVE: '0' },
          setupFiles: SETUP,
        },
      },
      // Seconds, not minutes: the slowest test takes ~16 s here; packing and installing the tarball, in a hook, ~30 s.
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: REAL_TIME,
          globalSetup: ['test/global-setup.ts'],
          setupFiles: SETUP,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'real-time',
          include: REAL_TIME,
          setupFiles: SETUP,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          retry: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
