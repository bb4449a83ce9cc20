import { State } from './core/layout';
import type { SlotRef } from './core/pool';
import { readHistory, readSlot } from './core/readings';
import { effectiveStateName, isDeadlineMove, reasonName, stateName, type StateChange, type StateName } from './state';

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

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);
const ms = (us: number): number | null => (Number.isNaN(us) ? null : us / 1000);

/** Reads a slot's snapshot and history from the core into a plain object. */
export function readMetrics(
  ref: SlotRef,
  name: string,
  labels: Readonly<Record<string, string>>,
  nowMs: number,
): BreakerMetrics {
  const s = readSlot(ref);
  const stateChanges: StateChange[] = readHistory(ref)
    .filter((t) => !isDeadlineMove(t.from, t.to, t.reason))
    .map((t) => ({
      from: stateName(t.from),
      to: stateName(t.to),
      reason: reasonName(t.reason),
      generation: t.newGeneration,
      at: nowMs - (s.nowUs - t.atUs) / 1000,
    }));
  const decided = s.window.successes + s.window.failures;
  return {
    name,
    labels,
    state: effectiveStateName(s.state, s.remainingMs),
    totalCalls: s.totals.calls,
    successes: s.totals.successes,
    failures: s.totals.failures,
    rejections: s.totals.rejections,
    timeouts: s.totals.timeouts,
    slowCalls: s.totals.slowCalls,
    ignored: s.totals.ignored,
    opens: s.totals.opens,
    failureRate: ratio(s.window.failures, decided),
    rejectionRate: ratio(s.window.rejections, s.window.calls + s.window.rejections),
    slowCallRate: ratio(s.window.slowCalls, decided),
    window: {
      calls: s.window.calls,
      successes: s.window.successes,
      failures: s.window.failures,
      rejections: s.window.rejections,
      timeouts: s.window.timeouts,
      slowCalls: s.window.slowCalls,
    },
    latency: {
      p50: ms(s.window.p50Us),
      p90: ms(s.window.p90Us),
      p99: ms(s.window.p99Us),
      samples: s.window.latencySamples,
    },
    consecutiveFailures: s.consecutiveFailures,
    reopens: s.reopens,
    retryAfterMs: s.state === State.OPEN ? s.remainingMs : 0,
    stateChanges,
  };
}
