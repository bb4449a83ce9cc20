/**
 * The latencies of one stats bucket, in the order they were recorded, run-length encoded. A guarded
 * call's latency is a whole number of milliseconds, so a busy breaker records long runs of the
 * same value (mostly 0): opossum pushes each one into an array, millions per window, which the
 * garbage collector then walks; here a run costs two numbers. Status expands a log into the
 * bucket's `latencyTimes` array only when someone reads the window or its stats.
 *
 * Latencies come in as `latency || 0`, never -0 or NaN, so === tells runs apart exactly.
 */
export class LatencyLog {
  /** The value of each finished run. */
  private values: number[] = [];
  /** How many times each finished run's value was recorded. */
  private counts: number[] = [];
  /** The run being recorded: its value, and its length (0: none yet). */
  private current = 0;
  private repeats = 0;

  /** Records one latency. */
  push(latency: number): void {
    if (latency === this.current && this.repeats !== 0) {
      this.repeats++;
      return;
    }
    this.finishRun();
    this.current = latency;
    this.repeats = 1;
  }

  /** Appends every recorded latency to `out`, in order, and empties the log. */
  drainInto(out: number[]): void {
    this.finishRun();
    const { values, counts } = this;
    for (let run = 0; run < values.length; run++) {
      for (let i = 0; i < counts[run]; i++) out.push(values[run]);
    }
    this.values = [];
    this.counts = [];
  }

  private finishRun(): void {
    if (this.repeats === 0) return;
    this.values.push(this.current);
    this.counts.push(this.repeats);
    this.repeats = 0;
  }
}
