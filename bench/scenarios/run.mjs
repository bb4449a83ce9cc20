// The scenario benchmark: the full suite (every scenario under every policy, on virtual time),
// then the grounding runs (two scenarios for real over HTTP on 127.0.0.1, against the simulator).
//   npm run build:ts && node bench/scenarios/run.mjs [breakwater simulate flags, e.g. --seed 2]
// Writes bench/results/scenarios/: scenarios.json/.md, one SVG per scenario, recovery-time.svg,
// grounding.json/.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { main } = require(join(root, 'dist', 'cli', 'index.js'));
const { runGrounding, GROUNDING_TOLERANCE } = require(join(root, 'dist', 'sim', 'index.js'));

const flags = process.argv.slice(2);
const code = await main(
  ['simulate', ...(flags.includes('--quick') ? [] : ['--full']), '--out', 'bench/results/scenarios', ...flags],
  {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    cwd: root,
  },
);
if (code !== 0) process.exit(code);

const seedIndex = flags.indexOf('--seed');
const seed = seedIndex >= 0 ? Number(flags[seedIndex + 1]) : 1;
console.log(
  `\ngrounding: hard-outage and latency-creep for real (HTTP on 127.0.0.1, fetch, 14 s each, run at once), seed ${seed}`,
);
const rows = await runGrounding(seed);
const percent = (v) => `${(v * 100).toFixed(1)}%`;
const lines = [
  '| scenario | policy | requests (sim / real) | success rate, simulated | success rate, real | wasted, simulated | wasted, real | agree |',
  '|---|---|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.policy} | ${r.simulated.requests} / ${r.real.requests} | ${percent(r.simulated.successRate)} | ${percent(r.real.successRate)} | ${r.simulated.wastedCalls} | ${r.real.wastedCalls} | ${r.agrees ? 'yes' : '**no**'} |`,
  ),
];
const tolerance = `Tolerance: success rates within ${GROUNDING_TOLERANCE.successRate * 100} points; wasted calls within ${GROUNDING_TOLERANCE.wastedShare * 100}% of the larger count or ${GROUNDING_TOLERANCE.wastedCalls} calls.`;
const environment = `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model.trim()}, ${cpus().length} cores, Node ${process.version}`;
console.log(`${lines.join('\n')}\n${tolerance}`);
const out = join(root, 'bench', 'results', 'scenarios');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'grounding.json'),
  `${JSON.stringify({ seed, environment, tolerance: GROUNDING_TOLERANCE, rows }, null, 1)}\n`,
);
writeFileSync(
  join(out, 'grounding.md'),
  `# Grounding: the simulator against real I/O\n\n\`node bench/scenarios/run.mjs\`, seed ${seed} (${environment}).\n\n${lines.join('\n')}\n\n${tolerance}\n`,
);
process.exit(rows.every((r) => r.agrees) ? 0 : 1);
