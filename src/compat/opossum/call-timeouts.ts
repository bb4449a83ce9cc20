import { monotonicMs } from './clock';

/** A pending call's timeout; pass it to clearCallTimeout() when the call settles first. */
export interface CallTimeout {
  readonly at: number;
}

interface Entry extends CallTimeout {
  fn: (() => void) | undefined;
  queue: Queue;
}

interface Queue {
  entries: Entry[];
  head: number;
}

/**
 * Per-call timeouts for every breaker of the thread, behind one timer. Calls with the same
 * `timeout` get deadlines in the order they start, so each timeout value is a FIFO queue (O(1) per
 * call, where a setTimeout + clearTimeout costs ~0.5 us). The timer is armed for the earliest
 * head and keeps the process alive only while a call is pending, as opossum's per-call timer does.
 */
const queues = new Map<number, Queue>();
let pending = 0;
let timer: NodeJS.Timeout | undefined;
let armedFor = Infinity;

/** Runs fn in `ms` unless cleared first. */
export function setCallTimeout(fn: () => void, ms: number): CallTimeout {
  let queue = queues.get(ms);
  if (queue === undefined) {
    queue = { entries: [], head: 0 };
    queues.set(ms, queue);
  }
  const entry: Entry = { at: monotonicMs() + ms, fn, queue };
  queue.entries.push(entry);
  if (pending++ === 0) timer?.ref();
  if (entry.at < armedFor) arm(entry.at);
  return entry;
}

export function clearCallTimeout(handle: CallTimeout | undefined): void {
  const entry = handle as Entry | undefined;
  if (entry === undefined || entry.fn === undefined) return;
  entry.fn = undefined;
  if (--pending === 0) timer?.unref();
  dropSettledHeads(entry.queue);
}

function dropSettledHeads(queue: Queue): void {
  const entries = queue.entries;
  while (queue.head < entries.length && entries[queue.head].fn === undefined) queue.head++;
  if (queue.head === entries.length) {
    entries.length = 0;
    queue.head = 0;
  } else if (queue.head > 1024 && queue.head * 2 > entries.length) {
    queue.entries = entries.slice(queue.head);
    queue.head = 0;
  }
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  armedFor = at;
  timer = setTimeout(run, Math.max(0, at - monotonicMs()));
  if (pending === 0) timer.unref();
}

function run(): void {
  // The deadline the timer was armed for is due even if the coarse clock reads a millisecond short.
  const now = Math.max(monotonicMs(), armedFor);
  timer = undefined;
  armedFor = Infinity;
  const due: Entry[] = [];
  for (const queue of queues.values()) {
    dropSettledHeads(queue);
    while (queue.head < queue.entries.length && queue.entries[queue.head].at <= now) {
      const entry = queue.entries[queue.head++];
      if (entry.fn === undefined) continue;
      due.push({ ...entry });
      entry.fn = undefined;
      pending--;
    }
    dropSettledHeads(queue);
  }
  let earliest = Infinity;
  for (const [ms, queue] of queues) {
    if (queue.entries.length === 0) queues.delete(ms);
    else earliest = Math.min(earliest, queue.entries[queue.head].at);
  }
  if (earliest !== Infinity) arm(earliest);
  // In deadline order across timeout values, as separate timers would fire.
  due.sort((a, b) => a.at - b.at);
  for (const entry of due) entry.fn?.();
}
