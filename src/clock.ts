import { Arena } from './core/arena';
import { ArenaPool } from './core/pool';
import { ClockMode } from './core/layout';

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

interface PendingTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that moves only when told to: breakers created with it decide on its time, and its
 * timers (timeouts, retry delays) fire inside set()/advance(). For deterministic tests, and for
 * users who test with fake timers. Breakers on one manual clock share arenas stamped with its time,
 * so a worker that attaches one of them sees the same time.
 */
export class ManualClock implements Timers {
  private nowMs: number;
  private seq = 0;
  private timers: PendingTimer[] = [];
  /** @internal */
  readonly pool: ArenaPool;

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs) || startMs < 0) {
      throw new RangeError(`breakwater: ManualClock start must be a finite number of ms >= 0, got ${String(startMs)}`);
    }
    this.nowMs = startMs;
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

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`breakwater: ManualClock.advance(ms) needs a finite ms >= 0, got ${String(ms)}`);
    this.set(this.nowMs + ms);
  }

  /** Sets the time (never backwards), firing every timer that falls due, in order. */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < this.nowMs) {
      throw new RangeError(`breakwater: ManualClock.set(ms) needs a finite time >= the current ${this.nowMs}, got ${String(ms)}`);
    }
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.at > ms) break;
      this.timers.shift();
      this.stamp(Math.max(this.nowMs, next.at));
      next.callback();
    }
    this.stamp(ms);
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, callback };
    const index = this.timers.findIndex((t) => t.at > timer.at);
    this.timers.splice(index < 0 ? this.timers.length : index, 0, timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const index = this.timers.indexOf(handle as PendingTimer);
    if (index >= 0) this.timers.splice(index, 1);
  }

  /** Timers not yet fired (a test can assert that nothing outlives its call). */
  pendingTimers(): number {
    return this.timers.length;
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
    throw new Error('breakwater: timers are not available on a manual clock attached from another thread; set the clock where it was created');
  }
  clearTimeout(): void {}
}
