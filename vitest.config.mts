import { defineConfig } from 'vitest/config';

/**
 * Real-time tests (real HTTP, wall-clock fault windows): they run alone, after everything else, and
 * are retried: a burst of load from outside can shift a 14 s wall-clock run past its tolerance.
 */
const REAL_TIME = ['test/integration/sim/grounding.test.ts'];

// The behaviour suite runs twice, once per core; the rest (differential, threads, packaging)
// load both cores or the built package themselves.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'native', include: ['test/behaviour/**/*.test.ts'], env: { BREAKWATER_NATIVE: '1' } } },
      { test: { name: 'reference', include: ['test/behaviour/**/*.test.ts'], env: { BREAKWATER_NATIVE: '0' } } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: REAL_TIME, testTimeout: 600_000, hookTimeout: 600_000 } },
      {
        test: {
          name: 'real-time',
          include: REAL_TIME,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          retry: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
