// Comparison mode's rollbacks, on virtual time: how often a new version as good as the old one is
// rolled back (both failing at the same rate), and how often a worse one is (docs/rollout.md).
// 100 seeded rollouts per row, 20 requests/s, default options, up to 3 hours each.
// Usage: npm run bench:rollout-comparison (writes bench/results/rollout-comparison.*)
import { machine, markdownTable, writeResults, distDir } from './lib/measure.mjs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { ManualClock } = require(join(distDir, 'index.js'));
const { RolloutController } = require(join(distDir, 'rollout/index.js'));

const ROLLOUTS = 100;
const REQUESTS_PER_SECOND = 20;
const MAX_SECONDS = 3 * 3600;

/** The outcome of ROLLOUTS rollouts with the old and new versions failing at these rates. */
function rollouts(oldFailing, newFailing, compare) {
  let seed = 1; // the same draws for every row: rows differ only by their rates and the mode
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let rolledBack = 0;
  let complete = 0;
  for (let r = 0; r < ROLLOUTS; r++) {
    const clock = new ManualClock(0);
    const rollout = new RolloutController({ clock, name: `r${r}`, compareWithOldVersion: compare });
    rollout.start();
    for (let s = 0; s < MAX_SECONDS && rollout.status !== 'rolledBack' && rollout.status !== 'complete'; s++) {
      for (let k = 0; k < REQUESTS_PER_SECOND; k++) {
        const usesNew = rollout.shouldUseNewVersion(`u${Math.floor(random() * 1e6)}`);
        rollout.recordExecution(usesNew ? 'new' : 'old', random() >= (usesNew ? newFailing : oldFailing), 50);
      }
      clock.advance(1000);
    }
    if (rollout.status === 'rolledBack') rolledBack++;
    if (rollout.status === 'complete') complete++;
    rollout.dispose();
  }
  return { rolledBack, complete };
}

const rows = [];
for (const [oldFailing, newFailing] of [
  [0.005, 0.005],
  [0.01, 0.01],
  [0.02, 0.02],
  [0.01, 0.08],
  [0.01, 0.1],
]) {
  for (const compare of [false, true]) {
    const { rolledBack, complete } = rollouts(oldFailing, newFailing, compare);
    rows.push({ oldFailing, newFailing, compare, rolledBack, complete, rollouts: ROLLOUTS });
  }
}

const command = 'npm run bench:rollout-comparison';
const markdown = [
  markdownTable(
    rows.map((row) => ({
      'old version fails': `${row.oldFailing * 100}%`,
      'new version fails': `${row.newFailing * 100}%`,
      comparison: row.compare ? 'on' : 'off',
      'rolled back': `${row.rolledBack}/${row.rollouts}`,
      'reached FULL': `${row.complete}/${row.rollouts}`,
    })),
  ),
  '',
  `${new Date().toISOString().slice(0, 10)}, ${machine().cpu}, \`${command}\` (${ROLLOUTS} seeded rollouts per row, ${REQUESTS_PER_SECOND} requests/s, default options, up to 3 hours of virtual time).`,
].join('\n');
writeResults('rollout-comparison', { command, machine: machine(), rows }, markdown);
console.log(markdown);
