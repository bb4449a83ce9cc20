import type { BreakerEvent } from '../../registry/event';

/**
 * Appends to a sink's queue what fits under `maxQueued`, oldest first: a batch larger than the
 * room left keeps its first (oldest) events, so the history stays a contiguous record from the
 * start of a burst (a mass outage's first transitions are the ones an operator needs). Returns
 * how many events did not fit, for the sink's `dropped` counter.
 */
export function enqueueWhatFits(queue: BreakerEvent[], events: readonly BreakerEvent[], maxQueued: number): number {
  const room = Math.max(0, maxQueued - queue.length);
  const kept = Math.min(room, events.length);
  for (let i = 0; i < kept; i++) queue.push(events[i]);
  return events.length - kept;
}
