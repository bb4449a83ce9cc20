import { CircuitBreaker } from '../breaker';
import type { Timers } from '../clock';
import { LatencySum } from './latency-sum';
import type { WindowClock } from './window-clock';

/** Which side of the rollout a call ran on. */
export type RolloutVersion = 'new' | 'old';

/** One version's outcomes over the monitoring window. */
export interface VersionMetrics {
  /** Calls with an outcome (successes + failures) in the window. */
  calls: number;
  successes: number;
  failures: number;
  /** successes / calls; null when the window holds no call. */
  completionRate: number | null;
  /** Mean latency in ms; null when no call reported one. */
  meanLatencyMs: number | null;
  /** Latency percentiles from the core's histogram (within ~10%); null when none. */
  p50LatencyMs: number | null;
  p90LatencyMs: number | null;
  p99LatencyMs: number | null;
}

const BUCKETS = 10;

/**
 * One version's rolling window: a real CircuitBreaker on a time window of the monitoring length,
 * with every trip rule off (it only counts), plus the latency sum the core does not keep.
 */
export class VersionWindow {
  private readonly breaker: CircuitBreaker;
  private readonly latency: LatencySum;

  constructor(
    name: string,
    windowMs: number,
    private readonly clock: Timers,
    private readonly windowClock: WindowClock,
  ) {
    this.breaker = new CircuitBreaker({
      name,
      slidingWindowType: 'time',
      slidingWindowSize: windowMs,
      slidingWindowBuckets: BUCKETS,
      failureThreshold: 0,
      failureRateThreshold: 0,
      ...(windowClock.breakerClock ? { clock: windowClock.breakerClock } : {}),
    });
    this.latency = new LatencySum(windowMs, BUCKETS);
  }

  /** Records one call's outcome and latency. */
  record(success: boolean, latencyMs: number): void {
    this.windowClock.sync();
    if (success) this.breaker.recordSuccess(latencyMs);
    else this.breaker.recordFailure(undefined, latencyMs);
    this.latency.add(latencyMs, this.clock.now());
  }

  /** The window's counts, completion rate and latency, read from the core. */
  read(): VersionMetrics {
    this.windowClock.sync();
    const m = this.breaker.getMetrics();
    const calls = m.window.successes + m.window.failures;
    return {
      calls,
      successes: m.window.successes,
      failures: m.window.failures,
      completionRate: calls > 0 ? m.window.successes / calls : null,
      meanLatencyMs: this.latency.mean(this.clock.now()),
      p50LatencyMs: m.latency.p50,
      p90LatencyMs: m.latency.p90,
      p99LatencyMs: m.latency.p99,
    };
  }

  /** Empties the window: each phase is judged on the traffic it saw. */
  clear(): void {
    this.breaker.reset();
    this.latency.clear();
  }

  /** Gives the breaker's slot back. */
  dispose(): void {
    this.breaker.dispose();
  }
}
