/** Something with per-thread state to fold into the shared core on the tick. */
export interface Ticking {
  /** @internal Folds this thread's counts; returns false to leave the tick (it was idle). */
  tick(): boolean;
}

/** The control plane's tick, in ms (real time, or a ManualClock's time for a registry on one). */
export const TICK_MS = 100;
/** A tick this late is presumed dead (e.g. created under fake timers that were then removed). */
const STALLED_MS = 20 * TICK_MS;
/** A set, so that dispose() takes a breaker off at once without a scan. */
const active = new Set<Ticking>();
let timer: NodeJS.Timeout | undefined;
let lastRun = 0;

/** Runs one tick now (the interval calls it; tests call it to step time-free). */
export function runTick(): void {
  lastRun = performance.now();
  for (const item of active) if (!item.tick()) active.delete(item);
  stopWhenEmpty();
}

function stopWhenEmpty(): void {
  if (active.size !== 0 || timer === undefined) return;
  clearInterval(timer);
  timer = undefined;
}

/**
 * One unref'd interval per thread for every breaker (never a timer per breaker). It folds the
 * successes and rejections counted in JS into the shared windows, so time windows see them within
 * a tick even when no decision forces a fold. Breakers leave it when idle; it stops when none is
 * left and never keeps the process alive.
 */
export function joinTick(item: Ticking): void {
  active.add(item);
  if (timer !== undefined && performance.now() - lastRun < STALLED_MS) return;
  if (timer !== undefined) clearInterval(timer);
  lastRun = performance.now();
  timer = setInterval(runTick, TICK_MS);
  timer.unref();
}

/** Takes an item off the tick at once (a disposed breaker must not wait for its next tick to be let go). */
export function leaveTick(item: Ticking): void {
  active.delete(item);
  stopWhenEmpty();
}
