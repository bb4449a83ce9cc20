import { show } from './error-message';

/** `options` when it is an object, {} when undefined; any other value gets a TypeError naming `what`. */
export function optionsObject<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object')
    throw new TypeError(`breakwater: ${what} must be an object, got ${show(options)}`);
  return options;
}
