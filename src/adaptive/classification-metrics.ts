/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative,
 * ties counting one half (the rank-sum form, so it is exact and O(n log n)).
 * Throws a RangeError when one class is absent, since the AUC is then undefined.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  if (scores.length !== n)
    throw new RangeError(
      `breakwater/adaptive: rocAuc needs one score per label, got ${scores.length} scores for ${n} labels`,
    );
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]] === scores[order[start]]) end++;
    // Tied scores share the mean of their ranks (1-based).
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += meanRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0)
    throw new RangeError('breakwater/adaptive: rocAuc needs both positive and negative labels');
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary log-loss of probabilities, clipped away from 0 and 1 so one sure miss stays finite. */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i], 1e-15), 1 - 1e-15);
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

/**
 * The largest recall any threshold reaches with precision at least `precision` (rows at or above
 * the threshold are flagged), and the highest threshold that reaches it; recall 0 and threshold
 * Infinity when no threshold keeps that precision. Whether a precision/recall target is within
 * reach of a score at all, whatever threshold acts on it.
 */
export function bestRecallAtPrecision(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  precision: number,
): { recall: number; threshold: number } {
  const n = labels.length;
  if (scores.length !== n)
    throw new RangeError(
      `breakwater/adaptive: bestRecallAtPrecision needs one score per label, got ${scores.length} scores for ${n} labels`,
    );
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let best = { recall: 0, threshold: Number.POSITIVE_INFINITY };
  let flagged = 0;
  let caught = 0;
  for (let k = 0; k < n; k++) {
    flagged++;
    if (labels[order[k]] === 1) caught++;
    // A threshold flags every row of a tied score, so only the end of a run of ties is one.
    if (k + 1 < n && scores[order[k + 1]] === scores[order[k]]) continue;
    const recall = positives > 0 ? caught / positives : 0;
    if (caught / flagged >= precision && recall > best.recall) best = { recall, threshold: scores[order[k]] };
  }
  return best;
}
