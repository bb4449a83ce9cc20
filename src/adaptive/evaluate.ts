import type { TrainingSet } from './dataset';
import { rocAuc } from './classification-metrics';

/** Labelled rows in time order per breaker: what an early warning is evaluated on. */
export interface TimedRows extends TrainingSet {
  /** Seconds from each row to its breaker's next trip (Infinity when none came in the run). */
  readonly secondsToTrip: Float32Array;
  /** Which breaker of which run each row belongs to (rows of a series are in time order). */
  readonly series: Uint32Array;
  /** Each row's virtual time in its run, ms. */
  readonly atMs: Float64Array;
}

/** How a score (a model's probability or a rule's) did on rows it never trained on. */
export interface EarlyWarningEvaluation {
  rows: number;
  positives: number;
  auc: number;
  threshold: number;
  precision: number;
  recall: number;
  /** Trips the score warned about (a row within the horizon before the trip at or above the threshold), of all trips. */
  tripsWarned: number;
  trips: number;
  /** Median seconds between the first warning and the trip, over warned trips; null when none. */
  medianLeadSeconds: number | null;
}

/**
 * Scores held-out rows: AUC, precision and recall at `threshold`, and per trip whether and how early
 * the score warned (its first row at or above the threshold within `horizonSeconds`).
 */
export function evaluateEarlyWarning(
  data: TimedRows,
  probabilities: ArrayLike<number>,
  threshold: number,
  horizonSeconds: number,
): EarlyWarningEvaluation {
  let truePositives = 0;
  let flagged = 0;
  let positives = 0;
  for (let i = 0; i < data.rowCount; i++) {
    const warned = probabilities[i] >= threshold;
    if (warned) flagged++;
    if (data.labels[i] === 1) {
      positives++;
      if (warned) truePositives++;
    }
  }
  // A trip is identified by its series and its time; the lead is from the earliest warning in its horizon.
  const leads = new Map<string, number>();
  for (let i = 0; i < data.rowCount; i++) {
    const toTrip = data.secondsToTrip[i];
    if (!(toTrip <= horizonSeconds)) continue;
    const trip = `${data.series[i]}:${Math.round(data.atMs[i] + toTrip * 1000)}`;
    const lead = leads.get(trip) ?? 0;
    if (probabilities[i] >= threshold && toTrip > lead) leads.set(trip, toTrip);
    else if (!leads.has(trip)) leads.set(trip, 0);
  }
  const warnedLeads = [...leads.values()].filter((lead) => lead > 0).sort((a, b) => a - b);
  return {
    rows: data.rowCount,
    positives,
    auc: rocAuc(data.labels, probabilities),
    threshold,
    precision: flagged > 0 ? truePositives / flagged : 0,
    recall: positives > 0 ? truePositives / positives : 0,
    tripsWarned: warnedLeads.length,
    trips: leads.size,
    medianLeadSeconds: warnedLeads.length > 0 ? warnedLeads[Math.floor(warnedLeads.length / 2)] : null,
  };
}

/**
 * False alarms the early-warning loop would raise on these rows: a crossing of `threshold` (re-armed
 * below `releaseThreshold`, per series) on a row whose breaker did not trip within the horizon, per
 * hour of rows (one row per breaker-second). `include` picks the rows counted (e.g. healthy families).
 */
export function falseAlarmsPerHour(
  data: TimedRows,
  scores: ArrayLike<number>,
  threshold: number,
  releaseThreshold: number,
  include: (row: number) => boolean = () => true,
): { alarms: number; hours: number; perHour: number } {
  const armed = new Map<number, boolean>();
  let alarms = 0;
  let rows = 0;
  for (let i = 0; i < data.rowCount; i++) {
    if (!include(i)) continue;
    rows++;
    const series = data.series[i];
    const score = scores[i];
    if (score < releaseThreshold) armed.set(series, true);
    if (score >= threshold && armed.get(series) !== false) {
      if (data.labels[i] === 0) alarms++;
      armed.set(series, false);
    }
  }
  const hours = rows / 3600;
  return { alarms, hours, perHour: hours > 0 ? alarms / hours : 0 };
}

/**
 * Per band of seconds to the trip (`edgesSeconds`, ascending: bands (0, e0], (e0, e1], ...), the
 * positive rows in it and the share of them at or above `threshold`: how far ahead a score sees.
 */
export function recallByTimeToTrip(
  data: TimedRows,
  scores: ArrayLike<number>,
  threshold: number,
  edgesSeconds: readonly number[],
): { fromSeconds: number; toSeconds: number; rows: number; recall: number }[] {
  return edgesSeconds.map((to, band) => {
    const from = band === 0 ? 0 : edgesSeconds[band - 1];
    let rows = 0;
    let warned = 0;
    for (let i = 0; i < data.rowCount; i++) {
      const toTrip = data.secondsToTrip[i];
      if (data.labels[i] !== 1 || !(toTrip > from && toTrip <= to)) continue;
      rows++;
      if (scores[i] >= threshold) warned++;
    }
    return { fromSeconds: from, toSeconds: to, rows, recall: rows > 0 ? warned / rows : 0 };
  });
}
