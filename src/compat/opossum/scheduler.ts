import type { Timers } from '../../clock';
import { TIMED_OUT, realCallTimeouts, type CallTimeouts } from './call-timeouts';
import { monotonicMs } from './clock';
import { realClearTimeout, realSetTimeout } from './timers';
import { TimerHeap } from '../../timer-heap';

/** A scheduled callback; pass it to cancel(). */
export interface Scheduled {
  readonly at: number;
}

/** A breaker's time: its clocks, its deadlines (half-open, warm-up end, snapshots, health checks) and its calls' timeouts. */
export interface Scheduler {
  /** Monotonic milliseconds (latencies, rotation, deadlines): the core's clock, or the manual clock's time. */
  now(): number;
  /** Wall-clock milliseconds (cache expiries, lastTimerAt): Date.now(), or the manual clock's time. */
  wallNow(): number;
  /** Runs fn once, ms from now, without keeping the process alive. */
  after(ms: number, fn: () => void): Scheduled;
  cancel(entry: Scheduled | undefined): void;
  /**
   * The timeouts of calls with a `timeout` of ms (a breaker may keep it until it is retired). A
   * pending call keeps the process alive, as opossum's per-call timer does.
   */
  callTimeouts(ms: number): CallTimeouts;
}

/** Deadlines this close behind the one a wakeup is for run in it. */
const SHARED_WAKEUP_MS = 2;
/** Timers are armed this much before their deadline. */
const EARLY_MS = 1;

interface Entry extends Scheduled {
  seq: number;
  fn: (() => void) | undefined;
}

/**
 * One per thread: a min-heap of deadlines behind a single unref'd setTimeout armed for the
 * earliest, so a thousand breakers cost one timer, and none keeps the process alive. Deadlines
 * are kept on performance.now(), not the coarse clock, whose lag under load would reorder them
 * against the caller's own timers.
 */
class DeadlineHeap implements Scheduler {
  private readonly heap = new TimerHeap<Entry>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  readonly now = monotonicMs;
  readonly wallNow = Date.now;
  readonly callTimeouts = realCallTimeouts;

  after(ms: number, fn: () => void): Scheduled {
    const entry: Entry = { at: performance.now() + Math.max(0, ms), seq: this.seq++, fn };
    this.heap.push(entry);
    if (entry.at < this.armedFor) this.arm();
    return entry;
  }

  cancel(entry: Scheduled | undefined): void {
    // Lazy deletion: the entry stays in the heap, inert, until it reaches the top.
    if (entry !== undefined) (entry as Entry).fn = undefined;
  }

  private run = (): void => {
    // Node may fire a timer while the clock still reads a millisecond short of its deadline:
    // the deadline it was armed for is due whatever the clock says, as a setTimeout would be.
    // Deadlines just behind it share this wakeup: a fresh timer for them could fire after a
    // caller's timer for the same millisecond that was set long before.
    const now = Math.max(performance.now(), this.armedFor) + SHARED_WAKEUP_MS;
    this.timer = undefined;
    this.armedFor = Infinity;
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      const fn = top.fn;
      top.fn = undefined;
      if (fn !== undefined) {
        try {
          fn();
        } catch (error) {
          // One breaker's failing callback must not starve the others; surface it instead.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
    while (this.heap.size > 0 && this.heap.peek()?.fn === undefined) this.heap.pop();
    if (this.heap.size > 0) this.arm();
  };

  private arm(): void {
    if (this.timer !== undefined) realClearTimeout(this.timer);
    const at = this.heap.peek()!.at;
    this.armedFor = at;
    // A millisecond early: a timer re-armed late (after an earlier deadline ran) must still fire
    // before a caller's timer for the same millisecond; run() treats the deadline as due.
    this.timer = realSetTimeout(this.run, Math.max(0, at - EARLY_MS - performance.now()));
    this.timer.unref();
  }
}

/** This thread's scheduler for real time. */
export const realScheduler: Scheduler = new DeadlineHeap();

/** A scheduler on a ManualClock: its deadlines fire inside the clock's advance(). */
export function manualScheduler(clock: Timers): Scheduler {
  const timeouts = new Map<number, CallTimeouts>();
  return {
    now: () => clock.now(),
    wallNow: () => clock.now(),
    callTimeouts: (ms) => {
      let forMs = timeouts.get(ms);
      if (forMs === undefined) {
        forMs = {
          ms,
          retired: false,
          add: (handler) => clock.setTimeout(() => handler(TIMED_OUT), ms),
          clear: (ticket) => clock.clearTimeout(ticket),
        };
        timeouts.set(ms, forMs);
      }
      return forMs;
    },
    after: (ms, fn) => {
      const at = clock.now() + Math.max(0, ms);
      return { at, handle: clock.setTimeout(fn, ms) } as Scheduled;
    },
    cancel: (entry) => {
      if (entry !== undefined) clock.clearTimeout((entry as Scheduled & { handle: unknown }).handle);
    },
  };
}
