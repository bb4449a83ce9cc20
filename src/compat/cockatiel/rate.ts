const bits = new Float64Array(1);
const word = new BigInt64Array(bits.buffer);

/**
 * The core's failureRateThreshold for cockatiel's "more than `threshold`": the core trips when
 * `failures / total >= fraction`, cockatiel when `failures > threshold * total`, so the core gets
 * the next double above the threshold, which makes its test `failures / total > threshold`.
 */
export function strictlyAbove(threshold: number): number {
  bits[0] = threshold;
  word[0] += 1n; // threshold is in (0, 1): the next bit pattern is the next double up
  return bits[0];
}

/**
 * The same rule as the core's, for the windows the compat layer answers itself (see
 * docs/cockatiel-compat.md): at least `minimumCalls` calls and a failure rate above `threshold`.
 */
export function exceeds(failures: number, successes: number, minimumCalls: number, threshold: number): boolean {
  const total = failures + successes;
  return total > 0 && total >= minimumCalls && failures / total > threshold;
}
