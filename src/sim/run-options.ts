/** How long a run is: `quick` for tests and CI (a quarter of the timeline), `full` for the report. */
export type RunSize = 'quick' | 'full';

/** Options of one run (a breaker, rollout or pool scenario). */
export interface RunOptions {
  seed: number;
  size: RunSize;
  /** Called now and then with the share of virtual time done (0..1). */
  onProgress?: (done: number) => void;
}
