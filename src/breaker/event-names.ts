import { show } from '../error-message';
import type { BreakerEvents } from './types';

/** A key per event, so an event added to BreakerEvents and not here does not compile. */
const BREAKER_EVENTS: Record<keyof BreakerEvents, true> = {
  stateChange: true,
  open: true,
  close: true,
  halfOpen: true,
  success: true,
  failure: true,
  reject: true,
  timeout: true,
  reconfigure: true,
};

/** `event` when a breaker emits it: a listener for a misspelt name would never fire, without a word. */
export function knownEvent<K extends keyof BreakerEvents>(event: K): K {
  if (typeof event !== 'string' || !Object.hasOwn(BREAKER_EVENTS, event))
    throw new TypeError(
      `breakwater: a breaker has no event ${show(event)} (its events: ${Object.keys(BREAKER_EVENTS).join(', ')})`,
    );
  return event;
}
