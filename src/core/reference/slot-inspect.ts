import { HISTORY_ENTRIES, HISTORY_ENTRY_BYTES, HISTORY_FIELDS, Slot, Snap, Total, WindowStat } from '../layout';
import { percentile } from '../histogram';
import { generationOf, laneSuccesses, LOW32, remainingOfState, stateOf, type Views } from './slot';
import { readWindow, recentBuckets, writeSpan } from './window';

/** native/core/slot_inspect.h: reads of a slot for metrics, snapshots and the early warning; they never move its state. */

/** A slot's state, window, percentiles and totals, as Snap lays them out. */
export function snapshotSlot(v: Views, base: number, nowUs: number, out: Float64Array): void {
  const w = Atomics.load(v.u64, (base + Slot.stateWord) >> 3);
  const state = stateOf(w);
  const gen = generationOf(w);
  out[Snap.state] = state;
  out[Snap.generation] = gen;
  out[Snap.remainingMs] = remainingOfState(v, base, w, nowUs);
  out[Snap.consecutiveFailures] = Atomics.load(v.u32, (base + Slot.consecutiveFailures) >> 2);
  out[Snap.reopens] = Atomics.load(v.u32, (base + Slot.reopens) >> 2);
  const h = Atomics.load(v.u64, (base + Slot.halfOpenWord) >> 3);
  const current = Number(h & LOW32) === gen;
  out[Snap.probesAdmitted] = current ? Number((h >> 32n) & 0xffffn) : 0;
  out[Snap.probeSuccesses] = current ? Number(h >> 48n) : 0;
  const sums = readWindow(v, base, nowUs);
  out[Snap.windowCalls] = sums.calls;
  out[Snap.windowSuccesses] = sums.successes;
  out[Snap.windowFailures] = sums.failures;
  out[Snap.windowSlowCalls] = sums.slowCalls;
  out[Snap.windowTimeouts] = sums.timeouts;
  out[Snap.windowRejections] = sums.rejections;
  out[Snap.p50Us] = percentile(sums.histogram, 0.5);
  out[Snap.p90Us] = percentile(sums.histogram, 0.9);
  out[Snap.p99Us] = percentile(sums.histogram, 0.99);
  out[Snap.latencySamples] = sums.histogram.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 8; i++) out[Snap.totalCalls + i] = Number(Atomics.load(v.u64, ((base + Slot.totals) >> 3) + i));
  out[Snap.totalCalls] += laneSuccesses(v, base);
  out[Snap.totalSuccesses] += laneSuccesses(v, base);
  const seq = Number(Atomics.load(v.u64, (base + Slot.transitionSeq) >> 3));
  out[Snap.transitionSeq] = seq;
  out[Snap.msSinceTransition] =
    seq === 0 ? -1 : (nowUs - Number(Atomics.load(v.i64, (base + Slot.lastTransitionUs) >> 3))) / 1000;
  out[Snap.nowUs] = nowUs;
}

/** One breaker's row of windowStats(), at `row` of `out`: its window and the window's recent quarter. */
export function windowStatsRow(v: Views, base: number, nowUs: number, out: Float64Array, row: number): void {
  out[row + WindowStat.state] = stateOf(Atomics.load(v.u64, (base + Slot.stateWord) >> 3));
  out[row + WindowStat.consecutiveFailures] = Atomics.load(v.u32, (base + Slot.consecutiveFailures) >> 2);
  const seq = Number(Atomics.load(v.u64, (base + Slot.transitionSeq) >> 3));
  out[row + WindowStat.msSinceTransition] =
    seq === 0 ? -1 : (nowUs - Number(Atomics.load(v.i64, (base + Slot.lastTransitionUs) >> 3))) / 1000;
  out[row + WindowStat.totalCalls] =
    Number(Atomics.load(v.u64, ((base + Slot.totals) >> 3) + Total.calls)) + laneSuccesses(v, base);
  out[row + WindowStat.totalRejections] = Number(Atomics.load(v.u64, ((base + Slot.totals) >> 3) + Total.rejections));
  writeSpan(out, row + WindowStat.window, readWindow(v, base, nowUs));
  writeSpan(out, row + WindowStat.recent, readWindow(v, base, nowUs, recentBuckets(v, base, nowUs)));
}

/** The slot's transition history, oldest first: up to HISTORY_ENTRIES entries of HISTORY_FIELDS. */
export function historyOf(v: Views, base: number, out: Float64Array): number {
  const seq = Number(Atomics.load(v.u64, (base + Slot.transitionSeq) >> 3));
  const count = Math.min(seq, HISTORY_ENTRIES);
  for (let i = 0; i < count; i++) {
    const entry = base + Slot.history + ((seq - count + i) % HISTORY_ENTRIES) * HISTORY_ENTRY_BYTES;
    const o = i * HISTORY_FIELDS;
    out[o] = Number(v.i64[entry >> 3]);
    out[o + 1] = v.u8[entry + 8];
    out[o + 2] = v.u8[entry + 9];
    out[o + 3] = v.u8[entry + 10];
    out[o + 4] = v.u32[(entry + 12) >> 2];
  }
  return count;
}
