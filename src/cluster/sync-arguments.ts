import { createHash } from 'node:crypto';
import type { CircuitBreaker } from '../breaker';
import { State } from '../core/layout';
import type { ResolvedOptions } from '../options';

/** What a node's sync tells the script besides the breaker: the connection's own settings. */
export interface SyncContext {
  readonly nodeId: string;
  readonly syncIntervalMs: number;
  readonly mode: 'aggregate' | 'quorum';
  readonly quorum: number;
  readonly leaseMs: number;
  readonly channel: string;
}

/** The options a node judges the cluster's windows by, as text for a warning, and a short fingerprint of them. */
export interface JudgedOptions {
  readonly options: ResolvedOptions;
  readonly description: string;
  readonly fingerprint: string;
}

/** The options of `breaker` that decide how the cluster's sum of windows is judged. */
export function judgedOptions(options: ResolvedOptions): JudgedOptions {
  const description = [
    `slidingWindowType ${options.slidingWindowType}`,
    `slidingWindowSize ${options.slidingWindowSize}`,
    `minimumCalls ${options.minimumCalls}`,
    `failureRateThreshold ${options.failureRateThreshold}`,
    `slowCallRateThreshold ${options.slowCallRateThreshold}`,
    `slowCallDuration ${options.slowCallDuration}`,
    `recoveryTimeout ${options.recoveryTimeout}`,
  ].join(', ');
  const fingerprint = createHash('sha1').update(description).digest('hex').slice(0, 8);
  return { options, description, fingerprint };
}

/**
 * A breaker's window as the cluster sums it, and whether it tripped on this node alone: open (or
 * probing) since a trip of its own, not since the cluster opened it (whichever process did).
 */
export function windowLine(breaker: CircuitBreaker): string {
  if (!breaker.active) return '0 0 0 0';
  const { state, window } = breaker.reading();
  // The history is read only for a circuit in a trip: a sync of 10,000 closed breakers builds no metrics.
  const trippedHere = (state === State.OPEN || state === State.HALF_OPEN) && breaker.lastOpenReason() !== 'cluster';
  return `${window.calls} ${window.failures} ${window.slowCalls} ${trippedHere ? 1 : 0}`;
}

/** The sync script's ARGV (scripts.ts) for one breaker: its window `line`, its judged options, the connection's settings. */
export function syncArguments(
  context: SyncContext,
  key: string,
  judged: JudgedOptions,
  line: string,
): (string | number)[] {
  const o = judged.options;
  // A node's window stays in the sum while it could still be in its own window.
  const freshMs = (o.slidingWindowType === 'time' ? o.slidingWindowSize : 60_000) + 2 * context.syncIntervalMs;
  const [calls, failures, slow, tripped] = line.split(' ');
  return [
    context.nodeId,
    calls,
    failures,
    slow,
    tripped,
    freshMs,
    o.minimumCalls,
    o.failureRateThreshold / 100,
    o.slowCallRateThreshold / 100,
    o.recoveryTimeout,
    context.mode,
    context.quorum,
    context.leaseMs,
    context.channel,
    key,
    judged.fingerprint,
  ];
}
