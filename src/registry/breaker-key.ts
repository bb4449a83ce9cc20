import { show } from '../error-message';

/**
 * A registry's key of a breaker: its kind and name joined by NUL (a kind holds none, so every key
 * is unique). The registry, the host arena's directory and the cluster's messages all use it.
 */
export function breakerKey(kind: string, name: string): string {
  if (typeof kind !== 'string' || kind.length === 0)
    throw new TypeError(`breakwater: a breaker kind must be a non-empty string, got ${show(kind)}`);
  if (kind.includes('\u0000'))
    throw new TypeError(`breakwater: a breaker kind must not contain the NUL character (\\u0000), got ${show(kind)}`);
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(
      `breakwater: ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} breaker needs a non-empty string name, got ${show(name)}`,
    );
  return `${kind}\u0000${name}`;
}

/** Whether `key` is one breakerKey() makes: a non-empty kind, NUL, a non-empty name. */
export function isBreakerKey(key: string): boolean {
  const split = key.indexOf('\u0000');
  return split > 0 && split < key.length - 1;
}

/** The kind and name of a key breakerKey() made. */
export function splitBreakerKey(key: string): { kind: string; name: string } {
  const split = key.indexOf('\u0000');
  return { kind: key.slice(0, split), name: key.slice(split + 1) };
}
