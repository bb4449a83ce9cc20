import { defineConfig } from 'vitest/config';

// The behaviour suite runs twice, once per core; the rest (differential, threads, packaging)
// load both cores or the built package themselves.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'native', include: ['test/behaviour/**/*.test.ts'], env: { BREAKWATER_NATIVE: '1' } } },
      { test: { name: 'reference', include: ['test/behaviour/**/*.test.ts'], env: { BREAKWATER_NATIVE: '0' } } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
    ],
  },
});
