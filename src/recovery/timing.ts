import type { Timers } from '../clock';

/**
 * The clock and timers of the recovery wing. Every decision reads time from the injected Timers and
 * waits only through its setTimeout, so a ManualClock (or the simulator's clock) drives a pool
 * deterministically. The default is wall-clock time, because task records carry timestamps a
 * restarted process compares.
 */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves after `ms` on the given timers (one timer, no polling). */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, ms);
  });
}

/** Checks that `timers` has now/setTimeout/clearTimeout; the error names the option. */
export function checkTimers(option: string, timers: unknown): Timers {
  const candidate = timers as Partial<Timers> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.now !== 'function' ||
    typeof candidate.setTimeout !== 'function' ||
    typeof candidate.clearTimeout !== 'function'
  ) {
    throw new TypeError(
      `breakwater/recovery: option "${option}" must have now(), setTimeout() and clearTimeout() (a ManualClock works), got ${candidate === null ? 'null' : typeof candidate}`,
    );
  }
  return candidate as Timers;
}
