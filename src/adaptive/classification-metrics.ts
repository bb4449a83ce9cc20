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
