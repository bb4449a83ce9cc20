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

/** The options a node judges the cluster's windows by: as text for a warning, a short fingerprint of them, and as the sync script reads them. */
export interface JudgedOptions {
  readonly options: ResolvedOptions;
  readonly description: string;
  readonly fingerprint: string;
  /** "longest-open-ms fresh-ms minimumCalls failure-rate slow-call-rate recovery-ms fingerprint" (scripts.ts, SYNC_SCRIPT). */
  readonly scriptOptions: string;
}

/** The options of a breaker that decide how the cluster's sum of windows is judged, on a connection syncing every `syncIntervalMs`. */
export function judgedOptions(options: ResolvedOptions, syncIntervalMs: number): JudgedOptions {
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
  // A node's window stays in the sum while it could still be in its own window.
  const freshMs = (options.slidingWindowType === 'time' ? options.slidingWindowSize : 60_000) + 2 * syncIntervalMs;
  const scriptOptions = [
    Math.round(options.maxRecoveryTimeout),
    Math.ceil(freshMs),
    options.minimumCalls,
    options.failureRateThreshold / 100,
    options.slowCallRateThreshold / 100,
    Math.round(options.recoveryTimeout),
    fingerprint,
  ].join(' ');
  return { options, description, fingerprint, scriptOptions };
}

/** What a node's sync reads of a breaker: its window line, and the calls it has refused in its life. */
export interface WindowReading {
  /**
   * The window as the cluster sums it, and whether it tripped on this node alone: open (or
   * probing) since a trip of its own, not since the cluster opened it (whichever process did).
   */
  readonly line: string;
  /** Calls refused, lifetime: a node whose count grew since its last sync has calls waiting for a probe. */
  readonly rejections: number;
  /** Open or half-open on this node, for whatever reason. */
  readonly open: boolean;
}

export function windowReading(breaker: CircuitBreaker): WindowReading {
  if (!breaker.active) return { line: '0 0 0 0', rejections: 0, open: false };
  const { state, window, totals } = breaker.reading();
  const open = state === State.OPEN || state === State.HALF_OPEN;
  // The history is read only for a circuit in a trip: a sync of 10,000 closed breakers builds no metrics.
  const trippedHere = open && breaker.lastOpenReason() !== 'cluster';
  return {
    line: `${window.calls} ${window.failures} ${window.slowCalls} ${trippedHere ? 1 : 0}`,
    rejections: totals.rejections,
    open,
  };
}

/** A breaker as a sync script takes it: its three keys and their slot, its key (for messages), its window line, whether this node wants a probe, how long it still holds the breaker open for the cluster, and judged options. */
export interface ScriptedBreaker {
  readonly keys: readonly string[];
  /** The Redis Cluster slot of its keys (one hash tag, one slot). */
  readonly slot: number;
  readonly key: string;
  readonly line: string;
  readonly wantsProbe: boolean;
  /** Ms this node still holds the breaker open for the cluster (0: it does not): Redis that lost the decision gets it back. */
  readonly heldMs: number;
  readonly judged: JudgedOptions;
}

/** The arguments of one sync script (scripts.ts, SYNC_SCRIPT) for `breakers`: the key count, the keys, the ARGV. */
export function scriptArguments(context: SyncContext, breakers: readonly ScriptedBreaker[]): (string | number)[] {
  const keys: string[] = [];
  const args: (string | number)[] = [context.nodeId, context.mode, context.quorum, context.leaseMs, context.channel];
  for (const { keys: own, key, line, wantsProbe, heldMs, judged } of breakers) {
    keys.push(...own);
    args.push(key, `${line} ${wantsProbe ? 1 : 0} ${Math.max(0, Math.ceil(heldMs))} ${judged.scriptOptions}`);
  }
  return [keys.length, ...keys, ...args];
}
