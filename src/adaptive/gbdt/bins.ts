import type { SeededRandom } from '../../random';

/** The bin code of a missing value (NaN); value bins are 0..edges.length. */
export const MISSING_BIN = 255;

/** Values sampled per feature to place the bin edges (as scikit-learn does): enough for quantiles. */
const SAMPLE_FOR_EDGES = 200_000;

/** A float32 threshold t with a <= t < b, as near the middle as float32 allows. */
function edgeBetween(a: number, b: number): number {
  const middle = Math.fround((a + b) / 2);
  return middle >= b ? a : middle;
}

/**
 * Bin edges of one feature: at most maxBins - 1 float32 thresholds, ascending. With few distinct
 * values every gap between them is an edge; otherwise the edges sit at quantiles, so each bin
 * holds about the same number of rows.
 */
export function featureEdges(values: Float32Array, maxBins: number): number[] {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort();
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) edges.push(edgeBetween(distinct[i - 1], distinct[i]));
    return edges;
  }
  let d = 0; // index into distinct of the value at the current quantile
  for (let k = 1; k < maxBins; k++) {
    const atQuantile = sorted[Math.floor((k / maxBins) * (sorted.length - 1))];
    while (distinct[d] < atQuantile) d++;
    if (d + 1 >= distinct.length) break;
    const edge = edgeBetween(distinct[d], distinct[d + 1]);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** The bin of a value: the first edge it does not exceed, edges.length above them all, MISSING_BIN for NaN. */
export function binOf(edges: readonly number[], x: number): number {
  if (Number.isNaN(x)) return MISSING_BIN;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Edges of every feature, from a seeded sample of at most 200,000 rows. */
export function fitEdges(
  features: Float32Array,
  rows: number,
  width: number,
  maxBins: number,
  random: SeededRandom,
): number[][] {
  let sample = Uint32Array.from({ length: rows }, (_, i) => i);
  if (rows > SAMPLE_FOR_EDGES) {
    random.sampleInPlace(sample, SAMPLE_FOR_EDGES);
    sample = sample.slice(0, SAMPLE_FOR_EDGES);
  }
  const column = new Float32Array(sample.length);
  const edges: number[][] = [];
  for (let f = 0; f < width; f++) {
    for (let i = 0; i < sample.length; i++) column[i] = features[sample[i] * width + f];
    edges.push(featureEdges(column, maxBins));
  }
  return edges;
}

/** The binned data, one Uint8Array column per feature (column-major: histograms scan one feature at a time). */
export function binColumns(features: Float32Array, rows: number, edges: readonly number[][]): Uint8Array[] {
  const width = edges.length;
  return edges.map((featureEdges, f) => {
    const column = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) column[r] = binOf(featureEdges, features[r * width + f]);
    return column;
  });
}
