/** Something with per-thread state to fold into the shared core on the tick, or control work to run on it. */
export interface Ticking {
  /**
   * @internal Folds this thread's counts or runs its control step; returns false to leave the tick
   * (it was idle), or the work the step started, which a manual clock's runFor() awaits.
   */
  tick(): boolean | Promise<void>;
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
  for (const item of active) if (item.tick() === false) active.delete(item);
  stopWhenEmpty();
}

function stopWhenEmpty(): void {
  if (active.size !== 0 || timer === undefined) return;
  clearInterval(timer);
  timer = undefined;
}

/**
 * One unref'd interval per thread for every breaker (never a timer per breaker); breakers on a
 * manual clock tick on that clock instead (`clock`). It folds the successes and rejections counted
 * in JS into the shared windows, so time windows see them within a tick even when no decision
 * forces a fold. Breakers leave it when idle; it stops when none is left and never keeps the
 * process alive.
 */
export function joinTick(item: Ticking, clock?: TickClock): void {
  if (clock !== undefined) return joinClockTick(item, clock);
  active.add(item);
  if (timer !== undefined && performance.now() - lastRun < STALLED_MS) return;
  if (timer !== undefined) clearInterval(timer);
  lastRun = performance.now();
  timer = setInterval(runTick, TICK_MS);
  timer.unref();
}

/** Takes an item off the tick at once (a disposed breaker must not wait for its next tick to be let go). */
export function leaveTick(item: Ticking, clock?: TickClock): void {
  if (clock !== undefined) {
    const group = clockTicks.get(clock);
    group?.items.delete(item);
    if (group !== undefined && group.items.size === 0 && group.timer !== undefined) {
      clock.clearTimeout(group.timer);
      group.timer = undefined;
    }
    return;
  }
  active.delete(item);
  stopWhenEmpty();
}

/** A clock with timers of its own time (a ManualClock): breakers on it tick on it, never on the event loop's. */
export interface TickClock {
  /** A promise the callback returns is awaited by the clock's runFor() (ManualClock's contract). */
  setTimeout(callback: () => unknown, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Per clock, its ticking items and the one clock timer that ticks them all. */
const clockTicks = new WeakMap<TickClock, { items: Set<Ticking>; timer: unknown }>();

/**
 * Puts an item on `clock`'s tick: every TICK_MS of that clock's time, as its time moves, so what a
 * tick does (folding counts into the windows, arming a latency sample) happens at the same virtual
 * times on every run and every machine.
 */
function joinClockTick(item: Ticking, clock: TickClock): void {
  let group = clockTicks.get(clock);
  if (group === undefined) clockTicks.set(clock, (group = { items: new Set(), timer: undefined }));
  group.items.add(item);
  if (group.timer === undefined) armClockTick(group, clock);
}

/** The group's next tick; it returns the work its items started, for runFor() to await. */
function armClockTick(group: { items: Set<Ticking>; timer: unknown }, clock: TickClock): void {
  group.timer = clock.setTimeout(() => {
    group.timer = undefined;
    let started: Promise<void>[] | undefined;
    for (const item of group.items) {
      const outcome = item.tick();
      if (outcome === false) group.items.delete(item);
      else if (outcome !== true) (started ??= []).push(outcome);
    }
    if (group.items.size > 0 && group.timer === undefined) armClockTick(group, clock);
    return started && Promise.all(started);
  }, TICK_MS);
}
