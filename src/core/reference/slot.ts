/**
 * The reference core's view of a slot: typed views of an attached arena, the packed words of
 * native/LAYOUT.md, deadlines on full-width time, and the success lanes.
 */
import { GENERATION_MASK, HISTORY_ENTRIES, HISTORY_ENTRY_BYTES, Header, LANES, Slot, State } from '../layout';

/** Typed views of one attached arena. 64-bit fields go through BigUint64Array atomics. */
export interface Views {
  manual: boolean;
  slotBytes: number;
  bucketBytes: number;
  /** Whether buckets keep a latency histogram. */
  histogram: boolean;
  /** The histograms' bins. */
  u16: Uint16Array;
  u32: Uint32Array;
  i32: Int32Array;
  u64: BigUint64Array;
  i64: BigInt64Array;
  f64: Float64Array;
  u8: Uint8Array;
}

export const LOW32 = 0xffffffffn;

export function addTotal(v: Views, base: number, total: number, count: number): void {
  Atomics.add(v.u64, ((base + Slot.totals) >> 3) + total, BigInt(count));
}

export function halfOpenWord(gen: number, admitted: number, successes: number): bigint {
  return BigInt(gen >>> 0) | (BigInt(admitted) << 32n) | (BigInt(successes) << 48n);
}

export const stateOf = (w: bigint): number => Number(w & 0xfn);
export const generationOf = (w: bigint): number => Number((w >> 4n) & BigInt(GENERATION_MASK));
export const deadlineOf = (w: bigint): number => Number(w >> 32n);
/** Serial-number order of 28-bit generations: whether a came after b. */
export const isNewerGeneration = (a: number, b: number): boolean => ((((a - b) & GENERATION_MASK) << 4) | 0) > 0;
export const ms32 = (nowUs: number): number => Math.floor(nowUs / 1000) >>> 0;
export const stateWord = (state: number, generation: number, deadline: number): bigint =>
  BigInt(((generation << 4) | state) >>> 0) | (BigInt(deadline >>> 0) << 32n);

/**
 * Gives a slot back (LAYOUT.md "release"): all zero but the epoch, bumped, and the state word,
 * CLOSED in the next generation. Returns the new epoch.
 */
export function releaseSlot(v: Views, base: number): number {
  const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
  const epoch = (Atomics.load(v.u32, (base + Slot.epoch) >> 2) + 1) >>> 0;
  for (let word = base >> 3; word < (base + v.slotBytes) >> 3; word++) Atomics.store(v.u64, word, 0n);
  Atomics.store(v.u32, (base + Slot.epoch) >> 2, epoch);
  Atomics.store(
    v.u64,
    (base + Slot.stateWord) >> 3,
    stateWord(State.CLOSED, (generationOf(w) + 1) & GENERATION_MASK, 0),
  );
  return epoch;
}

/** remaining() for any state: 0 without a deadline (OPEN always has one, HALF_OPEN with a half-open timeout). */
export function remainingOfState(v: Views, base: number, w: bigint, nowUs: number): number {
  const state = stateOf(w);
  const hasDeadline =
    state === State.OPEN || (state === State.HALF_OPEN && v.u32[(base + Slot.halfOpenTimeoutMs) >> 2] > 0);
  return hasDeadline ? remaining(v, base, w, nowUs) : 0;
}

/**
 * Ms until w's deadline, 0 once reached (LAYOUT.md "Time"): the serial comparison, confirmed
 * from the full-width time of the transition that set the deadline, so a slot idle for weeks
 * never counts it as ahead again.
 */
export function remaining(v: Views, base: number, w: bigint, nowUs: number): number {
  const deadline = deadlineOf(w);
  if (reached(ms32(nowUs), deadline)) return 0;
  const serial = (deadline - ms32(nowUs)) >>> 0;
  const seq = Number(Atomics.load(v.u64, (base + Slot.transitionSeq) >> 3));
  if (seq === 0) return serial;
  const entry = base + Slot.history + ((seq - 1) % HISTORY_ENTRIES) * HISTORY_ENTRY_BYTES;
  if (Atomics.load(v.u32, (entry + 12) >> 2) !== generationOf(w) || v.u8[entry + 9] !== stateOf(w)) return serial;
  const setAtMs = Math.floor(Number(Atomics.load(v.i64, entry >> 3)) / 1000);
  const period = (deadline - setAtMs) >>> 0;
  return Math.max(0, setAtMs + period - Math.floor(nowUs / 1000));
}

const ALL_LANES = 2 ** LANES - 1;

/**
 * Claims the lane of the lowest free claim of the arena (bit k of its mask records claim k), or -1
 * when all are taken. Claim k takes lane (k >> 1) | ((k & 1) << 3), as lanes.h: the first threads
 * count in different cache lines.
 */
export function claimLane(v: Views): number {
  const at = Header.lanesClaimed >> 2;
  for (;;) {
    const taken = Atomics.load(v.i32, at);
    const free = ~taken & ALL_LANES;
    if (free === 0) return -1;
    const lowest = free & -free;
    if (Atomics.compareExchange(v.i32, at, taken, taken | lowest) === taken) {
      const claim = 31 - Math.clz32(lowest);
      return (claim >> 1) | ((claim & 1) << 3);
    }
  }
}

export function laneSum(v: Views, base: number): number {
  let sum = 0;
  for (let lane = 0; lane < LANES; lane++) sum += v.f64[((base + Slot.lanes) >> 3) + lane];
  return sum;
}

/** Successes the threads counted in their lanes since the last reset: part of the call and success totals. */
export function laneSuccesses(v: Views, base: number): number {
  return Math.max(0, laneSum(v, base) - v.f64[(base + Slot.laneBaseline) >> 3]);
}
/** Serial-number comparison of 32-bit ms deadlines: true once now has reached the deadline. */
export const reached = (now32: number, deadline: number): boolean => ((now32 - deadline) | 0) >= 0;
