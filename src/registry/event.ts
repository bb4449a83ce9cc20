import type { StateName } from '../state';

/** What a history event records. */
export type BreakerEventType =
  /** A state change (detail: from, to, reason, generation). */
  | 'transition'
  /** A periodic summary of the breaker's window, written on the shared tick. */
  | 'window'
  /** Thresholds or timeouts changed (detail: the changed options before and after, and who changed them). */
  | 'tuning'
  /** The early-warning model scored the breaker (probability set). */
  | 'prediction'
  /** A recovery action or a pool failover (detail: the action). */
  | 'recovery'
  /** A rollout decision (detail: action, phase, reason). */
  | 'rollout';

/**
 * One row of the event history, the same in every sink (memory ring, JSONL, DuckDB table
 * `circuit_breaker_metrics`). Field names are snake_case where SQL users read them.
 */
export interface BreakerEvent {
  /** Wall-clock ms since the epoch (or the manual clock's ms). */
  timestamp: number;
  /** The name the breaker was registered under; the breaker's own `name` is `${kind}/${breaker}`. */
  breaker: string;
  kind: string;
  labels: Readonly<Record<string, string>>;
  event_type: BreakerEventType;
  /** The breaker's state after the event. */
  state: StateName;
  thresholds: {
    failureThreshold: number;
    failureRateThreshold: number;
    slowCallRateThreshold: number;
    minimumCalls: number;
  };
  /** Milliseconds. */
  timeouts: {
    timeout: number;
    recoveryTimeout: number;
    halfOpenTimeout: number;
    slowCallDuration: number;
  };
  /** The sliding window's counts when the event was written. */
  counts: {
    calls: number;
    successes: number;
    failures: number;
    rejections: number;
    timeouts: number;
    slowCalls: number;
  };
  /** Over the window: failures / decided calls, slow / decided, rejections / (calls + rejections). */
  rates: { failureRate: number; slowCallRate: number; rejectionRate: number };
  /** Window latency percentiles in ms; null when no call was timed. */
  latency: { p50: number | null; p90: number | null; p99: number | null };
  /** The early-warning model's probability of a trip within its horizon; null when not scored. */
  probability: number | null;
  /** Event-specific facts (see BreakerEventType). */
  detail: Readonly<Record<string, unknown>> | null;
}

/**
 * Where history events go. write() is called on the shared tick with a batch and must not block:
 * a sink that falls behind drops events and counts them, it never grows without bound.
 */
export interface EventSink {
  /** How warnings name the sink (a flush that does not settle in time); else its `path`, else its place. */
  readonly name?: string;
  /** Accepts a batch; never throws (a failing sink counts the batch as dropped). */
  write(events: readonly BreakerEvent[]): void;
  /** Events given up because the sink was behind or failed. */
  readonly dropped: number;
  /** Writes what is buffered. */
  flush(): Promise<void>;
  /** Flushes and releases files or connections; later writes are dropped. */
  close(): Promise<void>;
}

/** Whether a line of text is one history event as the JSONL sink writes it (a JSON object with the schema's key fields). */
export function isBreakerEventLine(line: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const event = value as Partial<Record<keyof BreakerEvent, unknown>>;
  return (
    typeof event.timestamp === 'number' &&
    typeof event.breaker === 'string' &&
    typeof event.kind === 'string' &&
    typeof event.event_type === 'string' &&
    typeof event.state === 'string'
  );
}
