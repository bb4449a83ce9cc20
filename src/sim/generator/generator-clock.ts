import { ManualClock } from '../../clock';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A ManualClock for the wide generator: its timers live in a binary heap (a run at 1,000 calls per
 * second holds thousands of pending timeouts, which a sorted list would insert into one by one)
 * and fall due on whole milliseconds, so virtual time moves at most 1,000 steps per second.
 */
export class GeneratorClock extends ManualClock {
  private readonly heap: Timer[] = [];
  private order = 0;

  override setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { at: Math.ceil(this.now() + Math.max(0, ms)), seq: this.order++, callback, cancelled: false };
    this.push(timer);
    return timer;
  }

  override clearTimeout(handle: unknown): void {
    if (handle !== null && typeof handle === 'object' && 'cancelled' in handle) (handle as Timer).cancelled = true;
  }

  override pendingTimers(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  override set(ms: number): void {
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.at > ms) break;
      this.pop();
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
      while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
      const due = this.heap[0]?.at ?? Infinity;
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

  private before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && this.before(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!this.before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}
