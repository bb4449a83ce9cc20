import { HISTORY_ENTRIES, HISTORY_FIELDS, SNAPSHOT_SIZE, Snap, State } from './core/layout';
import type { SlotRef } from './core/pool';
import { core } from './core/select';
import { effectiveStateName, reasonName, stateName, type StateChange, type StateName } from './state';

/** What getMetrics() returns. Totals are lifetime; rates and latency cover the sliding window. */
export interface BreakerMetrics {
  name: string;
  labels: Readonly<Record<string, string>>;
  state: StateName;
  totalCalls: number;
  successes: number;
  failures: number;
  rejections: number;
  timeouts: number;
  slowCalls: number;
  /** Calls whose error isFailure() did not count. */
  ignored: number;
  /** Transitions into OPEN (trips and reopens). */
  opens: number;
  /** failures / (successes + failures) in the window, 0 when empty. */
  failureRate: number;
  /** rejections / (calls + rejections) in the window. */
  rejectionRate: number;
  /** slowCalls / (successes + failures) in the window. */
  slowCallRate: number;
  window: {
    calls: number;
    successes: number;
    failures: number;
    rejections: number;
    timeouts: number;
    slowCalls: number;
  };
  /** Percentiles in ms over the window's timed calls (every call when a slow-call rule is set, else 1 synchronous call in 256 and 1 async call per tick); null when none. */
  latency: { p50: number | null; p90: number | null; p99: number | null; samples: number };
  consecutiveFailures: number;
  /** Consecutive reopens since the last clean close (drives the backoff). */
  reopens: number;
  /** Milliseconds until an open circuit admits a probe (0 once it would: `state` then reads 'half-open'). */
  retryAfterMs: number;
  /** The last transitions (up to 8), oldest first. */
  stateChanges: StateChange[];
}

const snapshot = new Float64Array(SNAPSHOT_SIZE);
const history = new Float64Array(HISTORY_ENTRIES * HISTORY_FIELDS);

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);
const ms = (us: number): number | null => (Number.isNaN(us) ? null : us / 1000);

/** Reads a slot's snapshot and history from the core into a plain object. */
export function readMetrics(
  ref: SlotRef,
  name: string,
  labels: Readonly<Record<string, string>>,
  nowMs: number,
): BreakerMetrics {
  core.snapshot(ref.arenaId, ref.slot, snapshot);
  const s = snapshot;
  const count = core.history(ref.arenaId, ref.slot, history);
  const stateChanges: StateChange[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * HISTORY_FIELDS;
    stateChanges.push({
      from: stateName(history[o + 1]),
      to: stateName(history[o + 2]),
      reason: reasonName(history[o + 3]),
      generation: history[o + 4],
      at: nowMs - (s[Snap.nowUs] - history[o]) / 1000,
    });
  }
  const decided = s[Snap.windowSuccesses] + s[Snap.windowFailures];
  return {
    name,
    labels,
    state: effectiveStateName(s[Snap.state], s[Snap.remainingMs]),
    totalCalls: s[Snap.totalCalls],
    successes: s[Snap.totalSuccesses],
    failures: s[Snap.totalFailures],
    rejections: s[Snap.totalRejections],
    timeouts: s[Snap.totalTimeouts],
    slowCalls: s[Snap.totalSlowCalls],
    ignored: s[Snap.totalIgnored],
    opens: s[Snap.totalOpens],
    failureRate: ratio(s[Snap.windowFailures], decided),
    rejectionRate: ratio(s[Snap.windowRejections], s[Snap.windowCalls] + s[Snap.windowRejections]),
    slowCallRate: ratio(s[Snap.windowSlowCalls], decided),
    window: {
      calls: s[Snap.windowCalls],
      successes: s[Snap.windowSuccesses],
      failures: s[Snap.windowFailures],
      rejections: s[Snap.windowRejections],
      timeouts: s[Snap.windowTimeouts],
      slowCalls: s[Snap.windowSlowCalls],
    },
    latency: {
      p50: ms(s[Snap.p50Us]),
      p90: ms(s[Snap.p90Us]),
      p99: ms(s[Snap.p99Us]),
      samples: s[Snap.latencySamples],
    },
    consecutiveFailures: s[Snap.consecutiveFailures],
    reopens: s[Snap.reopens],
    retryAfterMs: s[Snap.state] === State.OPEN ? s[Snap.remainingMs] : 0,
    stateChanges,
  };
}
