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
