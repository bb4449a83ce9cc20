// Creates `count` breakers of one library in a fresh process and reports the memory they hold
// (JS heap + external and ArrayBuffer memory, after GC) and the creation rate.
// Usage: node --expose-gc lib/memory-child.mjs <library> <count>
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { distDir } from './measure.mjs';

const [library, countText] = process.argv.slice(2);
const count = Number(countText);
const require = createRequire(import.meta.url);

const factories = {
  breakwater: async () => {
    const { CircuitBreaker } = await import(join(distDir, 'index.mjs'));
    return (i) => new CircuitBreaker({ name: `b${i}` });
  },
  opossum: async () => {
    const Opossum = require('opossum');
    const action = async () => 1;
    return (i) => new Opossum(action, { name: `b${i}` });
  },
  cockatiel: async () => {
    const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import('cockatiel');
    return () => circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  },
};

const create = await factories[library]();
create(-1); // load and warm the library before measuring
const held = [];
// The JS heap, and memory outside it: SharedArrayBuffers show in arrayBuffers, addon memory in external.
const used = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, outside: Math.max(m.external, m.arrayBuffers) };
};
const before = used();
const start = performance.now();
for (let i = 0; i < count; i++) held.push(create(i));
const elapsedMs = performance.now() - start;
const after = used();
const heap = (after.heap - before.heap) / count;
const outside = (after.outside - before.outside) / count;
process.stdout.write(JSON.stringify({ library, count, heapBytes: heap, outsideBytes: outside, bytesPerBreaker: heap + outside, createdPerSecond: count / (elapsedMs / 1000), elapsedMs, held: held.length }) + '\n');
process.exit(0); // opossum keeps a timer per breaker alive
