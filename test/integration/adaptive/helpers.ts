import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FeatureList } from '../../../src/features/feature-list';
import type { TrainingSet } from '../../../src/adaptive/dataset';
import { SeededRandom } from '../../../src/random';

export const FEATURES: FeatureList = { name: 'test.synthetic', version: 1, features: ['a', 'b', 'c', 'd', 'e', 'f'] };

/** A standard normal draw from the seeded generator. */
export function gaussian(random: SeededRandom): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/**
 * Rows whose label is drawn from a known probability: sigmoid(signal) with a non-linear signal in
 * a, b, c (d, e, f are noise), so the best possible AUC is the AUC of that probability itself.
 * `sharpness` scales the signal: large is (almost) separable, small is noisy.
 */
export function syntheticSet(
  rows: number,
  seed: number,
  sharpness: number,
  missingShare = 0,
): { set: TrainingSet; truth: Float64Array } {
  const random = new SeededRandom(seed);
  const width = FEATURES.features.length;
  const features = new Float32Array(rows * width);
  const labels = new Uint8Array(rows);
  const truth = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: width }, () => Math.fround(gaussian(random)));
    const signal = sharpness * (x[0] + Math.sin(2 * x[1]) + x[2] * x[0] - 0.3);
    truth[r] = 1 / (1 + Math.exp(-signal));
    labels[r] = random.next() < truth[r] ? 1 : 0;
    for (let f = 0; f < width; f++) features[r * width + f] = random.next() < missingShare ? Number.NaN : x[f];
  }
  return { set: { featureList: FEATURES, features, labels, rowCount: rows }, truth };
}

/** The first `count` rows of a set, and the rest. */
export function split(set: TrainingSet, count: number): [TrainingSet, TrainingSet] {
  const width = set.featureList.features.length;
  return [
    {
      ...set,
      features: set.features.subarray(0, count * width),
      labels: set.labels.subarray(0, count),
      rowCount: count,
    },
    {
      ...set,
      features: set.features.subarray(count * width),
      labels: set.labels.subarray(count),
      rowCount: set.rowCount - count,
    },
  ];
}

/**
 * src/adaptive bundled into one CommonJS file: a worker thread cannot load TypeScript source, so
 * worker tests run this file (and its self-entry).
 */
export function buildAdaptiveBundle(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'breakwater-adaptive-')), 'adaptive.cjs');
  buildSync({
    entryPoints: [resolve(__dirname, '../../../src/adaptive/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    external: ['onnxruntime-node'],
    logLevel: 'error',
  });
  return out;
}
