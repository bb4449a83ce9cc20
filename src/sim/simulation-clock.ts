import { ManualClock } from '../clock';

/**
 * A ManualClock a simulation plays: every timer (arrivals, service responses, the breakers' own
 * timeouts) lives on this one clock, and virtual time only moves to the next moment something
 * happens.
 */
export class SimulationClock extends ManualClock {
  /**
   * Runs virtual time up to `untilMs`: moves the clock to each due time in turn (firing its
   * timers), and lets the promise reactions they caused run before time moves on.
   * `onStep` is called after each step with the current time.
   */
  async runUntil(untilMs: number, onStep?: (nowMs: number) => void): Promise<void> {
    for (;;) {
      const next = this.nextTimerAt();
      if (next === undefined || next > untilMs) break;
      // Every timer due then fires in this set(); one armed at this same time while they fire
      // waits for the next step (see ManualClock.setTimeout).
      this.set(Math.max(next, this.now()));
      // setImmediate runs after every pending promise reaction, however long their chain.
      await new Promise<void>((resolve) => setImmediate(resolve));
      onStep?.(next);
    }
    if (untilMs > this.now()) this.set(untilMs);
  }
}
