// Creates `count` breakers of one library in a fresh process and reports the memory they hold
// (JS heap + external and ArrayBuffer memory, after GC) and the creation rate; then guards one call
// through each and reports the memory again (breakwater takes a breaker's core slot on first use).
// Usage: node --expose-gc lib/memory-child.mjs <library> <count>
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { distDir } from './measure.mjs';

const [library, countText] = process.argv.slice(2);
const count = Number(countText);
const require = createRequire(import.meta.url);
const action = async () => 1;

const factories = {
  breakwater: async () => {
    const { CircuitBreaker } = await import(join(distDir, 'index.mjs'));
    return { create: (i) => new CircuitBreaker({ name: `b${i}` }), call: (b) => b.execute(action) };
  },
  'breakwater (latencyHistogram: false)': async () => {
    const { CircuitBreaker } = await import(join(distDir, 'index.mjs'));
    return {
      create: (i) => new CircuitBreaker({ name: `b${i}`, latencyHistogram: false }),
      call: (b) => b.execute(action),
    };
  },
  // The floor of creation: objects with as many fields as a breaker, made by a literal (what the
  // garbage collector must keep and move, without a constructor's work).
  'floor: a plain object with as many fields as a breaker': async () => {
    const { CircuitBreaker } = await import(join(distDir, 'index.mjs'));
    const fields = Object.keys(new CircuitBreaker({ name: 'probe' }));
    const literal = fields.map((field, k) => `${field}: ${k === 0 ? "'b' + i" : k}`).join(', ');
    return { create: new Function('i', `return { ${literal} };`), call: async () => {} };
  },
  opossum: async () => {
    const Opossum = require('opossum');
    return { create: (i) => new Opossum(action, { name: `b${i}` }), call: (b) => b.fire() };
  },
  cockatiel: async () => {
    const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import('cockatiel');
    return {
      create: () => circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
      call: (b) => b.execute(action),
    };
  },
};

const { create, call } = await factories[library]();
await call(create(-1)); // load and warm the library before measuring
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
const CALLS_IN_FLIGHT = 10_000;
for (let i = 0; i < count; i += CALLS_IN_FLIGHT) await Promise.all(held.slice(i, i + CALLS_IN_FLIGHT).map(call));
const called = used();
const perBreaker = (from, to) => ({
  heapBytes: (to.heap - from.heap) / count,
  outsideBytes: (to.outside - from.outside) / count,
});
const created = perBreaker(before, after);
const afterCall = perBreaker(before, called);
process.stdout.write(
  JSON.stringify({
    library,
    count,
    ...created,
    bytesPerBreaker: created.heapBytes + created.outsideBytes,
    afterOneCall: { ...afterCall, bytesPerBreaker: afterCall.heapBytes + afterCall.outsideBytes },
    createdPerSecond: count / (elapsedMs / 1000),
    elapsedMs,
    held: held.length,
  }) + '\n',
);
process.exit(0); // opossum keeps a timer per breaker alive
