/** What the cluster metrics read: a cluster connection (breakwater/cluster), through its public `status`. */
export interface ClusterStatusSource {
  readonly status: {
    readonly connected: boolean;
    readonly syncing: boolean;
    readonly syncs: number;
    readonly failedSyncs: number;
    readonly roundTrips: number;
    readonly breakers: number;
    readonly heldOpen: number;
    readonly lostBreakers: number;
  };
}
