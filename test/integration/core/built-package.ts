import { createRequire } from 'node:module';
import { resolve, sep } from 'node:path';
import { expect } from 'vitest';

const dist = resolve(__dirname, '../../../dist');
/** The built package's ES module entry, which worker fixtures import. */
export const builtEntry = resolve(dist, 'index.mjs');
const requireDist = createRequire(builtEntry);

/** The built package on one core: its CommonJS modules, loaded afresh (every entry shares one module graph). */
export function loadBuilt(core: 'native' | 'reference'): typeof import('../../../src/index') {
  process.env.BREAKWATER_NATIVE = core === 'native' ? '1' : '0';
  for (const key of Object.keys(requireDist.cache)) if (key.startsWith(dist + sep)) delete requireDist.cache[key];
  const breakwater = requireDist(resolve(dist, 'index.js')) as typeof import('../../../src/index');
  expect(breakwater.coreKind).toBe(core);
  return breakwater;
}
