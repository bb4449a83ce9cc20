import { rocAuc } from './metrics';
import type { SimulationData } from './simulation-data';

/** How an early-warning model did on simulated rows it never trained on. */
export interface EarlyWarningEvaluation {
  rows: number;
  positives: number;
  auc: number;
  threshold: number;
  precision: number;
  recall: number;
  /** Trips the model warned about (a row within the horizon before the trip at or above the threshold), of all trips. */
  tripsWarned: number;
  trips: number;
  /** Median seconds between the first warning and the trip, over warned trips; null when none. */
  medianLeadSeconds: number | null;
}

/**
 * Scores held-out simulated rows: AUC, precision and recall at `threshold`, and per trip whether and
 * how early the model warned (its first row at or above the threshold within `horizonSeconds`).
 */
export function evaluateEarlyWarning(data: SimulationData, probabilities: ArrayLike<number>, threshold: number, horizonSeconds: number): EarlyWarningEvaluation {
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
 * Pre-opens the early-warning loop would make on these rows (a crossing of `threshold`, re-armed
 * below `releaseThreshold`, per series), per simulated hour of rows (one row per breaker-second).
 */
export function preOpensPerHour(data: SimulationData, probabilities: ArrayLike<number>, threshold: number, releaseThreshold: number): { preOpens: number; hours: number; perHour: number } {
  const armed = new Map<number, boolean>();
  let preOpens = 0;
  for (let i = 0; i < data.rowCount; i++) {
    const series = data.series[i];
    const p = probabilities[i];
    if (p < releaseThreshold) armed.set(series, true);
    if (p >= threshold && armed.get(series) !== false) {
      preOpens++;
      armed.set(series, false);
    }
  }
  const hours = data.rowCount / 3600;
  return { preOpens, hours, perHour: hours > 0 ? preOpens / hours : 0 };
}
