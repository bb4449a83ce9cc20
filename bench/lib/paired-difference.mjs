// The difference two policies make to client success over the same seeds, with its spread.

/**
 * Client success of `treated` against `baseline`, run by run on the same seeds (each run
 * `{ successes, calls }`): the pooled difference in points and the half-width of its 95% interval
 * (a ratio estimator over runs; NaN with one run). A trip moved by a fraction of a second decides
 * whether a probe meets a failure and the breaker reopens with backoff, so a few runs can move a
 * family's figure by a point on that alone.
 */
export function successDifference(baseline, treated) {
  const calls = baseline.reduce((sum, run) => sum + run.calls, 0);
  const gained = treated.map((run, i) => run.successes - baseline[i].successes);
  const pooled = gained.reduce((sum, d) => sum + d, 0) / calls;
  const n = gained.length;
  const spread = gained.reduce((sum, d, i) => sum + (d - pooled * baseline[i].calls) ** 2, 0);
  const halfWidth = n > 1 ? (1.96 * Math.sqrt((n / (n - 1)) * spread)) / calls : NaN;
  return { points: +(100 * pooled).toFixed(2), within: +(100 * halfWidth).toFixed(2) };
}
