/**
 * The upper tail of a binomial distribution, P(X >= k) for X ~ Binomial(n, p), read only as far as
 * a test against `bound` needs: the sum stops once it passes the bound (the answer is then
 * "above"), or once what is left cannot reach it. A few terms either way, whatever n is.
 */

/** Lanczos coefficients (g = 7, 9 terms): log-gamma to about 15 significant digits. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log(Gamma(x)) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let series = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

/**
 * Whether P(X >= k) <= bound for X ~ Binomial(n, p), 0 < p < 1, 0 < bound < 1/2 (k and n whole,
 * 0 <= k <= n). At or below the mean the tail holds the median, so at least a half: above the
 * bound. Above it each term is smaller than the one before by at least the ratio of the next, so
 * the terms left sum to less than term x ratio / (1 - ratio): below the bound's margin, the answer
 * cannot change (and the largest term, k's, underflowing to 0 means the whole tail does).
 */
export function upperTailAtMost(k: number, n: number, p: number, bound: number): boolean {
  if (k > n) return true;
  if (k <= Math.floor(n * p)) return false;
  const odds = p / (1 - p);
  let term = Math.exp(
    logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p),
  );
  let sum = 0;
  for (let j = k; j <= n; j++) {
    sum += term;
    if (sum > bound) return false;
    const ratio = ((n - j) / (j + 1)) * odds;
    term *= ratio;
    if (sum + term / (1 - ratio) <= bound) return true;
  }
  return true;
}
