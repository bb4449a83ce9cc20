import { MAX_PERIOD_MS } from '../core/layout';
import { parseJsonObject } from '../json-object';

/** A decision of the cluster, as its scripts publish it on the transitions channel. */
export interface TransitionMessage {
  readonly key: string;
  readonly state: 'open' | 'closed';
  readonly remainingMs: number;
  readonly epoch: number;
}

/**
 * The decision in `text`, or undefined for anything the scripts would not publish: the channel
 * is open to every client of the Redis, and a stray message must neither throw from the client's
 * message handler (the process's uncaught exception) nor set an epoch no decision can pass.
 */
export function parseTransitionMessage(text: string): TransitionMessage | undefined {
  const message = parseJsonObject(text);
  if (message === undefined) return undefined;
  const { key, state, remainingMs, epoch } = message;
  if (typeof key !== 'string' || (state !== 'open' && state !== 'closed')) return undefined;
  const split = key.indexOf('\u0000'); // breakerKey(): a kind, NUL, a name, neither empty
  if (split < 1 || split === key.length - 1) return undefined;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) return undefined;
  if (typeof remainingMs !== 'number' || !(remainingMs >= 0 && remainingMs <= MAX_PERIOD_MS)) return undefined;
  return { key, state, remainingMs, epoch };
}
