import type { CircuitBreaker } from '../breaker';
import { judgedOptions, type JudgedOptions } from './sync-arguments';

/** What a node knows of one breaker in the cluster. */
export interface Tracked {
  /** The registry's key of the breaker (breakerKey), which messages name it by. */
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  /** The keys of its windows, state and probe lease: one hash tag, so one Redis Cluster slot. */
  readonly keys: readonly [string, string, string];
  /** The window line last stored ("calls failures slow tripped"), '' before the first sync. */
  pushed: string;
  /** The breaker's lifetime rejections at this node's last sync: more since means calls wait for a probe. */
  rejections: number;
  /** The epoch of the cluster's last decision this node applied. */
  epoch: number;
  open: boolean;
  /** performance.now() when the cluster's open period ends. */
  openUntil: number;
  /** Whether this node holds the breaker open for the cluster, and the epoch it last moved it for. */
  held: boolean;
  heldEpoch: number;
  /** The epoch whose probe lease this node holds, or -1. */
  probing: number;
  /** The options this node judges the cluster's windows by, kept while the breaker's options stay the same object. */
  judged: JudgedOptions | undefined;
  /** Whether this node has warned that the nodes give the breaker different options. */
  warnedOptions: boolean;
  /** Whether this node has warned that Redis held one of the breaker's keys as another type. */
  warnedRepair: boolean;
  /** performance.now() at the first failed sync of the breaker since the last that worked (its Redis node lost); NaN while they work. */
  lostSince: number;
  /** The Redis Cluster slot of its keys. */
  slot: number;
}

/** A breaker in a sync: what the script is given of it. */
export interface Synced {
  readonly tracked: Tracked;
  readonly breaker: CircuitBreaker;
  readonly line: string;
  readonly wantsProbe: boolean;
}

/** The options `tracked`'s breaker is judged by, made again only when its options change (reconfigure()). */
export function judged(tracked: Tracked, breaker: CircuitBreaker, syncIntervalMs: number): JudgedOptions {
  if (tracked.judged?.options !== breaker.options) tracked.judged = judgedOptions(breaker.options, syncIntervalMs);
  return tracked.judged;
}

/** Once per breaker: each node's sync judges the cluster's windows by its own options, so the outcome depends on who syncs. */
export function warnOptionsDiffer(tracked: Tracked): void {
  tracked.warnedOptions = true;
  process.emitWarning(
    `breakwater/cluster: the nodes give ${tracked.kind} "${tracked.name}" different options; each node judges the cluster's windows by its own when it syncs, so give every node the same (this node: ${tracked.judged?.description})`,
    { code: 'BREAKWATER_CLUSTER_OPTIONS' },
  );
}

/** Once per breaker: a key of the breaker that Redis held as another type was deleted by the sync, so its cluster state started again. */
export function warnRepaired(tracked: Tracked, repaired: number): void {
  if (tracked.warnedRepair) return;
  tracked.warnedRepair = true;
  const keys = tracked.keys.filter((_, k) => (repaired & (1 << k)) !== 0).join(', ');
  process.emitWarning(
    `breakwater/cluster: Redis held ${keys} of ${tracked.kind} "${tracked.name}" as another type than breakwater keeps there (a hand edit, or another program writing in its namespace); the sync deleted it and the breaker's cluster state starts again`,
    { code: 'BREAKWATER_CLUSTER_REPAIRED' },
  );
}
