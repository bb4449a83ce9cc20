import { show } from '../error-message';

/**
 * The `kinds` option of the early warning and the tuner: undefined (every kind) or a non-empty
 * array of kind names. Checked when the loop is made: a string would match kinds by substring
 * ('endpoint'.includes), anything else would fail every round, from a scheduled task no caller
 * sees, and an empty list would score or tune nothing, silently.
 */
export function kindsOption(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((kind) => typeof kind === 'string' && kind.length > 0))
    throw new TypeError(
      `breakwater/adaptive: option "kinds" must be an array of kind names (e.g. ['endpoint']), got ${show(value)}`,
    );
  if (value.length === 0)
    throw new RangeError(
      'breakwater/adaptive: option "kinds" must name at least one kind (leave it out for every kind), got []',
    );
  return Object.freeze([...value]);
}
