/** The runs are kept over the early warning's horizon (10 s), in two halves of the breaker's clock. */
const HALF_MS = 5_000;

/**
 * The longest runs of consecutive failures a breaker's recorded failures extended, in this 5 s
 * half of its clock and the one before. A consecutive-failure rule trips on a run, and runs come
 * in bursts when failures cluster (the timeouts of one stall, a flapping dependency): a breaker
 * that saw a run of 4 against a threshold of 5 a few seconds ago is far likelier to see 5 than its
 * failure rate says. Kept on the breaker, so every reader (the early warning, the registry's
 * window summaries) reads the same runs.
 */
export class FailureRuns {
  private half = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  /** Notes a run `length` failures long at `nowMs`. */
  note(length: number, nowMs: number): void {
    this.rotate(nowMs);
    if (length > this.current) this.current = length;
  }

  /** The longest run of this half and the one before: of the last 5-10 s. */
  longest(nowMs: number): number {
    this.rotate(nowMs);
    return Math.max(this.current, this.previous);
  }

  private rotate(nowMs: number): void {
    const half = Math.floor(nowMs / HALF_MS);
    if (half === this.half) return;
    this.previous = half === this.half + 1 ? this.current : 0;
    this.current = 0;
    this.half = half;
  }
}
