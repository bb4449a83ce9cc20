import { ManualClock, type Timers } from '../clock';

/** The wall clock: the rollout's default, so timestamps in the state file mean something after a restart. */
export const wallClock: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // A rollout's own timers (evaluation interval, automatic retry) never keep a process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The clock the per-version breakers' windows run on. The breakwater core can follow a ManualClock
 * only, so a rollout on a ManualClock shares it, a rollout on another virtual clock (a simulator's)
 * gets a ManualClock that is moved to that clock's time before every use, and a rollout on the wall
 * clock leaves the windows on the core's monotonic clock.
 */
export class WindowClock {
  /** What the breakers are created with; undefined = the core's monotonic clock. */
  readonly breakerClock: ManualClock | undefined;
  private readonly follows: Timers | undefined;

  constructor(source: Timers) {
    if (source instanceof ManualClock) {
      this.breakerClock = source;
    } else if (source !== wallClock) {
      const start = source.now();
      if (!Number.isFinite(start) || start < 0) {
        throw new RangeError(
          `breakwater/rollout: option "clock" must tell a finite time >= 0 ms, got ${String(start)}`,
        );
      }
      this.breakerClock = new ManualClock(start);
      this.follows = source;
    }
  }

  /** Brings the windows' clock up to the source clock (a no-op unless following a virtual clock). */
  sync(): void {
    if (this.follows === undefined) return;
    const now = this.follows.now();
    if (now > this.breakerClock!.now()) this.breakerClock!.set(now);
  }
}
