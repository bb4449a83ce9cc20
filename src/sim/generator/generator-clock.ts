import { ManualClock } from '../../clock';
import { TimerHeap } from '../../timer-heap';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A ManualClock for the wide generator: its timers fall due on whole milliseconds, so virtual time
 * moves at most 1,000 steps per second, and a timer armed due fires in the move under way (the
 * generated runs, and so the shipped model, were drawn with these timers).
 */
export class GeneratorClock extends ManualClock {
  private readonly heap = new TimerHeap<Timer>();
  private order = 0;

  override setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { at: Math.ceil(this.now() + Math.max(0, ms)), seq: this.order++, callback, cancelled: false };
    this.heap.push(timer);
    return timer;
  }

  override clearTimeout(handle: unknown): void {
    if (handle !== null && typeof handle === 'object' && 'cancelled' in handle) (handle as Timer).cancelled = true;
  }

  override pendingTimers(): number {
    return this.heap.values().filter((t) => !t.cancelled).length;
  }

  override set(ms: number): void {
    for (;;) {
      const next = this.heap.peek();
      if (next === undefined || next.at > ms) break;
      this.heap.pop();
      if (next.cancelled) continue;
      super.set(Math.max(this.now(), next.at));
      next.callback();
    }
    super.set(ms);
  }

  /**
   * Plays virtual time to `untilMs`: each due time in turn, letting the promise reactions its
   * timers caused run before time moves on, and `onEvery(now)` (awaited) every `everyMs`.
   */
  async runUntil(untilMs: number, everyMs: number, onEvery: (nowMs: number) => void | Promise<void>): Promise<void> {
    let nextCall = this.now() + everyMs;
    for (;;) {
      while (this.heap.peek()?.cancelled) this.heap.pop();
      const due = this.heap.peek()?.at ?? Infinity;
      const next = Math.min(due, nextCall);
      if (next > untilMs) break;
      this.set(Math.max(next, this.now()));
      // setImmediate runs after every pending promise reaction, however long their chain.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (next === nextCall) {
        await onEvery(this.now());
        nextCall += everyMs;
      }
    }
    if (untilMs > this.now()) this.set(untilMs);
  }
}
