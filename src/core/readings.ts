import type { SlotRef } from './pool';
import { HISTORY_ENTRIES, HISTORY_FIELDS, Reason, SNAPSHOT_SIZE, Snap, State } from './layout';
import { core } from './select';

/**
 * A slot read in one crossing, decoded from the core's snapshot vector: the only reader of that
 * vector's layout. Counts of the window, lifetime totals and latency percentiles (µs, NaN when no
 * call was timed).
 */
export interface SlotReading {
  readonly state: number;
  readonly generation: number;
  /** Open time left, ms (0 unless OPEN). */
  readonly remainingMs: number;
  readonly consecutiveFailures: number;
  readonly reopens: number;
  readonly window: {
    readonly calls: number;
    readonly successes: number;
    readonly failures: number;
    readonly slowCalls: number;
    readonly timeouts: number;
    readonly rejections: number;
    readonly p50Us: number;
    readonly p90Us: number;
    readonly p99Us: number;
    readonly latencySamples: number;
  };
  readonly totals: {
    readonly calls: number;
    readonly successes: number;
    readonly failures: number;
    readonly slowCalls: number;
    readonly timeouts: number;
    readonly rejections: number;
    readonly opens: number;
    readonly ignored: number;
  };
  /** The core's clock when read, µs. */
  readonly nowUs: number;
}

/** One transition of the slot's history ring. */
export interface TransitionReading {
  readonly atUs: number;
  readonly from: number;
  readonly to: number;
  readonly reason: number;
  readonly newGeneration: number;
}

const snapshot = new Float64Array(SNAPSHOT_SIZE);
const history = new Float64Array(HISTORY_ENTRIES * HISTORY_FIELDS);

export function readSlot(ref: SlotRef): SlotReading {
  const s = snapshot;
  core.snapshot(ref.arenaId, ref.slot, s);
  return {
    state: s[Snap.state],
    generation: s[Snap.generation],
    remainingMs: s[Snap.remainingMs],
    consecutiveFailures: s[Snap.consecutiveFailures],
    reopens: s[Snap.reopens],
    window: {
      calls: s[Snap.windowCalls],
      successes: s[Snap.windowSuccesses],
      failures: s[Snap.windowFailures],
      slowCalls: s[Snap.windowSlowCalls],
      timeouts: s[Snap.windowTimeouts],
      rejections: s[Snap.windowRejections],
      p50Us: s[Snap.p50Us],
      p90Us: s[Snap.p90Us],
      p99Us: s[Snap.p99Us],
      latencySamples: s[Snap.latencySamples],
    },
    totals: {
      calls: s[Snap.totalCalls],
      successes: s[Snap.totalSuccesses],
      failures: s[Snap.totalFailures],
      slowCalls: s[Snap.totalSlowCalls],
      timeouts: s[Snap.totalTimeouts],
      rejections: s[Snap.totalRejections],
      opens: s[Snap.totalOpens],
      ignored: s[Snap.totalIgnored],
    },
    nowUs: s[Snap.nowUs],
  };
}

/** The slot's last transitions (up to HISTORY_ENTRIES), oldest first. */
export function readHistory(ref: SlotRef): TransitionReading[] {
  const count = core.history(ref.arenaId, ref.slot, history);
  const readings: TransitionReading[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * HISTORY_FIELDS;
    const reading = {
      atUs: history[o],
      from: history[o + 1],
      to: history[o + 2],
      reason: history[o + 3],
      newGeneration: history[o + 4],
    };
    // An entry the core never wrote (a slot written over in shared memory) is no transition: left
    // out, or one bad slot made every registry-wide reading (health, the dashboard) throw.
    if (isStateCode(reading.from) && isStateCode(reading.to) && isReasonCode(reading.reason)) readings.push(reading);
  }
  return readings;
}

const STATE_CODES: ReadonlySet<number> = new Set(Object.values(State));
const REASON_CODES: ReadonlySet<number> = new Set(Object.values(Reason).filter((code) => code !== Reason.NONE));
const isStateCode = (code: number): boolean => STATE_CODES.has(code);
const isReasonCode = (code: number): boolean => REASON_CODES.has(code);
