import type { StateName } from '../state';
import type { Incident } from './service';

/** The measures of one scenario under one policy. */
export interface RunMetrics {
  /** Client requests that finished within the run. */
  requests: number;
  /** Share of them that succeeded (after retries), 0..1. */
  successRate: number;
  /** Mean time from each incident's end to the client success rate back >= 95% (see metrics.ts); null when some incident never recovered, or there was none. */
  recoveryTimeMs: number | null;
  /** Incidents of the sick service, and how many of them the client recovered from within the run. */
  incidents: number;
  recovered: number;
  /** Share of half-open probe rounds that closed the circuit, over every breaker of the run; null without rounds. */
  recoverySuccessRate: number | null;
  probeRounds: number;
  /** Attempts sent that failed (error or timeout), over every edge. */
  wastedCalls: number;
  /** Attempts refused by a guard, over every edge. */
  rejections: number;
  /** Refused attempts that would have succeeded (expected count, rounded). */
  falseRejections: number;
  /** Requests per second the sick service received while sick (fault or warm-up). */
  sickLoadPerSecond: number;
  /** Its mean in-flight requests over its capacity while sick (1 = saturated). */
  sickUtilisation: number;
  /** Upstream services pushed over their own failure threshold (fan-out only; else null). */
  cascades: number | null;
  /** Cascades of the no-breaker baseline that this policy avoided (filled in by the suite). */
  cascadesPrevented: number | null;
}

/** One scenario under one policy. */
export interface RunResult {
  scenario: string;
  policy: string;
  seed: number;
  size: 'quick' | 'full';
  durationMs: number;
  metrics: RunMetrics;
  incidents: Incident[];
  /** Services pushed over their threshold. */
  cascaded: string[];
  /** For charts: client success rate per chart bucket (null when no request finished in it). */
  timeline: { bucketMs: number; successRate: Array<number | null> };
  /** The watched edge's breaker: its state changes on virtual time (empty without a breaker). */
  states: Array<{ at: number; state: StateName }>;
}
