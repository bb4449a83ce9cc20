import { messageOf } from '../error-message';
import type { BreakerEvent } from '../registry/event';

/**
 * An event as JSON, or undefined when it cannot be serialised: a detail with a cycle or a BigInt
 * that reached the history past recordEvent()'s check (changed after it was recorded, say).
 * `onUnserialisable` gets an error naming the event; the caller drops that event alone, never the
 * rest of its batch, and never throws into the tick or a timer, which would end the process.
 */
export function eventJson(event: BreakerEvent, onUnserialisable: (error: Error) => void): string | undefined {
  try {
    return JSON.stringify(event);
  } catch (error) {
    onUnserialisable(
      new Error(
        `breakwater/observe: the ${event.event_type} event of ${event.kind} "${event.breaker}" at ${event.timestamp} cannot be serialised to JSON (${messageOf(error)}); it was dropped`,
        { cause: error },
      ),
    );
    return undefined;
  }
}

/** Events as a JSON array, leaving out those that cannot be serialised (see eventJson). */
export function eventsJsonArray(events: readonly BreakerEvent[], onUnserialisable: (error: Error) => void): string {
  const parts: string[] = [];
  for (const event of events) {
    const json = eventJson(event, onUnserialisable);
    if (json !== undefined) parts.push(json);
  }
  return `[${parts.join(',')}]`;
}
