import { messageOf } from '../error-message';
import type { BreakerEventType } from './event';

/**
 * Refuses a detail the sinks could not write. Every sink serialises events to JSON, and a detail
 * with a cycle or a BigInt would fail there, on a later tick, far from the code that recorded it.
 * Only the public entry points check (one JSON.stringify an event); the library's own wings build
 * plain details and skip the check.
 */
export function checkEventDetail(detail: unknown, kind: string, name: string, type: BreakerEventType): void {
  try {
    JSON.stringify(detail);
  } catch (error) {
    throw new TypeError(
      `breakwater: the ${type} event of ${kind} "${name}" has a detail that is not JSON data (${messageOf(error)}); record plain objects, arrays, strings, numbers, booleans and null`,
      { cause: error },
    );
  }
}
