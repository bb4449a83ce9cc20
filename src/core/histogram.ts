import { HISTOGRAM_BINS } from './layout';

/**
 * Log-scale latency bins: exact below 4 us, then four linear sub-bins per power of two, so a bin
 * spans at most 25% of its value and a midpoint estimate is within ~11%. The last bin (from ~117 s)
 * catches everything larger.
 */
export function histogramBin(latencyUs: number): number {
  const v = Math.floor(latencyUs);
  if (v < 4) return v;
  if (v >= 2 ** 27) return HISTOGRAM_BINS - 1;
  const octave = 31 - Math.clz32(v);
  return Math.min(HISTOGRAM_BINS - 1, 4 * (octave - 1) + ((v >>> (octave - 2)) & 3));
}

/** Lower bound, in microseconds, of bin i (binLow(i + 1) is its upper bound). */
export function binLow(bin: number): number {
  if (bin < 4) return bin;
  return (4 + (bin % 4)) * 2 ** (Math.floor(bin / 4) - 1);
}

/** The q-quantile of a histogram as its bin's midpoint, NaN when the histogram is empty. */
export function percentile(histogram: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) total += histogram[i];
  if (total === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let cumulative = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) {
    cumulative += histogram[i];
    if (cumulative >= rank) return (binLow(i) + binLow(i + 1)) / 2;
  }
  return NaN;
}
