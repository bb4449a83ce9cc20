import { createHash } from 'node:crypto';
import { breakerKey } from '../registry/breaker-key';

/**
 * The prefix of a breaker's Redis keys (`<prefix>:windows`, `:state`, `:probe`): its namespace and
 * a hash tag of its kind and name, so all three fall in one Redis Cluster slot, and a name of any
 * length or alphabet makes a short key.
 */
export function breakerKeyPrefix(namespace: string, kind: string, name: string): string {
  return `${namespace}:{${createHash('sha1').update(breakerKey(kind, name)).digest('hex').slice(0, 20)}}`;
}
