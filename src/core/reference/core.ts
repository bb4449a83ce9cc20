import { Arena } from '../arena';
import {
  bucketBytesFor,
  GENERATION_MASK,
  HEADER_BYTES,
  HISTORY_ENTRIES,
  HISTORY_ENTRY_BYTES,
  MAX_PERIOD_MS,
  Header,
  Outcome,
  Reason,
  SCRATCH_SIZE,
  WINDOW_STATS_SIZE,
  Scratch,
  Slot,
  State,
  Total,
} from '../layout';
import type { CoreBackend } from '../types';
import {
  addTotal,
  claimLane,
  generationOf,
  halfOpenWord,
  isNewerGeneration,
  laneSum,
  LOW32,
  ms32,
  remaining,
  releaseSlot,
  remainingOfState,
  stateOf,
  stateWord,
  type Views,
} from './slot';
import { configureSlot } from './slot-config';
import { historyOf, snapshotSlot, windowStatsRow } from './slot-inspect';
import { addRejections, addToWindow, clearWindow, readWindow } from './window';

/** Taken when the module loads: fake-timer libraries that later replace `performance` can't break the clock. */
const TIME_ORIGIN = performance.timeOrigin;
const monotonicNow = performance.now.bind(performance);

/**
 * The reference core: the contract of native/LAYOUT.md in plain TypeScript over the same arena
 * layout. It is the fallback when the addon cannot load and the oracle in differential tests,
 * so it favours being obviously right over being fast.
 */
export class ReferenceCore implements CoreBackend {
  readonly kind = 'reference' as const;
  readonly scratch = new Int32Array(SCRATCH_SIZE);
  private readonly arenas: Views[] = [];
  /** Always parked: JavaScript asks this core for the time. */
  private readonly page = Int32Array.of(0, 1, 0, 0);

  attach(buffer: ArrayBufferLike): number {
    const arena = Arena.from(buffer, 'attach: buffer');
    this.arenas.push({
      manual: arena.manualClock,
      slotBytes: arena.slotBytes,
      bucketBytes: bucketBytesFor(arena.bins),
      histogram: arena.bins > 0,
      u16: new Uint16Array(buffer),
      u32: new Uint32Array(buffer),
      i32: new Int32Array(buffer),
      u64: new BigUint64Array(buffer),
      i64: new BigInt64Array(buffer),
      f64: new Float64Array(buffer),
      u8: new Uint8Array(buffer),
    });
    return this.arenas.length - 1;
  }

  clockPage(): Int32Array {
    return this.page;
  }

  monotonicNowUs(): number {
    return Math.floor((TIME_ORIGIN + monotonicNow()) * 1000);
  }

  nowUs(arena: number): number {
    return this.now(this.views(arena));
  }

  admit(arena: number, slot: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    const nowUs = this.now(v);
    const now32 = ms32(nowUs);
    this.scratch[Scratch.transitioned] = 0;
    for (;;) {
      const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
      const state = stateOf(w);
      const gen = generationOf(w);
      if (state === State.CLOSED || state === State.DISABLED) {
        this.scratch[Scratch.generation] = gen;
        return 1;
      }
      if (state !== State.OPEN && state !== State.HALF_OPEN) break; // FORCED_OPEN, or a state this version does not know
      if (state === State.OPEN) {
        if (remaining(v, base, w, nowUs) > 0) break;
        // One transition per operation: a circuit that moved again under us waits for the next call.
        if (this.scratch[Scratch.transitioned] === 1) break;
        const halfOpenTimeout = v.u32[(base + Slot.halfOpenTimeoutMs) >> 2];
        const deadline = halfOpenTimeout > 0 ? (now32 + halfOpenTimeout) >>> 0 : 0;
        this.transition(v, base, w, State.HALF_OPEN, deadline, Reason.RECOVERY_TIMEOUT, nowUs);
        continue;
      }
      // HALF_OPEN
      if (v.u32[(base + Slot.halfOpenTimeoutMs) >> 2] > 0 && remaining(v, base, w, nowUs) === 0) {
        if (this.scratch[Scratch.transitioned] === 1) break;
        if (this.reopen(v, base, w, Reason.HALF_OPEN_TIMEOUT, nowUs)) break;
        continue;
      }
      const probe = this.takeProbe(v, base, gen, now32);
      if (probe === 'taken') {
        this.scratch[Scratch.generation] = gen;
        return 1;
      }
      // Every probe out, the newest for the call timeout: its holder died or stopped (breaker_slot.h).
      if (probe === 'full' && probesOverdue(v, base, now32)) {
        if (this.scratch[Scratch.transitioned] === 1) break;
        if (this.reopen(v, base, w, Reason.HALF_OPEN_TIMEOUT, nowUs)) break;
        continue;
      }
      if (probe === 'full') break;
      // A newer half-open word means the state word moved on; one that did not move was written
      // outside the core (the arena is shared memory): refuse, never wait for it.
      if (probe === 'stale' && Atomics.load(v.u64, (base + Slot.stateWord) >> 3) === w) break;
    }
    addRejections(v, base, 1, nowUs);
    return 0;
  }

  record(arena: number, slot: number, generation: number, outcome: number, count: number, latencyUs: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    const nowUs = this.now(v);
    this.scratch[Scratch.transitioned] = 0;
    const slowDuration = Number(Atomics.load(v.u64, (base + Slot.slowCallDurationUs) >> 3));
    const slow = latencyUs >= 0 && slowDuration > 0 && latencyUs >= slowDuration;
    // Counted successes are already in a lane, the totals of their calls and successes.
    const inLanes = outcome === Outcome.countedSuccess;
    if (inLanes) outcome = Outcome.success;
    const failed = outcome === Outcome.failure || outcome === Outcome.timeout;

    if (!inLanes) addTotal(v, base, Total.calls, count);
    if (outcome === Outcome.success && !inLanes) addTotal(v, base, Total.successes, count);
    if (failed) addTotal(v, base, Total.failures, count);
    if (outcome === Outcome.timeout) addTotal(v, base, Total.timeouts, count);
    if (outcome === Outcome.ignored) addTotal(v, base, Total.ignored, count);
    if (slow) addTotal(v, base, Total.slowCalls, 1);
    addToWindow(v, base, outcome, count, slow, latencyUs, nowUs);

    const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
    if (generationOf(w) !== generation) return 0;
    const state = stateOf(w);
    if (state === State.CLOSED) {
      if (outcome === Outcome.success) {
        const consecutive = (base + Slot.consecutiveFailures) >> 2;
        if (Atomics.load(v.u32, consecutive) !== 0) Atomics.store(v.u32, consecutive, 0);
        if (slow) this.evaluateRules(v, base, w, 0, nowUs, false);
      } else if (failed) {
        const consecutive = Atomics.add(v.u32, (base + Slot.consecutiveFailures) >> 2, 1) + 1;
        this.evaluateRules(v, base, w, consecutive, nowUs, true);
      }
    } else if (state === State.HALF_OPEN) {
      if (outcome === Outcome.success) this.probeSucceeded(v, base, w, count, nowUs);
      else if (failed) this.reopen(v, base, w, Reason.PROBE_FAILURE, nowUs);
      else if (outcome === Outcome.ignored) this.returnProbe(v, base, generation);
    }
    return this.scratch[Scratch.transitioned];
  }

  rejected(arena: number, slot: number, count: number): void {
    const v = this.views(arena);
    addRejections(v, this.base(v, slot), count, this.now(v));
  }

  forceOpen(arena: number, slot: number): number {
    return this.moveTo(arena, slot, State.FORCED_OPEN, Reason.FORCE_OPEN);
  }

  disable(arena: number, slot: number): number {
    return this.moveTo(arena, slot, State.DISABLED, Reason.DISABLE);
  }

  close(arena: number, slot: number): number {
    const moved = this.moveTo(arena, slot, State.CLOSED, Reason.MANUAL_CLOSE);
    // From a closed circuit too: what closing clears is cleared, without a transition.
    if (moved === 0) {
      const v = this.views(arena);
      clearClosedPeriod(v, this.base(v, slot));
    }
    return moved;
  }

  reset(arena: number, slot: number): number {
    const moved = this.moveTo(arena, slot, State.CLOSED, Reason.RESET);
    const v = this.views(arena);
    const base = this.base(v, slot);
    for (let i = 0; i < 8; i++) Atomics.store(v.u64, ((base + Slot.totals) >> 3) + i, 0n);
    v.f64[(base + Slot.laneBaseline) >> 3] = laneSum(v, base);
    clearClosedPeriod(v, base);
    return moved;
  }

  restore(arena: number, slot: number, state: number, remainingMs: number, reopens: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    const nowUs = this.now(v);
    this.scratch[Scratch.transitioned] = 0;
    const target = state === State.HALF_OPEN ? State.OPEN : state;
    const deadline = target === State.OPEN ? (ms32(nowUs) + remainingMs) >>> 0 : 0;
    for (;;) {
      const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
      if (!this.transition(v, base, w, target, deadline, Reason.RESTORE, nowUs)) continue;
      // After the transition, which resets the count when it closes: the snapshot is authoritative.
      Atomics.store(v.u32, (base + Slot.reopens) >> 2, reopens >>> 0);
      return 1;
    }
  }

  claimLane(arena: number): number {
    return claimLane(this.views(arena));
  }

  release(arena: number, slot: number): number {
    const v = this.views(arena);
    return releaseSlot(v, this.base(v, slot));
  }

  remainingMs(arena: number, slot: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    return remainingOfState(v, base, Atomics.load(v.u64, (base + Slot.stateWord) >> 3), this.now(v));
  }

  clusterMove(arena: number, slot: number, state: number, periodMs: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    const nowUs = this.now(v);
    this.scratch[Scratch.transitioned] = 0;
    const deadline = state === State.OPEN ? (ms32(nowUs) + Math.min(periodMs, MAX_PERIOD_MS)) >>> 0 : 0;
    for (;;) {
      const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
      const current = stateOf(w);
      if (current === State.FORCED_OPEN || current === State.DISABLED) return 0;
      if (state === State.CLOSED && current === State.CLOSED) return 0;
      if (this.transition(v, base, w, state, deadline, Reason.CLUSTER, nowUs)) return 1;
    }
  }

  preOpen(arena: number, slot: number, periodMs: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    const nowUs = this.now(v);
    this.scratch[Scratch.transitioned] = 0;
    const deadline = (ms32(nowUs) + Math.min(periodMs, MAX_PERIOD_MS)) >>> 0;
    for (;;) {
      const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
      if (stateOf(w) !== State.CLOSED) return 0;
      if (this.transition(v, base, w, State.OPEN, deadline, Reason.PREDICTED, nowUs)) return 1;
    }
  }

  configure(arena: number, slot: number, config: Float64Array): void {
    const v = this.views(arena);
    configureSlot(v, this.base(v, slot), config);
  }

  snapshot(arena: number, slot: number, out: Float64Array): void {
    const v = this.views(arena);
    snapshotSlot(v, this.base(v, slot), this.now(v), out);
  }

  windowStats(arena: number, slots: Int32Array, out: Float64Array): void {
    const v = this.views(arena);
    if (!(slots instanceof Int32Array)) throw new TypeError('slots must be a Int32Array');
    if (!(out instanceof Float64Array)) throw new TypeError('out must be a Float64Array');
    if (out.length < slots.length * WINDOW_STATS_SIZE) {
      throw new RangeError(`out must have at least ${slots.length * WINDOW_STATS_SIZE} elements, got ${out.length}`);
    }
    const bases = Array.from(slots, (slot) => this.base(v, slot));
    const nowUs = this.now(v);
    bases.forEach((base, i) => windowStatsRow(v, base, nowUs, out, i * WINDOW_STATS_SIZE));
  }

  history(arena: number, slot: number, out: Float64Array): number {
    const v = this.views(arena);
    return historyOf(v, this.base(v, slot), out);
  }

  // --- state machine -------------------------------------------------------------------------

  /** CAS the state word from w; only the winner does the side effects and reports the transition. */
  private transition(
    v: Views,
    base: number,
    w: bigint,
    to: number,
    deadline: number,
    reason: number,
    nowUs: number,
  ): boolean {
    const newGeneration = (generationOf(w) + 1) & GENERATION_MASK;
    const next = stateWord(to, newGeneration, deadline);
    if (Atomics.compareExchange(v.u64, (base + Slot.stateWord) >> 3, w, next) !== w) return false;
    const from = stateOf(w);
    if (to === State.OPEN && from !== State.OPEN) addTotal(v, base, Total.opens, 1); // open staying open: no new open
    const seq = Number(Atomics.add(v.u64, (base + Slot.transitionSeq) >> 3, 1n));
    const entry = base + Slot.history + (seq % HISTORY_ENTRIES) * HISTORY_ENTRY_BYTES;
    // The time first, the generation last: remaining() trusts the time once it sees the generation.
    Atomics.store(v.i64, entry >> 3, BigInt(nowUs));
    v.u8[entry + 8] = from;
    v.u8[entry + 9] = to;
    v.u8[entry + 10] = reason;
    Atomics.store(v.u32, (entry + 12) >> 2, newGeneration);
    Atomics.store(v.i64, (base + Slot.lastTransitionUs) >> 3, BigInt(nowUs));
    if (to === State.CLOSED) clearClosedPeriod(v, base);
    const s = this.scratch;
    s[Scratch.transitioned] = 1;
    s[Scratch.from] = from;
    s[Scratch.to] = to;
    s[Scratch.reason] = reason;
    s[Scratch.newGeneration] = newGeneration;
    return true;
  }

  /** HALF_OPEN -> OPEN with the next, longer, open period. */
  private reopen(v: Views, base: number, w: bigint, reason: number, nowUs: number): boolean {
    const reopens = Atomics.load(v.u32, (base + Slot.reopens) >> 2);
    const newGeneration = (generationOf(w) + 1) & GENERATION_MASK;
    const deadline = (ms32(nowUs) + this.openPeriod(v, base, reopens + 1, newGeneration)) >>> 0;
    if (!this.transition(v, base, w, State.OPEN, deadline, reason, nowUs)) return false;
    Atomics.store(v.u32, (base + Slot.reopens) >> 2, reopens + 1);
    return true;
  }

  private trip(v: Views, base: number, w: bigint, reason: number, nowUs: number): boolean {
    const reopens = Atomics.load(v.u32, (base + Slot.reopens) >> 2);
    const newGeneration = (generationOf(w) + 1) & GENERATION_MASK;
    const deadline = (ms32(nowUs) + this.openPeriod(v, base, reopens, newGeneration)) >>> 0;
    return this.transition(v, base, w, State.OPEN, deadline, reason, nowUs);
  }

  private openPeriod(v: Views, base: number, reopens: number, newGeneration: number): number {
    const recovery = v.u32[(base + Slot.recoveryTimeoutMs) >> 2];
    const factor = v.f64[(base + Slot.backoffFactor) >> 3];
    const jitter = v.f64[(base + Slot.jitter) >> 3];
    const grown =
      factor === 1
        ? recovery
        : Math.min(recovery * Math.pow(factor, reopens), v.u32[(base + Slot.maxRecoveryTimeoutMs) >> 2]);
    const u = (Math.imul(newGeneration, 0x9e3779b1) >>> 0) / 2 ** 32;
    return Math.floor(grown * (1 - jitter * u));
  }

  private evaluateRules(v: Views, base: number, w: bigint, consecutive: number, nowUs: number, failed: boolean): void {
    const threshold = v.u32[(base + Slot.failureThreshold) >> 2];
    if (failed && threshold > 0 && consecutive >= threshold) {
      this.trip(v, base, w, Reason.CONSECUTIVE_FAILURES, nowUs);
      return;
    }
    const failureRate = v.f64[(base + Slot.failureRateThreshold) >> 3];
    const slowRate = v.f64[(base + Slot.slowCallRateThreshold) >> 3];
    if (failureRate <= 0 && slowRate <= 0) return;
    const sums = readWindow(v, base, nowUs);
    const n = sums.successes + sums.failures;
    if (n === 0 || n < v.u32[(base + Slot.minimumCalls) >> 2]) return;
    if (failed && failureRate > 0 && sums.failures / n >= failureRate) {
      this.trip(v, base, w, Reason.FAILURE_RATE, nowUs);
    } else if (slowRate > 0 && sums.slowCalls / n >= slowRate) {
      this.trip(v, base, w, Reason.SLOW_CALL_RATE, nowUs);
    }
  }

  /** 'retry': another call changed the half-open word first; 'stale': it belongs to a newer generation than `gen`. */
  private takeProbe(v: Views, base: number, gen: number, now32: number): 'taken' | 'full' | 'retry' | 'stale' {
    const index = (base + Slot.halfOpenWord) >> 3;
    const h = Atomics.load(v.u64, index);
    if (isNewerGeneration(Number(h & LOW32), gen)) return 'stale';
    const current = Number(h & LOW32) === gen;
    const admitted = current ? Number((h >> 32n) & 0xffffn) : 0;
    const successes = current ? Number(h >> 48n) : 0;
    if (admitted >= v.u32[(base + Slot.halfOpenMaxCalls) >> 2]) return 'full';
    Atomics.store(v.u32, (base + Slot.probeGrantedMs32) >> 2, now32); // before the grant, as the native core
    return Atomics.compareExchange(v.u64, index, h, halfOpenWord(gen, admitted + 1, successes)) === h
      ? 'taken'
      : 'retry';
  }

  private probeSucceeded(v: Views, base: number, w: bigint, count: number, nowUs: number): void {
    const gen = generationOf(w);
    const index = (base + Slot.halfOpenWord) >> 3;
    for (;;) {
      const h = Atomics.load(v.u64, index);
      if (isNewerGeneration(Number(h & LOW32), gen)) return; // a newer half-open period: not ours to touch
      const current = Number(h & LOW32) === gen;
      const admitted = current ? Number((h >> 32n) & 0xffffn) : 0;
      const successes = Math.min(0xffff, (current ? Number(h >> 48n) : 0) + count);
      if (Atomics.compareExchange(v.u64, index, h, halfOpenWord(gen, admitted, successes)) !== h) continue;
      if (successes >= v.u32[(base + Slot.halfOpenSuccessThreshold) >> 2]) {
        this.transition(v, base, w, State.CLOSED, 0, Reason.PROBE_SUCCESS, nowUs);
      }
      return;
    }
  }

  private returnProbe(v: Views, base: number, gen: number): void {
    const index = (base + Slot.halfOpenWord) >> 3;
    for (;;) {
      const h = Atomics.load(v.u64, index);
      if (Number(h & LOW32) !== gen) return;
      const admitted = Number((h >> 32n) & 0xffffn);
      if (admitted === 0) return;
      if (Atomics.compareExchange(v.u64, index, h, halfOpenWord(gen, admitted - 1, Number(h >> 48n))) === h) return;
    }
  }

  private moveTo(arena: number, slot: number, to: number, reason: number): number {
    const v = this.views(arena);
    const base = this.base(v, slot);
    const nowUs = this.now(v);
    this.scratch[Scratch.transitioned] = 0;
    for (;;) {
      const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
      if (stateOf(w) === to) return 0;
      if (this.transition(v, base, w, to, 0, reason, nowUs)) return 1;
    }
  }

  // --- plumbing ------------------------------------------------------------------------------

  private views(arena: number): Views {
    const v = this.arenas[arena];
    if (v === undefined) throw new RangeError(`breakwater: unknown arena id ${arena}`);
    return v;
  }

  private base(v: Views, slot: number): number {
    const capacity = v.u32[Header.capacity >> 2];
    if (!Number.isInteger(slot) || slot < 0 || slot >= capacity) {
      throw new RangeError(`breakwater: slot ${slot} is outside the arena (0..${capacity - 1})`);
    }
    return HEADER_BYTES + slot * v.slotBytes;
  }

  private now(v: Views): number {
    if (v.manual) return Number(Atomics.load(v.i64, Header.manualNowUs >> 3));
    return this.monotonicNowUs();
  }
}

/** Whether the newest probe was granted at least the call timeout ago (unsigned ms32, as the native core). */
function probesOverdue(v: Views, base: number, now32: number): boolean {
  const timeout = v.u32[(base + Slot.probeTimeoutMs) >> 2];
  return timeout > 0 && (now32 - Atomics.load(v.u32, (base + Slot.probeGrantedMs32) >> 2)) >>> 0 >= timeout;
}

/** What a closed period starts without: the failure run, the backoff and the window. */
function clearClosedPeriod(v: Views, base: number): void {
  Atomics.store(v.u32, (base + Slot.consecutiveFailures) >> 2, 0);
  Atomics.store(v.u32, (base + Slot.reopens) >> 2, 0);
  clearWindow(v, base);
}
