// How far an AUC measured on a few runs can be trusted: a bootstrap over runs.

/**
 * The 95% interval of each score's AUC and of the first score's lead over the best of the others,
 * resampling whole runs (`rows.series`) with replacement: a run's seconds are not independent draws,
 * and a handful of runs decide how many trips a family has. `scores[0]` is the one compared with the
 * rivals; the best rival is the one with the highest AUC on every row. Returns
 * `{ intervals: [[low, high], ...], lead: { points, low, high } }`; `random()` gives uniform draws.
 * `rivals` (indices into `scores`) limits the comparison to some of the rest, say the rules.
 */
export function aucIntervals(
  rows,
  scores,
  rocAuc,
  random,
  { rivals = scores.map((_, i) => i).slice(1), resamples = 400 } = {},
) {
  const runs = new Map();
  for (let row = 0; row < rows.rowCount; row++) {
    const run = rows.series[row];
    if (!runs.has(run)) runs.set(run, []);
    runs.get(run).push(row);
  }
  const members = [...runs.values()];
  const full = scores.map((s) => rocAuc(rows.labels, s));
  const rival = rivals.reduce((best, i) => (full[i] > full[best] ? i : best));
  const samples = scores.map(() => []);
  const leads = [];
  while (leads.length < resamples) {
    const picked = [];
    for (let i = 0; i < members.length; i++) picked.push(...members[Math.floor(random() * members.length)]);
    const labels = picked.map((row) => rows.labels[row]);
    // A resample whose runs hold no trip (or nothing but trips) has no AUC; it is drawn again.
    if (!labels.includes(0) || !labels.includes(1)) continue;
    const aucs = scores.map((s) =>
      rocAuc(
        labels,
        picked.map((row) => s[row]),
      ),
    );
    aucs.forEach((auc, i) => samples[i].push(auc));
    leads.push(aucs[0] - aucs[rival]);
  }
  return {
    intervals: samples.map((values) => [quantile(values, 0.025), quantile(values, 0.975)]),
    lead: { points: full[0] - full[rival], low: quantile(leads, 0.025), high: quantile(leads, 0.975) },
  };
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
