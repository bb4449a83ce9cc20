import type { CircuitBreaker } from '../breaker';
import { SpanStat, State, WINDOW_STATS_SIZE, WindowStat } from '../core/layout';
import { core } from '../core/select';
import type { FeatureList } from './feature-list';

/** Hardware classes encoded one-hot from a breaker's `hardware` label. */
const HARDWARE = ['cpu', 'gpu', 'webgpu', 'webnn'] as const;

/**
 * The features the early-warning model sees for a breaker, in column order. Rates are over the
 * sliding window or its recent quarter (`_recent`); latency ratios compare the recent
 * percentile with the breaker's own baseline; slopes are changes per second between two reads;
 * `_to_threshold` divides by the breaker's own trip threshold (NaN when that rule is off), so one
 * model serves breakers tuned differently.
 */
export const CORE_FEATURES: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 1,
  features: Object.freeze([
    'failure_rate',
    'failure_rate_recent',
    'failure_rate_trend',
    'failure_rate_slope',
    'latency_p50_ratio',
    'latency_p90_ratio',
    'latency_p99_ratio',
    'latency_p50_ratio_slope',
    'latency_p90_ratio_slope',
    'latency_p99_ratio_slope',
    'timeout_rate',
    'slow_call_rate',
    'call_rate_change',
    'in_flight',
    'consecutive_failures',
    'seconds_since_transition',
    'state_open',
    'state_half_open',
    'timeout_share_of_failures',
    'rejection_rate',
    'log_window_calls',
    'failure_rate_to_threshold',
    'failure_rate_recent_to_threshold',
    'consecutive_failures_to_threshold',
    'window_calls_to_minimum',
    ...HARDWARE.map((name) => `hardware_${name}`),
  ]),
}) as FeatureList;

export const CORE_FEATURE_COUNT = CORE_FEATURES.features.length;

/** Column indices of CORE_FEATURES. */
const F = Object.fromEntries(CORE_FEATURES.features.map((name, i) => [name, i])) as Record<string, number>;

export interface CoreFeatureOptions {
  /** Half-life of each breaker's latency baseline (an exponential average of its window percentiles). Default 300000 ms. */
  baselineHalfLifeMs?: number;
}

/** What the extractor remembers of a breaker between reads. */
interface Memory {
  atMs: number;
  baseline: [number, number, number];
  ratios: [number, number, number];
  recentFailureRate: number;
}

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

/**
 * Fills one feature row per breaker from the core: one windowStats() crossing per arena, however
 * many breakers live in it. Remembers each breaker's latency baseline and last values (for slopes)
 * while the breaker lives.
 */
export class CoreFeatureExtractor {
  private readonly halfLifeMs: number;
  private readonly memory = new WeakMap<CircuitBreaker, Memory>();
  private stats = new Float64Array(0);

  constructor(options: CoreFeatureOptions = {}) {
    const halfLife = options.baselineHalfLifeMs ?? 300_000;
    if (typeof halfLife !== 'number' || !(halfLife > 0) || !Number.isFinite(halfLife)) {
      throw new RangeError(`breakwater: option "baselineHalfLifeMs" must be a finite number > 0, got ${String(halfLife)}`);
    }
    this.halfLifeMs = halfLife;
  }

  /**
   * Rows for `breakers`, in their order: `breakers.length * CORE_FEATURE_COUNT` floats. `nowMs` is
   * the caller's clock (for slopes and baselines); breakers that were never called get the row of
   * an idle closed breaker without taking a core slot.
   */
  extract(breakers: readonly CircuitBreaker[], nowMs: number, out = new Float32Array(breakers.length * CORE_FEATURE_COUNT)): Float32Array {
    if (out.length < breakers.length * CORE_FEATURE_COUNT) {
      throw new RangeError(`breakwater: the feature buffer holds ${out.length} floats, ${breakers.length} rows need ${breakers.length * CORE_FEATURE_COUNT}`);
    }
    const byArena = new Map<number, number[]>();
    breakers.forEach((breaker, row) => {
      const ref = breaker.coreSlot;
      if (ref === undefined) return;
      breaker.flush(); // successes counted in JS reach the window first
      let rows = byArena.get(ref.arenaId);
      if (rows === undefined) byArena.set(ref.arenaId, (rows = []));
      rows.push(row);
    });
    for (let row = 0; row < breakers.length; row++) {
      if (breakers[row].coreSlot === undefined) this.idleRow(breakers[row], out, row * CORE_FEATURE_COUNT);
    }
    for (const [arenaId, rows] of byArena) {
      if (this.stats.length < rows.length * WINDOW_STATS_SIZE) this.stats = new Float64Array(rows.length * WINDOW_STATS_SIZE);
      core.windowStats(arenaId, Int32Array.from(rows, (row) => breakers[row].coreSlot!.slot), this.stats);
      rows.forEach((row, i) => this.row(breakers[row], this.stats, i * WINDOW_STATS_SIZE, nowMs, out, row * CORE_FEATURE_COUNT));
    }
    return out;
  }

  private row(breaker: CircuitBreaker, s: Float64Array, at: number, nowMs: number, out: Float32Array, o: number): void {
    const w = at + WindowStat.window;
    const r = at + WindowStat.recent;
    const decided = s[w + SpanStat.successes] + s[w + SpanStat.failures];
    const failureRate = ratio(s[w + SpanStat.failures], decided);
    const recentFailureRate = ratio(s[r + SpanStat.failures], s[r + SpanStat.successes] + s[r + SpanStat.failures]);
    const previous = this.memory.get(breaker);
    const seconds = previous === undefined ? 0 : (nowMs - previous.atMs) / 1000;
    const slope = (now: number, before: number | undefined): number => (previous === undefined || seconds <= 0 ? 0 : (now - before!) / seconds);

    const windowPercentiles: [number, number, number] = [s[w + SpanStat.p50Us], s[w + SpanStat.p90Us], s[w + SpanStat.p99Us]];
    const recentPercentiles = [s[r + SpanStat.p50Us], s[r + SpanStat.p90Us], s[r + SpanStat.p99Us]];
    const baseline = this.baseline(previous, windowPercentiles, seconds);
    const ratios = recentPercentiles.map((p, k) => (Number.isNaN(p) || !(baseline[k] > 0) ? 1 : p / baseline[k])) as [number, number, number];

    const buckets = breaker.options.slidingWindowBuckets;
    const recentBuckets = Math.ceil(buckets / 4);
    const perBucket = s[w + SpanStat.calls] / buckets;
    const state = s[at + WindowStat.state];
    const sinceTransition = s[at + WindowStat.msSinceTransition];

    out[o + F.failure_rate] = failureRate;
    out[o + F.failure_rate_recent] = recentFailureRate;
    out[o + F.failure_rate_trend] = recentFailureRate - failureRate;
    out[o + F.failure_rate_slope] = slope(recentFailureRate, previous?.recentFailureRate);
    out[o + F.latency_p50_ratio] = ratios[0];
    out[o + F.latency_p90_ratio] = ratios[1];
    out[o + F.latency_p99_ratio] = ratios[2];
    out[o + F.latency_p50_ratio_slope] = slope(ratios[0], previous?.ratios[0]);
    out[o + F.latency_p90_ratio_slope] = slope(ratios[1], previous?.ratios[1]);
    out[o + F.latency_p99_ratio_slope] = slope(ratios[2], previous?.ratios[2]);
    out[o + F.timeout_rate] = ratio(s[w + SpanStat.timeouts], decided);
    out[o + F.slow_call_rate] = ratio(s[w + SpanStat.slowCalls], decided);
    out[o + F.call_rate_change] = perBucket > 0 ? s[r + SpanStat.calls] / recentBuckets / perBucket - 1 : 0;
    out[o + F.in_flight] = breaker.inFlightCalls;
    out[o + F.consecutive_failures] = s[at + WindowStat.consecutiveFailures];
    out[o + F.seconds_since_transition] = sinceTransition < 0 ? NaN : sinceTransition / 1000;
    out[o + F.state_open] = state === State.OPEN || state === State.FORCED_OPEN ? 1 : 0;
    out[o + F.state_half_open] = state === State.HALF_OPEN ? 1 : 0;
    out[o + F.timeout_share_of_failures] = ratio(s[w + SpanStat.timeouts], s[w + SpanStat.failures]);
    out[o + F.rejection_rate] = ratio(s[w + SpanStat.rejections], s[w + SpanStat.calls] + s[w + SpanStat.rejections]);
    out[o + F.log_window_calls] = Math.log1p(s[w + SpanStat.calls]);
    const { failureRateThreshold, failureThreshold, minimumCalls } = breaker.options;
    out[o + F.failure_rate_to_threshold] = failureRateThreshold > 0 ? failureRate / (failureRateThreshold / 100) : NaN;
    out[o + F.failure_rate_recent_to_threshold] = failureRateThreshold > 0 ? recentFailureRate / (failureRateThreshold / 100) : NaN;
    out[o + F.consecutive_failures_to_threshold] = failureThreshold > 0 ? s[at + WindowStat.consecutiveFailures] / failureThreshold : NaN;
    out[o + F.window_calls_to_minimum] = decided / minimumCalls;
    this.hardware(breaker, out, o);
    this.memory.set(breaker, { atMs: nowMs, baseline, ratios, recentFailureRate });
  }

  /** The latency baseline: an exponential average of the window's percentiles, started at the first sample. */
  private baseline(previous: Memory | undefined, window: [number, number, number], seconds: number): [number, number, number] {
    const weight = 1 - 2 ** (-(seconds * 1000) / this.halfLifeMs);
    return window.map((p, k) => {
      const before = previous?.baseline[k] ?? NaN;
      if (Number.isNaN(p)) return before;
      return Number.isNaN(before) ? p : before + weight * (p - before);
    }) as [number, number, number];
  }

  private idleRow(breaker: CircuitBreaker, out: Float32Array, o: number): void {
    out.fill(0, o, o + CORE_FEATURE_COUNT);
    out[o + F.latency_p50_ratio] = out[o + F.latency_p90_ratio] = out[o + F.latency_p99_ratio] = 1;
    out[o + F.seconds_since_transition] = NaN;
    const { failureRateThreshold, failureThreshold } = breaker.options;
    if (failureRateThreshold === 0) out[o + F.failure_rate_to_threshold] = out[o + F.failure_rate_recent_to_threshold] = NaN;
    if (failureThreshold === 0) out[o + F.consecutive_failures_to_threshold] = NaN;
    this.hardware(breaker, out, o);
  }

  private hardware(breaker: CircuitBreaker, out: Float32Array, o: number): void {
    const hardware = breaker.labels.hardware;
    HARDWARE.forEach((name, k) => (out[o + F.hardware_cpu + k] = hardware === name ? 1 : 0));
  }
}
