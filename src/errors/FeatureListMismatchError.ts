import type { FeatureList } from '../features/feature-list';

/** Rows laid out by one feature list offered to a model trained on another. */
export class FeatureListMismatchError extends Error {
  override readonly name = 'FeatureListMismatchError';
  constructor(
    readonly expected: FeatureList,
    readonly actual: FeatureList,
    reason: string,
  ) {
    super(`breakwater: the model cannot score these rows: ${reason}`);
  }
}
