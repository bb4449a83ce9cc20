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
  // Self-contained entries (no shared chunks): importing one with a query string gives a fresh
  // instance, which the benchmarks and thread tests use to load both cores in one process.
  { ...shared, entry: { index: 'src/index.ts', 'compat/cockatiel': 'src/compat/cockatiel/index.ts' }, splitting: false },
  // opossum's module is the class itself: `module.exports = CircuitBreaker` for require(). (tsup's
  // cjsInterop needs its CJS code splitting, which rewrites `?.` into slow helper calls.)
  { ...shared, format: ['esm'], entry: { 'compat/opossum': 'src/compat/opossum/index.ts' } },
  { ...shared, format: ['cjs'], entry: { 'compat/opossum': 'src/compat/opossum/index.ts' }, footer: { js: 'module.exports = module.exports.default;' } },
  // breakwater/chaos (fault injector, and the scenario simulator whose barrel re-exports it) and the
  // CLI's main(), self-contained.
  { ...shared, entry: { chaos: 'src/sim/index.ts', cli: 'src/cli.ts' }, splitting: false },
  // breakwater/adaptive (trainer, ONNX export, predictor, tuner, early warning); self-contained, so
  // its worker-thread trainer is this same file. onnxruntime-node loads only when a model does.
  { ...shared, entry: { 'adaptive/index': 'src/adaptive/index.ts' }, splitting: false },
  // The `breakwater` executable; its shebang comes from src/chaos/bin.ts.
  { ...shared, format: ['cjs'], dts: false, entry: { 'bin/breakwater': 'src/chaos/bin.ts' } },
]);
