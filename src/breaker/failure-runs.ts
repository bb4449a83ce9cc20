/** The runs are kept over the early warning's horizon (10 s), in two halves of its readers' clock. */
const HALF_MS = 5_000;

/**
 * The longest runs of consecutive failures a breaker's recorded failures extended, in two halves of
 * its readers' clock: the current 5 s and the one before. A consecutive-failure rule trips on a
 * run, and runs come in bursts when failures cluster (the timeouts of one stall, a flapping
 * dependency): a breaker that saw a run of 4 against a threshold of 5 a few seconds ago is far
 * likelier to see 5 than its failure rate says. Kept on the breaker, so every reader (the early
 * warning, the registry's window summaries) reads the same runs. A failure only compares its run
 * (a clock read per failure made a failing executeSync 15% slower, `npm run bench:sync-throws`);
 * reads move the halves on, on the readers' clock (one per breaker: its registry's).
 */
export class FailureRuns {
  private half = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  /** Notes a run `length` failures long. */
  note(length: number): void {
    if (length > this.current) this.current = length;
  }

  /**
   * The longest run noted in this half of the readers' clock and the one before, read at `nowMs`.
   * A read in a new half moves what was noted into the half before (kept one half more) and drops
   * the older: a reader once a second sees a run for 4 to 10 s.
   */
  longest(nowMs: number): number {
    const half = Math.floor(nowMs / HALF_MS);
    if (half !== this.half) {
      // Runs noted since the last read count in that read's half (a first read starts the halves).
      if (this.half !== Number.NEGATIVE_INFINITY) {
        this.previous = this.current;
        this.current = 0;
      }
      this.half = half;
    }
    return Math.max(this.current, this.previous);
  }
}
