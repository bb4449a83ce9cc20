import { ManualClock } from '../clock';

/**
 * A ManualClock that remembers when its timers fall due, so a simulation can jump from one due
 * time to the next. Every timer (arrivals, service responses, the breakers' own timeouts) lives on
 * this one clock: virtual time only moves to the next moment something happens.
 */
export class SimulationClock extends ManualClock {
  /** A binary min-heap of the distinct times at which timers are due. */
  private readonly due: number[] = [];
  /** Timers still pending per due time: a time whose timers were all cleared costs no step. */
  private readonly live = new Map<number, number>();
  /** The due time of each pending timer, by handle (removed when it fires or is cleared). */
  private readonly pending = new Map<unknown, number>();

  override setTimeout(callback: () => void, ms: number): unknown {
    const at = this.now() + Math.max(0, ms);
    const handle: unknown = super.setTimeout(() => {
      this.pending.delete(handle);
      callback();
    }, ms);
    this.pending.set(handle, at);
    const count = this.live.get(at);
    if (count === undefined) {
      this.live.set(at, 1);
      this.push(at);
    } else {
      this.live.set(at, count + 1);
    }
    return handle;
  }

  override clearTimeout(handle: unknown): void {
    super.clearTimeout(handle);
    const at = this.pending.get(handle);
    if (at === undefined) return;
    this.pending.delete(handle);
    const count = this.live.get(at) ?? 0;
    if (count <= 1) this.live.delete(at);
    else this.live.set(at, count - 1);
  }

  /**
   * Runs virtual time up to `untilMs`: moves the clock to each due time in turn (firing its
   * timers), and lets the promise reactions they caused run before time moves on.
   * `onStep` is called after each step with the current time.
   */
  async runUntil(untilMs: number, onStep?: (nowMs: number) => void): Promise<void> {
    for (;;) {
      const next = this.due[0];
      if (next === undefined || next > untilMs) break;
      this.pop();
      if (!this.live.has(next)) continue;
      // Every timer due then fires in this set(); one made at this same time while draining
      // registers the time again, so it gets its own step.
      this.live.delete(next);
      this.set(Math.max(next, this.now()));
      // setImmediate runs after every pending promise reaction, however long their chain.
      await new Promise<void>((resolve) => setImmediate(resolve));
      onStep?.(next);
    }
    if (untilMs > this.now()) this.set(untilMs);
  }

  private push(at: number): void {
    const heap = this.due;
    heap.push(at);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= at) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = at;
  }

  private pop(): void {
    const heap = this.due;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1] < heap[left] ? left + 1 : left;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}
