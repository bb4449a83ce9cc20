import { validateFeatureList, type FeatureList } from '../features/feature-list';

/**
 * Labelled rows for the trainer: a row-major Float32Array (one row per observation, one column per
 * feature of `featureList`, NaN for a missing value) and one 0/1 label per row.
 */
export interface TrainingSet {
  readonly featureList: FeatureList;
  /** rowCount × featureList.features.length values, row after row. */
  readonly features: Float32Array;
  /** 1 = the event happened (the breaker's failure rate crossed its threshold), 0 = it did not. */
  readonly labels: Uint8Array;
  readonly rowCount: number;
}

/** Checks a training set's shape and labels; throws a TypeError/RangeError naming `what`. */
export function validateTrainingSet(set: unknown, what = 'training set'): TrainingSet {
  if (typeof set !== 'object' || set === null)
    throw new TypeError(`breakwater/adaptive: ${what} must be an object { featureList, features, labels, rowCount }`);
  const { featureList, features, labels, rowCount } = set as Record<string, unknown>;
  const list = validateFeatureList(featureList, `${what}.featureList`);
  if (!(features instanceof Float32Array))
    throw new TypeError(`breakwater/adaptive: ${what}.features must be a Float32Array`);
  if (!(labels instanceof Uint8Array))
    throw new TypeError(`breakwater/adaptive: ${what}.labels must be a Uint8Array of 0/1`);
  if (typeof rowCount !== 'number' || !Number.isInteger(rowCount) || rowCount < 0)
    throw new TypeError(`breakwater/adaptive: ${what}.rowCount must be a non-negative integer`);
  const width = list.features.length;
  if (features.length !== rowCount * width)
    throw new RangeError(
      `breakwater/adaptive: ${what}.features has ${features.length} values, expected rowCount × features = ${rowCount} × ${width}`,
    );
  if (labels.length !== rowCount)
    throw new RangeError(
      `breakwater/adaptive: ${what}.labels has ${labels.length} labels, expected one per row (${rowCount})`,
    );
  const bad = labels.findIndex((label) => label > 1);
  if (bad >= 0) throw new RangeError(`breakwater/adaptive: ${what}.labels[${bad}] is ${labels[bad]}, expected 0 or 1`);
  return { featureList: list, features, labels, rowCount };
}

/**
 * Builds a training set from plain arrays: `rows[i]` holds one value per feature (null, undefined
 * or NaN for a missing one) and `labels[i]` is 0/1 or false/true.
 */
export function trainingSetFromRows(
  featureList: FeatureList,
  rows: ReadonlyArray<ArrayLike<number | null | undefined>>,
  labels: ArrayLike<number | boolean>,
): TrainingSet {
  const list = validateFeatureList(featureList);
  if (!Array.isArray(rows)) throw new TypeError('breakwater/adaptive: rows must be an array of feature rows');
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number')
    throw new TypeError('breakwater/adaptive: labels must be an array of 0/1');
  if (labels.length !== rows.length)
    throw new RangeError(`breakwater/adaptive: got ${labels.length} labels for ${rows.length} rows`);
  const width = list.features.length;
  const features = new Float32Array(rows.length * width);
  const out = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || row.length !== width) {
      throw new RangeError(
        `breakwater/adaptive: rows[${i}] must hold ${width} values (${list.name}@${list.version}), got ${row?.length ?? typeof row}`,
      );
    }
    for (let f = 0; f < width; f++) {
      const value = row[f];
      if (value !== null && value !== undefined && typeof value !== 'number')
        throw new TypeError(`breakwater/adaptive: rows[${i}][${f}] (${list.features[f]}) must be a number or null`);
      features[i * width + f] = value ?? Number.NaN;
    }
    const label = labels[i];
    if (label !== 0 && label !== 1 && label !== true && label !== false)
      throw new RangeError(`breakwater/adaptive: labels[${i}] must be 0, 1, false or true, got ${String(label)}`);
    out[i] = label === true || label === 1 ? 1 : 0;
  });
  return { featureList: list, features, labels: out, rowCount: rows.length };
}

/** The rows at `indices` of `set`, as a new training set (used for the validation split). */
export function selectRows(set: TrainingSet, indices: ArrayLike<number>): TrainingSet {
  const width = set.featureList.features.length;
  const features = new Float32Array(indices.length * width);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    features.set(set.features.subarray(row * width, (row + 1) * width), i * width);
    labels[i] = set.labels[row];
  }
  return { featureList: set.featureList, features, labels, rowCount: indices.length };
}
