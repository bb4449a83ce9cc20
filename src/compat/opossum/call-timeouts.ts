import { freshMonotonicMs, monotonicMs } from './clock';
import { realClearTimeout, realSetImmediate, realSetTimeout } from './timers';

/**
 * What a timed-out call's handler is called with. A handler is the call's rejection reaction, so
 * the call needs no second closure for its timeout; no action can reject with this value, as the
 * symbol never leaves the package.
 */
export const TIMED_OUT: unique symbol = Symbol('breakwater.opossum.timed-out');

/** A call's timeout or rejection reaction: called with TIMED_OUT when the call's time is up. */
export type TimeoutHandler = (reason: unknown) => void;

/** The pending calls' timeouts for one `timeout` value; tickets identify calls. */
export interface CallTimeouts {
  /** The timeout, in ms, of the calls it holds. */
  readonly ms: number;
  /** Dropped by the thread's registry (it was empty): ask the scheduler for the current one. */
  readonly retired: boolean;
  /** Arms the timeout of a call that started at `startMs` (the scheduler's now()); returns its ticket. */
  add(handler: TimeoutHandler, startMs: number): unknown;
  /** Disarms a call's timeout (its call settled first); a ticket already due or cleared is ignored. */
  clear(ticket: unknown): void;
}

/** Rings start this large and double when full: every slot is reused, nothing is allocated per call. */
const FIRST_CAPACITY = 16;

/**
 * The timeouts of every pending call with one `timeout` value, across every breaker of the
 * thread. Calls start in order, so their deadlines do too: a FIFO ring of (deadline, handler) in
 * two parallel arrays, where a ticket is a running count and a settled call leaves a hole that
 * the head skips. Adding and clearing are O(1) and allocate nothing, where a setTimeout and a
 * clearTimeout cost ~0.5 us and a closure each.
 */
class DeadlineRing implements CallTimeouts {
  retired = false;
  private deadlines: number[] = new Array<number>(FIRST_CAPACITY).fill(0);
  private handlers: Array<TimeoutHandler | undefined> = new Array<TimeoutHandler | undefined>(FIRST_CAPACITY).fill(
    undefined,
  );
  private mask = FIRST_CAPACITY - 1;
  /** Ticket of the oldest call that may still be pending. */
  private head = 0;
  /** Ticket the next call gets. */
  private tail = 0;

  constructor(readonly ms: number) {}

  add(handler: TimeoutHandler, startMs: number): number {
    if (this.tail - this.head > this.mask) this.grow();
    const ticket = this.tail++;
    const at = startMs + this.ms;
    this.deadlines[ticket & this.mask] = at;
    this.handlers[ticket & this.mask] = handler;
    armed(at);
    return ticket;
  }

  clear(ticket: unknown): void {
    const t = ticket as number;
    if (t < this.head || this.handlers[t & this.mask] === undefined) return;
    this.handlers[t & this.mask] = undefined;
    if (t === this.head) this.skipSettled();
    settled();
  }

  /** The earliest pending deadline, or Infinity. */
  get earliest(): number {
    return this.head === this.tail ? Infinity : this.deadlines[this.head & this.mask];
  }

  /** Takes out the handlers due by `now`, with their deadlines, into `due`. */
  takeDue(now: number, due: Array<{ at: number; handler: TimeoutHandler }>): void {
    while (this.head < this.tail && this.deadlines[this.head & this.mask] <= now) {
      const index = this.head++ & this.mask;
      const handler = this.handlers[index];
      this.handlers[index] = undefined;
      if (handler !== undefined) {
        due.push({ at: this.deadlines[index], handler });
        settled();
      }
    }
    this.skipSettled();
  }

  private skipSettled(): void {
    while (this.head < this.tail && this.handlers[this.head & this.mask] === undefined) this.head++;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const deadlines = new Array<number>(capacity).fill(0);
    const handlers = new Array<TimeoutHandler | undefined>(capacity).fill(undefined);
    for (let t = this.head; t < this.tail; t++) {
      deadlines[t & (capacity - 1)] = this.deadlines[t & this.mask];
      handlers[t & (capacity - 1)] = this.handlers[t & this.mask];
    }
    this.deadlines = deadlines;
    this.handlers = handlers;
    this.mask = capacity - 1;
  }
}

const rings = new Map<number, DeadlineRing>();
/** Calls with an armed timeout: the timer keeps the process alive while there is one, as opossum's per-call timer does. */
let pending = 0;
let timer: NodeJS.Timeout | undefined;
let armedFor = Infinity;
let refed = false;
let unrefQueued = false;

/** The ring for `ms`: one per timeout value, shared by every breaker of the thread. */
export function realCallTimeouts(ms: number): CallTimeouts {
  let ring = rings.get(ms);
  if (ring === undefined) {
    ring = new DeadlineRing(ms);
    rings.set(ms, ring);
  }
  return ring;
}

function armed(at: number): void {
  if (pending++ === 0 && timer !== undefined && !refed) {
    timer.ref();
    refed = true;
  }
  if (at < armedFor) arm(at);
}

function settled(): void {
  // Unref once this turn of the event loop is over, not per call: calls that follow one another
  // in a chain of promises would otherwise toggle the timer's ref (a call into C++) every time.
  if (--pending === 0 && refed && !unrefQueued) {
    unrefQueued = true;
    realSetImmediate(unrefWhenIdle);
  }
}

function unrefWhenIdle(): void {
  unrefQueued = false;
  if (pending === 0 && timer !== undefined && refed) {
    timer.unref();
    refed = false;
  }
}

function arm(at: number): void {
  if (timer !== undefined) realClearTimeout(timer);
  armedFor = at;
  timer = realSetTimeout(run, Math.max(0, at - monotonicMs()));
  refed = pending > 0;
  if (!refed) timer.unref();
}

function run(): void {
  // The deadline the timer was armed for is due even if the clock reads a millisecond short. The
  // time comes from the core, not the page: the handlers measure the calls' latencies on it.
  const now = Math.max(freshMonotonicMs(), armedFor);
  timer = undefined;
  refed = false;
  armedFor = Infinity;
  const due: Array<{ at: number; handler: TimeoutHandler }> = [];
  let earliest = Infinity;
  for (const [ms, ring] of rings) {
    ring.takeDue(now, due);
    if (ring.earliest === Infinity) {
      ring.retired = true;
      rings.delete(ms);
    } else {
      earliest = Math.min(earliest, ring.earliest);
    }
  }
  if (earliest !== Infinity) arm(earliest);
  // In deadline order across timeout values, as separate timers would fire.
  due.sort((a, b) => a.at - b.at);
  for (const entry of due) entry.handler(TIMED_OUT);
}
