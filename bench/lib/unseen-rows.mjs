// The labelled feature rows of static runs of the unseen families, as a data set the evaluation
// helpers read (one series per run; a row is positive when the breaker tripped within the horizon).
import { join } from 'node:path';
import { distDir } from './measure.mjs';
import { playRun } from './unseen-runs.mjs';

const { CORE_FEATURES } = await import(join(distDir, 'adaptive/index.mjs'));

/**
 * Plays `runs` static runs of every family (seeds from `seedOf(family, run)`, breaker options
 * `overrides` replaced) and returns `collected` (each row, its series, family, and each trip with
 * its run and kind) and `data`, the rows as a CORE_FEATURES data set.
 */
export async function collectRows(families, runs, seedOf, horizonSeconds, overrides = {}) {
  const collected = { rows: [], series: [], family: [], trips: [] };
  let series = 0;
  for (const [index, family] of families.entries()) {
    for (let run = 0; run < runs; run++) {
      const outcome = await playRun(family, seedOf(index, run), undefined, overrides);
      for (const row of outcome.rows) {
        collected.rows.push(row);
        collected.series.push(series);
        collected.family.push(index);
      }
      for (const trip of outcome.trips) collected.trips.push({ ...trip, series, kind: family.kind });
      series++;
    }
  }
  const width = CORE_FEATURES.features.length;
  const n = collected.rows.length;
  const data = {
    featureList: CORE_FEATURES,
    features: new Float32Array(n * width),
    labels: new Uint8Array(n),
    rowCount: n,
    secondsToTrip: new Float32Array(n),
    series: Uint32Array.from(collected.series),
    atMs: new Float64Array(n),
  };
  collected.rows.forEach((r, i) => {
    data.features.set(r.row, i * width);
    data.secondsToTrip[i] = r.secondsToTrip;
    data.labels[i] = r.secondsToTrip <= horizonSeconds ? 1 : 0;
    data.atMs[i] = r.atMs;
  });
  return { collected, data };
}
