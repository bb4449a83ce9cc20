import { Arena } from './core/arena';
import { ArenaPool } from './core/pool';
import { ClockMode } from './core/layout';
import { show } from './error-message';
import { TimerHeap } from './timer-heap';

/** Schedules the breaker's own timers (per-call timeouts, retry delays). */
export interface Timers {
  /** The clock's time in milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time: the monotonic clock and the event loop's timers. */
export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A timer's callback; a promise it returns is awaited by runToNextTimer() and runFor() (never by advance()). */
export type ManualTimerCallback = () => void | Promise<void>;

interface PendingTimer {
  readonly clock: ManualClock;
  at: number;
  seq: number;
  callback: ManualTimerCallback;
  /** Cleared, or fired: it stays in the heap until it reaches the top, and is skipped there. */
  done: boolean;
}

/**
 * Timers one move may fire before it stops as a runaway, as sinon's fake timers stop at their
 * loopLimit: a timer that re-arms itself a hair later would otherwise spin for ever (a 100 ms tick
 * fires this many times in 27 hours of virtual time).
 */
const MAX_TIMERS_PER_MOVE = 1_000_000;

/**
 * The latest time a ManualClock may show, in ms (about 285 years): the core counts its time in
 * microseconds, exact in a double only up to 2^53. Past it, 1.5 s added to the time was lost, and
 * an open circuit never reached its deadline.
 */
export const MANUAL_CLOCK_MAX_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** `ms` when a ManualClock may show it; a RangeError naming `what` otherwise. */
function latestAllowed(ms: number, what: string): number {
  if (ms > MANUAL_CLOCK_MAX_MS)
    throw new RangeError(
      `breakwater: ${what} would take the ManualClock to ${ms} ms, past its latest time ${MANUAL_CLOCK_MAX_MS} ms (the core's microseconds are exact up to 2^53)`,
    );
  return ms;
}

/**
 * A clock that moves only when told to: breakers created with it decide on its time, and its
 * timers (timeouts, retry delays, a registry's tick) fire inside set()/advance(), or one by one,
 * with the work they start awaited, in runToNextTimer()/runFor() (as sinon's fake timers'
 * tickAsync). For deterministic tests, and for users who test with fake timers. Breakers on one
 * manual clock share arenas stamped with its time, so a worker that attaches one of them sees the
 * same time.
 */
export class ManualClock implements Timers {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new TimerHeap<PendingTimer>();
  /**
   * Timers armed already due: they wait for the next move, not the one under way (a timer that
   * re-arms itself at once fires once a move), and join the heap when it starts.
   */
  private armedDue: PendingTimer[] = [];
  private pending = 0;
  /** @internal */
  readonly pool: ArenaPool;

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs) || startMs < 0) {
      throw new RangeError(`breakwater: ManualClock start must be a finite number of ms >= 0, got ${show(startMs)}`);
    }
    this.nowMs = latestAllowed(startMs, 'new ManualClock(startMs)');
    const clock = this;
    this.pool = new (class extends ArenaPool {
      protected override onNewArena(arena: Arena): void {
        arena.setManualNowUs(Math.round(clock.nowMs * 1000));
      }
    })(ClockMode.manual);
  }

  now(): number {
    return this.nowMs;
  }

  /**
   * Moves time forward by ms, firing every timer that falls due, in order. A timer may move the
   * clock itself (advance() or set() in its callback): that inner move fires what falls due up to
   * its own target, and the outer move goes on from there, ending at the later of its target and
   * the time the inner move reached. Time never moves backwards.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`breakwater: ManualClock.advance(ms) needs a finite ms >= 0, got ${show(ms)}`);
    this.set(latestAllowed(this.nowMs + ms, `ManualClock.advance(${ms})`));
  }

  /** Sets the time (never backwards), firing every timer that falls due, in order (a nested move: see advance()). */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < this.nowMs) {
      throw new RangeError(
        `breakwater: ManualClock.set(ms) needs a finite time >= the current ${this.nowMs}, got ${show(ms)}`,
      );
    }
    latestAllowed(ms, `ManualClock.set(${ms})`);
    this.startMove();
    for (let fired = 0; ; fired++) {
      const next = this.takeDue(ms, fired);
      if (next === undefined) break;
      void next.callback(); // advance() is synchronous: what a timer starts runs on (runFor() awaits it)
    }
    this.stamp(Math.max(ms, this.nowMs)); // a timer may have moved the clock past ms itself
  }

  /** When the next timer falls due, in this clock's ms; undefined when none is pending. */
  nextTimerAt(): number | undefined {
    let at = this.earliest()?.at;
    for (const timer of this.armedDue) if (!timer.done && !(timer.at >= (at ?? Infinity))) at = timer.at;
    return at;
  }

  /**
   * Moves time to the next timer and fires every timer due then, in order, awaiting what each
   * starts (a registry's tick awaits its scoring and tuning rounds). Resolves to the new time, or
   * undefined (time unchanged) when no timer is pending.
   */
  async runToNextTimer(): Promise<number | undefined> {
    const at = this.nextTimerAt();
    if (at === undefined) return undefined;
    this.startMove();
    for (let fired = 0; ; fired++) {
      const next = this.takeDue(at, fired);
      if (next === undefined) break;
      await next.callback();
    }
    return this.nowMs;
  }

  /**
   * Moves time forward by ms as runToNextTimer() does, timer by timer, awaiting the work each one
   * starts, and ends at now + ms (or later, when a timer moved the clock further: see advance()).
   */
  async runFor(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`breakwater: ManualClock.runFor(ms) needs a finite ms >= 0, got ${show(ms)}`);
    const until = latestAllowed(this.nowMs + ms, `ManualClock.runFor(${ms})`);
    this.startMove();
    for (let fired = 0; ; fired++) {
      const next = this.takeDue(until, fired);
      if (next === undefined) break;
      await next.callback();
    }
    this.stamp(Math.max(until, this.nowMs));
  }

  /**
   * Calls back once ms have passed on this clock. Without ms, or with ms below 0, the timer is due
   * at once and fires at the next move of time (the event loop's setTimeout(fn) likewise waits
   * for its next turn), also when armed by a timer during a move: a timer that re-arms itself
   * this way fires once a move, never in a loop. A move that fires 1,000,000 timers (one that
   * re-arms itself a hair later, say) stops with an error naming the runaway.
   */
  setTimeout(callback: ManualTimerCallback, ms?: number): unknown {
    if (typeof callback !== 'function')
      throw new TypeError(`breakwater: ManualClock.setTimeout(callback, ms) needs a function, got ${show(callback)}`);
    // Checked here, not when it fires: a timer due at NaN would fire with the clock reading NaN.
    if (ms !== undefined && (typeof ms !== 'number' || Number.isNaN(ms)))
      throw new TypeError(`breakwater: ManualClock.setTimeout(callback, ms) needs a number of ms, got ${show(ms)}`);
    // Checked here too: a timer past the latest time (Infinity, say) took runToNextTimer() there.
    const at = latestAllowed(this.nowMs + Math.max(0, ms ?? 0), `ManualClock.setTimeout(callback, ${ms})`);
    const timer: PendingTimer = { clock: this, at, seq: this.seq++, callback, done: false };
    if (at <= this.nowMs) this.armedDue.push(timer);
    else this.timers.push(timer);
    this.pending++;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as Partial<PendingTimer> | null;
    if (typeof timer !== 'object' || timer === null || timer.clock !== this || timer.done) return;
    timer.done = true;
    this.pending--;
    // A test that arms and clears far-off timers without moving time must not fill the heap: once
    // the cleared ones held outnumber the pending, they are dropped all at once.
    const held = this.timers.size + this.armedDue.length;
    if (held > 128 && held > 2 * this.pending) {
      this.timers.retain((t) => !t.done);
      this.armedDue = this.armedDue.filter((t) => !t.done);
    }
  }

  /** Timers not yet fired (a test can assert that nothing outlives its call). */
  pendingTimers(): number {
    return this.pending;
  }

  /** A move of time begins (nested ones too): the timers armed already due before it may fire in it. */
  private startMove(): void {
    for (const timer of this.armedDue) if (!timer.done) this.timers.push(timer);
    this.armedDue = [];
  }

  /** The earliest timer still pending in the heap, dropping cleared ones from its top. */
  private earliest(): PendingTimer | undefined {
    let top = this.timers.peek();
    while (top !== undefined && top.done) {
      this.timers.pop();
      top = this.timers.peek();
    }
    return top;
  }

  /**
   * Takes the first timer the current move may fire that is due by `until`, moving time to it;
   * undefined when none is. `fired` counts the timers this move fired before (the runaway guard).
   */
  private takeDue(until: number, fired: number): PendingTimer | undefined {
    const next = this.earliest();
    if (next === undefined || next.at > until) return undefined;
    if (fired >= MAX_TIMERS_PER_MOVE)
      throw new Error(
        `breakwater: ManualClock stopped at ${this.nowMs} ms, short of ${until}, after firing ${MAX_TIMERS_PER_MOVE} timers in one move: a timer that keeps re-arming itself a hair later? (move in smaller steps if that many are meant to fire)`,
      );
    this.timers.pop();
    next.done = true;
    this.pending--;
    this.stamp(Math.max(this.nowMs, next.at));
    return next;
  }

  private stamp(ms: number): void {
    this.nowMs = ms;
    for (const arena of this.pool.arenas) arena.setManualNowUs(Math.round(ms * 1000));
  }
}

/** A manual clock seen from a thread that attached one of its arenas: reads the arena's time. */
export class AttachedManualClock implements Timers {
  constructor(private readonly arena: Arena) {}
  now(): number {
    return this.arena.manualNowUs() / 1000;
  }
  setTimeout(): unknown {
    throw new Error(
      'breakwater: timers are not available on a manual clock attached from another thread; set the clock where it was created',
    );
  }
  clearTimeout(): void {}
}
