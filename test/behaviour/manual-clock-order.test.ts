import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/index';

/**
 * The order ManualClock documents, kept the plainest way: a list sorted by due time (ties in the
 * order armed), a timer armed already due waiting for the next move, a move nested in a timer
 * opening that next move. The clock keeps its timers in a heap; both must fire alike.
 */
class SortedListClock {
  private nowMs = 0;
  private seq = 0;
  private move = 0;
  private timers: { at: number; seq: number; callback: () => void; firstMove: number }[] = [];

  now(): number {
    return this.nowMs;
  }
  setTimeout(callback: () => void, ms?: number): unknown {
    const at = this.nowMs + Math.max(0, ms ?? 0);
    const timer = { at, seq: this.seq++, callback, firstMove: at <= this.nowMs ? this.move + 1 : 0 };
    const index = this.timers.findIndex((t) => t.at > at);
    this.timers.splice(index < 0 ? this.timers.length : index, 0, timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    const index = this.timers.findIndex((t) => t === handle);
    if (index >= 0) this.timers.splice(index, 1);
  }
  pendingTimers(): number {
    return this.timers.length;
  }
  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }
  advance(ms: number): void {
    const until = this.nowMs + ms;
    this.move++;
    for (;;) {
      const index = this.timers.findIndex((t) => t.at > until || t.firstMove <= this.move);
      const next = index < 0 ? undefined : this.timers[index];
      if (next === undefined || next.at > until) break;
      this.timers.splice(index, 1);
      this.nowMs = Math.max(this.nowMs, next.at);
      next.callback();
    }
    this.nowMs = Math.max(this.nowMs, until);
  }
}

type Clock = Pick<SortedListClock, 'now' | 'setTimeout' | 'clearTimeout' | 'pendingTimers' | 'nextTimerAt' | 'advance'>;

/** What a timer does when it fires, besides writing down its id and the time. */
type Behaviour =
  | { kind: 'record' }
  | { kind: 'rearm'; ms: number | undefined }
  | { kind: 'advance'; ms: number }
  | { kind: 'clear'; target: number };

type Step =
  { kind: 'arm'; ms: number | undefined } | { kind: 'clear'; target: number } | { kind: 'advance'; ms: number };

const delay = fc.oneof(fc.constant(undefined), fc.integer({ min: -3, max: 40 }));
const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'record' as const }) },
  fc.record({ kind: fc.constant('rearm' as const), ms: delay }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 25 }) }),
  fc.record({ kind: fc.constant('clear' as const), target: fc.nat(60) }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('arm' as const), ms: delay }) },
  fc.record({ kind: fc.constant('clear' as const), target: fc.nat(60) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
);

/** Plays the steps on a clock; what fired when, and the clock's pending count and next due time after each step. */
function play(clock: Clock, steps: readonly Step[], behaviours: readonly Behaviour[]): string[] {
  const seen: string[] = [];
  const handles: unknown[] = [];
  const arm = (ms: number | undefined, generation: number): void => {
    const id = handles.length;
    const does = behaviours[id % behaviours.length];
    handles.push(
      clock.setTimeout(() => {
        seen.push(`${id}@${clock.now()}`);
        // A timer re-arms or moves the clock a few generations deep at most, so every program ends.
        if (generation >= 3) return;
        if (does.kind === 'rearm') arm(does.ms, generation + 1);
        else if (does.kind === 'advance') clock.advance(does.ms);
        else if (does.kind === 'clear') clock.clearTimeout(handles[does.target % handles.length]);
      }, ms),
    );
  };
  for (const s of steps) {
    if (s.kind === 'arm') arm(s.ms, 0);
    else if (s.kind === 'clear' && handles.length > 0) clock.clearTimeout(handles[s.target % handles.length]);
    else if (s.kind === 'advance') clock.advance(s.ms);
    seen.push(`pending ${clock.pendingTimers()}, next ${clock.nextTimerAt()}, now ${clock.now()}`);
  }
  return seen;
}

describe('ManualClock timer order', () => {
  it('fires timers as a sorted list would: by due time, ties in the order armed, a timer armed due at the next move', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 80 }),
        fc.array(behaviour, { minLength: 1, maxLength: 8 }),
        (steps, behaviours) => {
          expect(play(new ManualClock(0), steps, behaviours)).toEqual(play(new SortedListClock(), steps, behaviours));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('counts a cleared timer out once, whether it was pending, fired or cleared before', () => {
    const clock = new ManualClock(0);
    const handles = Array.from({ length: 200 }, (_, i) => clock.setTimeout(() => {}, 1_000 + i));
    const due = clock.setTimeout(() => {}, 5);
    for (const handle of handles) clock.clearTimeout(handle);
    for (const handle of handles.slice(0, 10)) clock.clearTimeout(handle);
    clock.clearTimeout({ at: 5 });
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(5);
    clock.advance(10);
    clock.clearTimeout(due);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });
});
