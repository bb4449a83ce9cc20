// Memory and creation cost of 10^5 and 10^6 breakers, each library in a fresh process.
// Usage: npm run bench, or npm run bench:memory alone (writes bench/results/memory.json and .md)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { benchDir, distDir, machine, markdownTable, writeResults } from './lib/measure.mjs';

// The slot sizes the footnote gives, from the layout itself (a literal there went stale once).
const { SLOT_FIXED_BYTES, HISTOGRAM_BINS, bucketBytesFor } = createRequire(import.meta.url)(
  join(distDir, 'core/layout.js'),
);

const COUNTS = (process.env.BENCH_MEMORY_COUNTS ?? '100000,1000000').split(',').map(Number);
const LIBRARIES = [
  'breakwater',
  'breakwater (latencyHistogram: false)',
  'floor: a plain object with as many fields as a breaker',
  'opossum',
  'cockatiel',
];

const results = [];
for (const count of COUNTS) {
  for (const library of LIBRARIES) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=16384', join(benchDir, 'lib/memory-child.mjs'), library, String(count)],
      { encoding: 'utf8', timeout: 600_000 },
    );
    results.push(JSON.parse(out));
  }
}
const rows = results.map((r) => ({
  library: r.library,
  breakers: r.count.toLocaleString('en'),
  'bytes/breaker': Math.round(r.bytesPerBreaker),
  'JS heap': Math.round(r.heapBytes),
  'outside the heap': Math.round(r.outsideBytes),
  'bytes/breaker after one call': Math.round(r.afterOneCall.bytesPerBreaker),
  'after one call: JS heap': Math.round(r.afterOneCall.heapBytes),
  'after one call: outside the heap': Math.round(r.afterOneCall.outsideBytes),
  'created/s': Math.round(r.createdPerSecond).toLocaleString('en'),
  'seconds to create': +(r.elapsedMs / 1000).toFixed(2),
}));
const facts = machine();
console.table(rows);
writeResults(
  'memory',
  { machine: facts, results },
  [
    markdownTable(rows),
    '',
    `Targets: <= 512 bytes per breaker; 10^6 breakers created in under a second. A breakwater breaker takes its core slot (${SLOT_FIXED_BYTES} B + ${bucketBytesFor(HISTOGRAM_BINS)} B per window bucket, or + ${bucketBytesFor(0)} B without latency histograms) on its first call, so the columns after one call count it (outside the heap: its core slot, and its share of arenas that grow in chunks).`,
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench:memory\`, part of \`npm run bench\` (each row a fresh process; memory after two full GCs: JS heap plus SharedArrayBuffer/external memory).`,
  ].join('\n'),
);
