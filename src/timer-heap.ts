/** What a TimerHeap orders by: its due time, then the order it was armed in. */
export interface Due {
  readonly at: number;
  readonly seq: number;
}

/**
 * A binary min-heap of timers by due time, ties in the order they were armed: pushing and taking
 * the earliest cost O(log n), where a sorted list costs O(n) a timer (a simulated service at
 * 1,000 calls/s holds thousands of pending timeouts). Cancelling is the owner's: it marks an entry
 * and skips it when it comes to the top.
 */
export class TimerHeap<T extends Due> {
  private readonly entries: T[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** The earliest timer, left in the heap; undefined when it is empty. */
  peek(): T | undefined {
    return this.entries[0];
  }

  push(timer: T): void {
    const heap = this.entries;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  /** Takes the earliest timer out; undefined when the heap is empty. */
  pop(): T | undefined {
    const heap = this.entries;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && earlier(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!earlier(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Every timer held, cancelled ones too, in no particular order. */
  values(): readonly T[] {
    return this.entries;
  }

  /** Keeps only the timers `keep` accepts (cancelled ones dropped at once); a sorted list is a heap. */
  retain(keep: (timer: T) => boolean): void {
    const kept = this.entries.filter(keep);
    this.entries.length = 0;
    for (const timer of kept.sort((a, b) => (earlier(a, b) ? -1 : 1))) this.entries.push(timer);
  }
}

const earlier = (a: Due, b: Due): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
