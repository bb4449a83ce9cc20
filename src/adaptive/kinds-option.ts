import { show } from '../error-message';

/**
 * The `kinds` option of the early warning and the tuner: undefined (every kind) or an array of kind
 * names. Checked when the loop is made: a string would match kinds by substring ('endpoint'.includes),
 * and anything else would fail every round, from a scheduled task no caller sees.
 */
export function kindsOption(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((kind) => typeof kind === 'string' && kind.length > 0))
    throw new TypeError(
      `breakwater/adaptive: option "kinds" must be an array of kind names (e.g. ['endpoint']), got ${show(value)}`,
    );
  return Object.freeze([...value]);
}
