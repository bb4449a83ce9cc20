// The unseen families' runs again under fixed breaker configurations, from the library's defaults
// to long windows and low thresholds: how the scores rank trips whatever a user configured.
import { join } from 'node:path';
import { distDir } from './measure.mjs';
import { collectRows } from './unseen-rows.mjs';

const { RULE_BASELINES, evaluateEarlyWarning } = await import(join(distDir, 'adaptive/index.mjs'));

/** Configurations that replace the drawn rules and windows (timeouts and slow-call rules stay drawn). */
export const CONFIGURATIONS = [
  {
    label: "the library's defaults: 5 failures in a row, no rate rule, 10 s",
    options: {
      failureRateThreshold: 0,
      failureThreshold: 5,
      minimumCalls: 10,
      slidingWindowType: 'time',
      slidingWindowSize: 10_000,
    },
  },
  {
    label: '50% over 10 s, minimumCalls 10, no consecutive rule',
    options: {
      failureRateThreshold: 50,
      failureThreshold: 0,
      minimumCalls: 10,
      slidingWindowType: 'time',
      slidingWindowSize: 10_000,
    },
  },
  {
    label: '50% over 60 s, minimumCalls 20, no consecutive rule',
    options: {
      failureRateThreshold: 50,
      failureThreshold: 0,
      minimumCalls: 20,
      slidingWindowType: 'time',
      slidingWindowSize: 60_000,
    },
  },
  {
    label: '25% over 30 s, minimumCalls 50, no consecutive rule',
    options: {
      failureRateThreshold: 25,
      failureThreshold: 0,
      minimumCalls: 50,
      slidingWindowType: 'time',
      slidingWindowSize: 30_000,
    },
  },
  {
    label: '50% over the last 50 calls, minimumCalls 10, no consecutive rule',
    options: {
      failureRateThreshold: 50,
      failureThreshold: 0,
      minimumCalls: 10,
      slidingWindowType: 'count',
      slidingWindowSize: 50,
    },
  },
];

/**
 * Per configuration, each model (`{ name, score(features, width) }`, at `threshold`) and each rule
 * baseline (at 1) on the same rows: AUC, precision and recall at its threshold, trips warned
 * (`shortName` gives each score's name in the table).
 */
export async function configurationRows({
  models,
  families,
  runs,
  seedOf,
  horizonSeconds,
  threshold,
  width,
  shortName,
}) {
  const table = [];
  for (const { label, options } of CONFIGURATIONS) {
    const { data } = await collectRows(families, runs, seedOf, horizonSeconds, options);
    const scored = [
      ...(await Promise.all(
        models.map(async (m) => ({ name: m.name, scores: await m.score(data.features, width), threshold })),
      )),
      ...RULE_BASELINES.map((rule) => ({ name: rule.name, scores: rule.scores(data), threshold: 1 })),
    ];
    for (const { name, scores, threshold: at } of scored) {
      const e = evaluateEarlyWarning(data, scores, at, horizonSeconds);
      table.push({
        configuration: label,
        score: shortName(name),
        auc: +e.auc.toFixed(3),
        precision: +e.precision.toFixed(3),
        recall: +e.recall.toFixed(3),
        tripsWarned: `${e.tripsWarned}/${e.trips}`,
      });
    }
  }
  return table;
}
