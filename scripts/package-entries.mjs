// The package's entries: the subpath users import, its CommonJS module in dist/ and the ES module
// wrapper over it. package.json's `exports` lists the same files (the packaging test checks both).
export const PACKAGE_ENTRIES = [
  { subpath: '.', cjs: 'index.js', esm: 'index.mjs' },
  { subpath: './observe', cjs: 'observe/index.js', esm: 'observe/index.mjs' },
  { subpath: './rollout', cjs: 'rollout/index.js', esm: 'rollout/index.mjs' },
  { subpath: './recovery', cjs: 'recovery/index.js', esm: 'recovery/index.mjs' },
  { subpath: './cluster', cjs: 'cluster/index.js', esm: 'cluster/index.mjs' },
  { subpath: './adaptive', cjs: 'adaptive/index.js', esm: 'adaptive/index.mjs' },
  { subpath: './chaos', cjs: 'sim/index.js', esm: 'sim/index.mjs' },
  { subpath: './cockatiel', cjs: 'compat/cockatiel/index.js', esm: 'compat/cockatiel/index.mjs' },
  {
    // opossum's module is the class itself: `module.exports = CircuitBreaker`, typed `export =`.
    subpath: './opossum',
    cjs: 'opossum.js',
    esm: 'opossum.mjs',
    namedExports: false,
    source: "'use strict';\nmodule.exports = require('./compat/opossum/index.js').default;\n",
    declarations: "import { CircuitBreaker } from './compat/opossum/breaker';\nexport = CircuitBreaker;\n",
  },
];
