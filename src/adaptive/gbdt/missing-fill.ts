import type { TrainingSet } from '../dataset';

/** A column whose missing value (NaN) reads as `value`, in training and in the trees grown. */
export interface MissingFill {
  readonly column: number;
  readonly name: string;
  readonly value: number;
}

/**
 * For each named feature, the median of its present values in `set` (float32, as rows hold it):
 * a row without the feature is then trained and scored as a typical row with it. A feature with
 * no present value at all keeps NaN's learned direction (no fill).
 */
export function medianFills(set: TrainingSet, names: readonly string[]): MissingFill[] {
  const width = set.featureList.features.length;
  const fills: MissingFill[] = [];
  for (const name of names) {
    const column = set.featureList.features.indexOf(name);
    if (column < 0)
      throw new RangeError(
        `breakwater/adaptive: gbdt option missingAsMedian names "${name}", which is not a feature of ${set.featureList.name}@${set.featureList.version}`,
      );
    const present: number[] = [];
    for (let row = 0; row < set.rowCount; row++) {
      const value = set.features[row * width + column];
      if (!Number.isNaN(value)) present.push(value);
    }
    if (present.length === 0) continue;
    present.sort((a, b) => a - b);
    fills.push({ column, name, value: present[(present.length - 1) >> 1] });
  }
  return fills;
}

/** `set` with the missing values of the filled columns replaced (a copy; `set` is unchanged). */
export function withFills(set: TrainingSet, fills: readonly MissingFill[]): TrainingSet {
  if (fills.length === 0) return set;
  const width = set.featureList.features.length;
  const features = Float32Array.from(set.features);
  for (const { column, value } of fills)
    for (let at = column; at < features.length; at += width) if (Number.isNaN(features[at])) features[at] = value;
  return { ...set, features };
}
