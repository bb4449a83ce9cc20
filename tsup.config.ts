import { defineConfig } from 'tsup';

const shared = {
  format: ['cjs', 'esm'] as const,
  dts: true,
  // __dirname in the ESM build (the loader finds the package root from it).
  shims: true,
  target: 'node20',
  platform: 'node' as const,
  sourcemap: true,
  outExtension: ({ format }: { format: string }) => ({ js: format === 'cjs' ? '.cjs' : '.mjs' }),
};

export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts', 'compat/cockatiel': 'src/compat/cockatiel/index.ts' } },
  // opossum's module is the class itself: `module.exports = CircuitBreaker` for require().
  { ...shared, entry: { 'compat/opossum': 'src/compat/opossum/index.ts' }, cjsInterop: true, splitting: true },
]);
