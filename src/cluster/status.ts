/** How the cluster connection is doing; `connected` false means some breakers (`lostBreakers`), or all, decide locally. */
export interface ClusterStatus {
  readonly nodeId: string;
  readonly mode: 'aggregate' | 'quorum';
  /**
   * Whether every Redis node the last sync sent to answered it (on Redis Cluster a pipeline goes to
   * each master). In a process of a host arena that does not sync: whether its clients are connected.
   */
  readonly connected: boolean;
  /** Whether this process syncs: always, unless its registry is in a host arena, whose one syncing process holds a lease. */
  readonly syncing: boolean;
  readonly syncs: number;
  readonly failedSyncs: number;
  /** Pipelines sent to Redis: one per sync interval, whatever the number of breakers (a PING when none changed). */
  readonly roundTrips: number;
  /** Why the last failed sync failed (with the address and the connection error when Redis was not connected); cleared once a sync succeeds again. */
  readonly lastError: string | undefined;
  /** Breakers this node syncs, and of them those the cluster holds open. */
  readonly breakers: number;
  readonly heldOpen: number;
  /** Breakers whose last sync failed (Redis, or the Redis Cluster master that holds their keys, lost, hung or slow): they decide locally. */
  readonly lostBreakers: number;
}

/** A change of the connection: Redis lost (nodes decide locally) or back. */
export interface ClusterEvent {
  readonly type: 'lost' | 'restored';
  readonly reason: string;
}
