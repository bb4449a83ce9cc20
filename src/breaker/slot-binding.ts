import { Outcome, State } from '../core/layout';
import { adoptFoldMark, type ArenaPool, type SlotRef } from '../core/pool';
import { core } from '../core/select';
import { FastGeneration } from '../fast-generation';
import { coreConfig, type BreakerProfile } from '../options';
import { ManualClock, realTimers, type Timers } from '../clock';
import { joinTick, leaveTick, type Ticking } from '../tick';
import { staleHandleError } from './handle';
import { FailureRuns } from './failure-runs';
import { readHistory, readSlot } from '../core/readings';
import type { BreakerEvents } from './types';
import {
  admittedGeneration,
  demandPageTime,
  generationOfWord,
  isLaterGeneration,
  pageEra,
  pageNowMs32,
  pageParked,
  previousGeneration,
  slotConsecutiveFailures,
  stateOfWord,
  takeTransition,
  transitionFrom,
  transitionGeneration,
  transitionReason,
  transitionTo,
} from '../core/codec';

/** The low state word never takes this value (state bits 15), so comparing against it never admits. */
export const NO_FAST_PATH = 0x0f;
/** One synchronous call in this many is timed, for the latency histogram, and folds the JS-side counts. */
export const SAMPLE_EVERY = 256;
/**
 * ...but a thread times a breaker's synchronous calls at most once in this many ms: a sample
 * writes the slot's window, and two threads sampling one breaker 780,000 times a second each
 * (one call in 256 at 200 million calls a second) fought over its cache lines.
 */
export const MIN_SAMPLE_SPACING_MS = 1;
/** What a breaker reads before its first call takes a slot: a CLOSED state word of generation 0, as a fresh slot holds. */
const NO_SLOT_YET: Int32Array = new Int32Array(2);
/** Before the first generation starts (the fast paths open with a generation). */
const NO_GENERATION_YET = new FastGeneration(-1);
/** What a breaker counts into before its first call takes a slot, or without a lane (never: the fast paths are shut). */
const NO_LANES: Float64Array = new Float64Array(1);
/** Eras (2^20 ms each) for which a deadline the core confirmed may be compared in JS: ~6 days, well inside the 2^31 ms of serial arithmetic. */
const TRUSTED_ERAS = 512;
/** The most calls one record() takes (the binding's count is a positive int32). */
const MAX_RECORD_COUNT = 2 ** 31 - 1;
/** This thread's coarse clock page, fetched once (the core returns the same page every time). */
let monotonicClockWords: Int32Array | undefined;

/**
 * A breaker's binding to its core slot: the fast path's state (the state word it compares, the
 * lane it counts successes in, the generation they count under), taking the slot on first use,
 * admitting calls, folding and recording outcomes, the shared tick, and the transitions an
 * operation reports. The layers above add guarded calls and the public API.
 */
export abstract class SlotBinding implements Ticking {
  /** The breaker's slot, taken on first use: a breaker that was never called costs no core memory. */
  protected ref: SlotRef | undefined;
  protected disposed = false;
  protected words = NO_SLOT_YET;
  protected stateIndex = 0;
  protected clockWords = NO_SLOT_YET;
  /** The state word when the circuit admits everything (CLOSED or DISABLED), else NO_FAST_PATH. */
  protected admitWord = NO_FAST_PATH;
  protected admitGeneration = 0;
  /** admitWord when calls may skip timing and events (sync / async), else NO_FAST_PATH. */
  protected syncWord = NO_FAST_PATH;
  protected asyncWord = NO_FAST_PATH;
  protected countdown = SAMPLE_EVERY;
  /** The generation the fast paths count in. */
  protected tally = NO_GENERATION_YET;
  /** This thread's lanes view and the index of its lane in this slot (LAYOUT.md "Lanes"); fast successes count there. */
  protected lanes = NO_LANES;
  protected lane = 0;
  /** An OPEN state word the core confirmed ahead of its deadline, and the clock era then: JS may compare that deadline itself. */
  protected verifiedOpenWord = NO_FAST_PATH;
  protected verifiedEra = 0;
  protected pendingRejections = 0;
  /** The runs of consecutive failures this thread's failures extended lately; made on the first failure. */
  protected failureRuns: FailureRuns | undefined;
  /** Share of calls refused while closed (shed()), and the credit that spreads them evenly. */
  protected shedShare = 0;
  protected shedCredit = 0;
  /** Whether the breaker is on this thread's tick; idle breakers leave it and lose the fast path until their next call. */
  protected ticking = false;
  protected idleTicks = 0;
  /** Whether fast-path counts were folded since the last tick (the breaker was busy). */
  protected foldedSinceTick = false;
  /** Reactions of fast async calls, bound to the current generation's tally; made on first async use. */
  protected onFastSuccess: ((value: unknown) => unknown) | undefined;
  protected onFastFailure: ((error: unknown) => unknown) | undefined;
  /** The generation of the last transition this view announced: its own, or one made elsewhere (announceMissed). */
  protected announcedGeneration = 0;

  constructor(
    readonly name: string,
    /** The options in force after defaults, but the name: shared by breakers created alike. */
    protected profile: Readonly<BreakerProfile>,
    protected readonly timers: Timers,
    /** The pool this breaker's slot comes from; undefined when attached from a handle (not the owner). */
    protected readonly pool: ArenaPool | undefined,
    /** A view attached from a handle: the slot's epoch it was made for (-1 for the owner). */
    protected readonly attachedEpoch: number,
  ) {}

  /** Whether any listener waits for `event` (the fast paths skip breakers with success listeners). */
  protected abstract has(event: keyof BreakerEvents & string): boolean;
  /** Binds the fast async reactions to the current generation. */
  protected abstract bindAsync(): void;
  /**
   * Announces a transition: one the core reported for this view's operation, or (`madeElsewhereAt`,
   * when it happened) one another thread or process sharing the slot made.
   */
  protected abstract emitTransition(
    from: number,
    to: number,
    reason: number,
    generation: number,
    madeElsewhereAt?: number,
  ): void;

  /** Shuts every path and leaves the tick: the breaker is disposed, or its slot was given back. */
  protected retire(): void {
    this.disposed = true;
    this.tally.retired = true; // fast async calls still in flight must not count in a lane of a slot given back
    this.admitWord = this.syncWord = this.asyncWord = NO_FAST_PATH;
    if (this.ticking) leaveTick(this, this.tickClock());
    this.ticking = false;
  }

  /** Folds the successes and rejections counted in this thread into the shared core. */
  flush(): void {
    if (this.disposed) throw this.disposedError();
    if (this.ref !== undefined) this.checkEpoch();
    this.flushPending();
    if (this.pendingRejections > 0) {
      core.rejected(this.ref!.arenaId, this.ref!.slot, this.pendingRejections);
      this.pendingRejections = 0;
    }
  }

  /** On a breaker's first call: takes its slot and opens the fast paths, so the call can take them. */
  protected takeFirstSlot(): boolean {
    if (this.ref !== undefined || this.disposed) return false;
    this.slot();
    this.refresh();
    return true;
  }

  /** The breaker's slot, taken (and configured) on first use. */
  protected slot(): SlotRef {
    if (this.ref !== undefined) {
      this.checkEpoch();
      return this.ref;
    }
    if (this.disposed) throw this.disposedError();
    const pool = this.pool!;
    const ref = pool.allocate(this.profile.slidingWindowBuckets, this.profile.latencyHistogram);
    core.configure(ref.arenaId, ref.slot, coreConfig(this.profile));
    this.useSlot(ref);
    pool.releaseWhenUnreachable(this, ref);
    return ref;
  }

  /** Whether this is a view attached from a handle whose breaker has since been disposed (its slot given back). */
  protected isStale(): boolean {
    return (
      this.attachedEpoch >= 0 && this.ref !== undefined && this.ref.arena.epochOf(this.ref.slot) !== this.attachedEpoch
    );
  }

  /** A view of a disposed breaker fails instead of touching the slot's next owner. */
  protected checkEpoch(): void {
    if (!this.isStale()) return;
    this.retire();
    throw staleHandleError(this.name, this.attachedEpoch, this.ref!.arena.epochOf(this.ref!.slot));
  }

  protected useSlot(ref: SlotRef): void {
    const arena = ref.arena;
    this.ref = ref;
    this.words = arena.words;
    this.stateIndex = arena.stateIndex(ref.slot);
    this.announcedGeneration = generationOfWord(this.words[this.stateIndex]); // what came before this view is not news
    // A thread without a lane keeps the dummy: its fast paths stay shut, and nothing could count into the arena.
    if (ref.lane >= 0) {
      this.lanes = arena.lanes;
      this.lane = arena.laneIndex(ref.slot, ref.lane);
    }
    adoptFoldMark(ref, this.attachedEpoch >= 0 ? this.attachedEpoch : arena.epochOf(ref.slot));
    this.clockWords = arena.manualClock ? arena.manualClockWords() : (monotonicClockWords ??= core.clockPage());
  }

  /**
   * Decides whether a call may run: the generation it runs under, or -1 when refused. Rejections
   * on an open circuit whose deadline is still ahead are decided here on the clock words, without
   * a crossing; everything else asks the core.
   */
  protected admit(): number {
    if (this.disposed) throw this.disposedError();
    const word = this.words[this.stateIndex];
    const state = stateOfWord(word);
    // Shedding refuses only calls a closed (or disabled) circuit would admit: refusals of such a
    // circuit are the shed ones (openError() tells them apart by the state).
    if (
      this.shedShare > 0 &&
      (state === State.CLOSED || state === State.DISABLED) &&
      (this.shedCredit += this.shedShare) >= 1
    ) {
      this.shedCredit -= 1;
      if (this.pendingRejections++ === 0 && !this.ticking) this.joinTick();
      return -1;
    }
    if (word === this.admitWord) return this.admitGeneration;
    this.flushPending();
    if (state === State.FORCED_OPEN || (state === State.OPEN && this.openDeadlineAhead(word))) {
      if (this.pendingRejections++ === 0 && !this.ticking) this.joinTick();
      return -1;
    }
    const ref = this.slot();
    const admitted = core.admit(ref.arenaId, ref.slot);
    const generation = admittedGeneration(core.scratch);
    this.afterOperation();
    if (admitted === 0) this.verifyOpenWord();
    return admitted === 1 ? generation : -1;
  }

  /**
   * Whether an OPEN circuit's deadline is still ahead, decided on the clock words without a
   * crossing. Serial 32-bit arithmetic is exact only for 2^31 ms, so JS compares only a state
   * word the core confirmed ahead less than TRUSTED_ERAS eras ago: after any idle period the core
   * decides again, on full-width time.
   */
  protected openDeadlineAhead(word: number): boolean {
    const clock = this.clockWords;
    if (pageParked(clock)) return false;
    demandPageTime(clock);
    if (word !== this.verifiedOpenWord || (pageEra(clock) - this.verifiedEra) >>> 0 >= TRUSTED_ERAS) return false;
    return ((this.words[this.stateIndex + 1] - pageNowMs32(clock)) | 0) > 0 && this.words[this.stateIndex] === word;
  }

  /** After the core refused a call: an OPEN state word is one JS may now compare itself (see openDeadlineAhead). */
  protected verifyOpenWord(): void {
    const word = this.words[this.stateIndex];
    if (stateOfWord(word) !== State.OPEN) return;
    this.verifiedOpenWord = word;
    this.verifiedEra = pageEra(this.clockWords);
  }

  /** @internal Called by the tick: folds this thread's counts; leaves the tick after two idle ticks. */
  tick(): boolean {
    if (this.disposed) return false;
    if (this.isStale()) {
      this.retire();
      return false;
    }
    const busy = this.pendingSuccesses() !== 0 || this.pendingRejections !== 0 || this.foldedSinceTick;
    this.flush();
    this.followTransitions();
    this.foldedSinceTick = false;
    if (busy) {
      this.idleTicks = 0;
      // Async code yields to the event loop, so the tick can pick its latency sample: the next
      // execute() takes the timed path (which re-arms the fast one), and the fast path counts nothing.
      this.asyncWord = NO_FAST_PATH;
      return true;
    }
    if (++this.idleTicks < 2) return true;
    // Off the tick, nothing would fold a count: the next call takes the slow path, which re-arms.
    this.ticking = false;
    this.syncWord = this.asyncWord = NO_FAST_PATH;
    return false;
  }

  protected joinTick(): void {
    this.ticking = true;
    this.idleTicks = 0;
    joinTick(this, this.tickClock());
  }

  /** A manual clock's breaker ticks on that clock's time (deterministic); others on the event loop's. */
  private tickClock(): ManualClock | undefined {
    return this.timers instanceof ManualClock ? this.timers : undefined;
  }

  protected flushPending(): void {
    this.fold(this.tally.generation);
  }

  /**
   * Whether a synchronous call that reached the end of its countdown is timed: the circuit must be
   * one the fast path admits anyway, and the last sample MIN_SAMPLE_SPACING_MS ago or more.
   */
  protected sampleDue(): boolean {
    const ref = this.ref;
    if (ref === undefined || this.words[this.stateIndex] !== this.syncWord) return true; // the slow path decides
    // Kept per slot in this thread's view of the arena, not on the breaker: an idle breaker stays small.
    const now = this.timers.now();
    if (now - ref.sampledAtMs[ref.slot] < MIN_SAMPLE_SPACING_MS) return false;
    ref.sampledAtMs[ref.slot] = now;
    return true;
  }

  /** Successes this thread counted in its lane that the window has not seen yet. */
  protected pendingSuccesses(): number {
    const ref = this.ref;
    return ref === undefined || ref.lane < 0 ? 0 : this.lanes[this.lane] - ref.folded[ref.slot];
  }

  /**
   * Takes the lane's unfolded successes: the caller records them (they are in the totals already).
   * A lane or fold mark written outside the core (the arena is shared memory) that reads no whole
   * count folds nothing; a record takes at most MAX_RECORD_COUNT, the rest waits for the next fold.
   */
  protected takePending(): number {
    const pending = this.pendingSuccesses();
    if (!(pending >= 1)) return 0;
    const count = Math.min(Math.floor(pending), MAX_RECORD_COUNT);
    this.ref!.folded[this.ref!.slot] += count;
    return count;
  }

  /** Folds this thread's lane into the window, under the generation its successes ran in. */
  protected fold(generation: number): void {
    const count = this.takePending();
    if (count <= 0) return;
    this.foldedSinceTick = true;
    this.record(generation, Outcome.countedSuccess, count, -1);
    this.afterOperation();
  }

  /**
   * Records an outcome in the core. A call still in flight when its breaker was disposed settles
   * without recording: the slot may already belong to another breaker.
   */
  protected record(generation: number, outcome: number, count: number, latencyUs: number): void {
    if (this.disposed || this.isStale()) return;
    const ref = this.slot();
    core.record(ref.arenaId, ref.slot, generation, outcome, count, latencyUs);
    if (outcome === Outcome.failure || outcome === Outcome.timeout) {
      // The run this failure extended, read back from the slot (other threads' failures in it too).
      (this.failureRuns ??= new FailureRuns()).note(slotConsecutiveFailures(this.words, this.stateIndex));
    }
  }

  /**
   * @internal The longest run of consecutive failures this thread's failures extended lately
   * (failure-runs.ts: 4 to 10 s for a reader once a second). `nowMs` is the reader's clock (a
   * registry's): every reader of a breaker reads on the same clock.
   */
  longestRecentFailureRun(nowMs: number): number {
    return this.failureRuns === undefined ? 0 : this.failureRuns.longest(nowMs);
  }

  /** Starts a new fast-path generation (folding the old one's successes) and the fast reactions bound to it. */
  protected startGeneration(generation: number): void {
    const old = this.tally;
    old.retired = true;
    this.failureRuns = undefined; // runs before a transition ended in it
    this.tally = new FastGeneration(generation);
    if (this.onFastSuccess !== undefined) this.bindAsync();
    if (old !== NO_GENERATION_YET) this.fold(old.generation);
  }

  /** A fast async call that succeeded after its generation ended: counted, moves nothing. */
  protected recordLateSuccess(generation: number): void {
    this.record(generation, Outcome.success, 1, -1);
    this.afterOperation();
  }

  protected manual(operation: (arena: number, slot: number) => number): void {
    this.flush();
    const ref = this.slot();
    operation(ref.arenaId, ref.slot);
    this.afterOperation();
  }

  /**
   * Re-reads the state word and emits the transition the last operation reported, if any, after
   * the outcome's own event (a failure is reported before the open it caused).
   */
  protected afterOperation(outcomeEvent?: () => void): void {
    const scratch = core.scratch;
    const transitioned = takeTransition(scratch);
    const from = transitionFrom(scratch);
    const to = transitionTo(scratch);
    const reason = transitionReason(scratch);
    const generation = transitionGeneration(scratch);
    this.refresh();
    outcomeEvent?.();
    if (transitioned) {
      this.announceMissed(previousGeneration(generation));
      this.announcedGeneration = generation;
      this.emitTransition(from, to, reason, generation);
    }
    this.followTransitions();
  }

  /**
   * @internal Announces the transitions other threads or processes sharing the slot made since this
   * view's last (a worker's trip, another process's on a host arena): run after each operation, on
   * the tick, and on its registry's tick (which runs whether or not this thread calls), so every
   * view of a shared breaker announces each of its transitions, its own as they happen and the
   * others' within a tick.
   */
  followTransitions(): void {
    this.announceMissed(generationOfWord(this.words[this.stateIndex]));
  }

  /**
   * Announces, oldest first, the transitions made elsewhere after announcedGeneration up to `upTo`,
   * from the slot's history (its last HISTORY_ENTRIES: a view that missed more announces those).
   */
  private announceMissed(upTo: number): void {
    const since = this.announcedGeneration;
    if (!isLaterGeneration(upTo, since) || this.ref === undefined || this.disposed || this.isStale()) return;
    this.announcedGeneration = upTo;
    const nowUs = readSlot(this.ref).nowUs;
    const nowMs = this.wallNow();
    for (const t of readHistory(this.ref)) {
      if (!isLaterGeneration(t.newGeneration, since) || isLaterGeneration(t.newGeneration, upTo)) continue;
      this.emitTransition(t.from, t.to, t.reason, t.newGeneration, nowMs - (nowUs - t.atUs) / 1000);
    }
  }

  /** Re-reads the state word and decides which paths may skip the core. */
  protected refresh(): void {
    if (this.disposed || this.ref === undefined) return;
    const word = this.words[this.stateIndex];
    const state = stateOfWord(word);
    if (state !== State.CLOSED && state !== State.DISABLED) {
      this.admitWord = this.syncWord = this.asyncWord = NO_FAST_PATH;
      return;
    }
    this.admitWord = word;
    this.admitGeneration = generationOfWord(word);
    if (this.tally.generation !== this.admitGeneration) this.startGeneration(this.admitGeneration);
    if (!this.ticking) this.joinTick();
    // Without a lane of its own (more threads than lanes) a thread records every call through the core.
    // The slot, not this view's options, says whether calls are timed: another view (a worker's, another
    // process's) may have turned a slow-call rule on, and this view's sampled calls bring it here.
    const untimed = !this.ref.arena.timesCalls(this.ref.slot) && !this.has('success') && this.ref.lane >= 0;
    if (this.shedShare > 0) {
      // Every call asks admit(), which sheds its share.
      this.admitWord = this.syncWord = this.asyncWord = NO_FAST_PATH;
      return;
    }
    this.syncWord = untimed ? word : NO_FAST_PATH;
    // The async fast path opens once execute() has been used (its first call takes the slow path).
    this.asyncWord = untimed && this.profile.timeout === 0 && this.onFastSuccess !== undefined ? word : NO_FAST_PATH;
  }

  /** Ms until an OPEN circuit admits a probe (the core decides, on full-width time); 0 in any other state. */
  protected retryAfterMs(): number {
    if (stateOfWord(this.words[this.stateIndex]) !== State.OPEN) return 0;
    return core.remainingMs(this.ref!.arenaId, this.ref!.slot);
  }

  protected elapsedUs(start: number): number {
    return Math.max(0, Math.floor((this.timers.now() - start) * 1000));
  }

  /** Wall-clock ms (or the manual clock's ms), for timestamps users read. */
  protected wallNow(): number {
    return this.timers === realTimers ? Date.now() : this.timers.now();
  }

  protected disposedError(): TypeError {
    return new TypeError(`breakwater: breaker "${this.name}" was disposed; create a new one`);
  }
}
