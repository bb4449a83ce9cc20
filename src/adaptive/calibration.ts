import type { GbdtModel } from './gbdt/model';
import { predictRaw, sigmoid } from './gbdt/model';

/** Platt scaling: P = sigmoid(slope * raw + intercept). */
export interface PlattScaling {
  readonly slope: number;
  readonly intercept: number;
}

/**
 * Fits Platt scaling to raw scores (log-odds) of rows the trees never trained on, by Newton steps on
 * the log-loss, with Platt's smoothed targets so a clean split cannot push the slope to infinity.
 */
export function fitPlatt(raw: ArrayLike<number>, labels: ArrayLike<number>): PlattScaling {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const negatives = labels.length - positives;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  let slope = 1;
  let intercept = 0;
  for (let step = 0; step < 50; step++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < raw.length; i++) {
      const p = sigmoid(slope * raw[i] + intercept);
      const d = p - (labels[i] === 1 ? high : low);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += d * raw[i];
      gb += d;
      haa += w * raw[i] * raw[i];
      hab += w * raw[i];
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    slope -= da;
    intercept -= db;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) break;
  }
  return { slope, intercept };
}

/**
 * The model with Platt scaling folded in: every leaf times the slope, the base score mapped too. The
 * ensemble's form (and its ONNX export) stays the same; a positive slope keeps it monotone.
 */
export function calibrated(model: GbdtModel, scaling: PlattScaling): GbdtModel {
  if (!(scaling.slope > 0))
    throw new RangeError(
      `breakwater/adaptive: a calibration slope must be > 0 (it would reverse the model), got ${scaling.slope}`,
    );
  return {
    ...model,
    baseScore: Math.fround(scaling.slope * model.baseScore + scaling.intercept),
    trees: model.trees.map((tree) => ({
      nodes: tree.nodes.map((node) =>
        node.kind === 'leaf' ? { kind: 'leaf', value: Math.fround(node.value * scaling.slope) } : node,
      ),
    })),
  };
}

/** Calibrates a model on rows it never trained on. */
export function calibrate(
  model: GbdtModel,
  features: Float32Array,
  labels: ArrayLike<number>,
): { model: GbdtModel; scaling: PlattScaling } {
  const scaling = fitPlatt(predictRaw(model, features), labels);
  return { model: calibrated(model, scaling), scaling };
}

/** One bin of a reliability table: predicted probability against the observed positive rate. */
export interface ReliabilityBin {
  readonly from: number;
  readonly to: number;
  readonly rows: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

/** Predicted vs observed rate in `bins` equal-width probability bins (empty bins left out). */
export function reliabilityTable(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): ReliabilityBin[] {
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const bin = Math.min(bins - 1, Math.floor(probabilities[i] * bins));
    count[bin]++;
    predicted[bin] += probabilities[i];
    observed[bin] += labels[i];
  }
  const table: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    table.push({
      from: b / bins,
      to: (b + 1) / bins,
      rows: count[b],
      meanPredicted: predicted[b] / count[b],
      observedRate: observed[b] / count[b],
    });
  }
  return table;
}
