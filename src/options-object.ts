import { show } from './error-message';

/**
 * `options` when it is an object, {} when left out; anything else gets a TypeError that starts with
 * `what` (the wing's prefix and the argument: "breakwater: retry options").
 */
export function optionsObject<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${what} must be an object, got ${show(options)}`);
  return options;
}

/**
 * optionsObject(), refusing a key that is not one of `known`'s: a misspelt option would otherwise
 * leave its default in force without a word. `known` is an object literal with a key per option
 * (`Record<keyof T, true>`), so an option added to T and not here does not compile.
 */
export function knownOptions<T extends object>(options: T | undefined, what: string, known: Record<keyof T, true>): T {
  const checked = optionsObject(options, what);
  for (const key of Object.keys(checked))
    if (!Object.hasOwn(known, key))
      throw new TypeError(`${what}: unknown option "${key}" (known: ${Object.keys(known).join(', ')})`);
  return checked;
}
