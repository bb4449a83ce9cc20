/**
 * The versioned list of features a model was trained on. It travels inside every exported model
 * (ModelProto.metadata_props), so a model never scores a row laid out differently from the rows it
 * learned from: whoever fills a feature row (the core's feature extractor, the event-history
 * loader, a user's own code) names its layout with one of these.
 */
export interface FeatureList {
  /** The layout's name, e.g. `breakwater.core`. */
  readonly name: string;
  /** Bumped whenever the meaning or order of a feature changes. A positive integer. */
  readonly version: number;
  /** Feature names, in column order. Unique, non-empty. */
  readonly features: readonly string[];
}

/** Checks a feature list's shape; throws a TypeError naming `what` and the broken field. */
export function validateFeatureList(list: unknown, what = 'featureList'): FeatureList {
  if (typeof list !== 'object' || list === null)
    throw new TypeError(
      `breakwater: ${what} must be an object { name, version, features }, got ${list === null ? 'null' : typeof list}`,
    );
  const { name, version, features } = list as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`breakwater: ${what}.name must be a non-empty string`);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new TypeError(`breakwater: ${what}.version must be a positive integer, got ${String(version)}`);
  if (!Array.isArray(features) || features.length === 0)
    throw new TypeError(`breakwater: ${what}.features must be a non-empty array of names`);
  const seen = new Set<string>();
  for (const [index, feature] of features.entries()) {
    if (typeof feature !== 'string' || feature.length === 0)
      throw new TypeError(`breakwater: ${what}.features[${index}] must be a non-empty string`);
    if (seen.has(feature)) throw new TypeError(`breakwater: ${what}.features has "${feature}" twice`);
    seen.add(feature);
  }
  return { name, version, features: [...features] as string[] };
}

/** A short human-readable id, e.g. `breakwater.core@3 (24 features)`. */
export function describeFeatureList(list: FeatureList): string {
  return `${list.name}@${list.version} (${list.features.length} features)`;
}

/**
 * Why `actual` cannot be scored by a model trained on `expected`, or undefined when they match.
 * Name, version and every column (in order) must agree.
 */
export function featureListMismatch(expected: FeatureList, actual: FeatureList): string | undefined {
  if (expected.name !== actual.name || expected.version !== actual.version) {
    return `the model was trained on ${describeFeatureList(expected)}, the rows are ${describeFeatureList(actual)}`;
  }
  if (expected.features.length !== actual.features.length) {
    return `the model expects ${expected.features.length} features, the rows have ${actual.features.length}`;
  }
  const column = expected.features.findIndex((feature, index) => feature !== actual.features[index]);
  if (column >= 0)
    return `column ${column} is "${expected.features[column]}" in the model but "${actual.features[column]}" in the rows`;
  return undefined;
}
