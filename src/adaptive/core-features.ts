import type { CircuitBreaker } from '../breaker';
import { SpanStat, State, WINDOW_STATS_SIZE, WindowStat } from '../core/layout';
import { core } from '../core/select';
import type { FeatureList } from './feature-list';

/** Hardware classes encoded one-hot from a breaker's `hardware` label. */
const HARDWARE = ['cpu', 'gpu', 'webgpu', 'webnn'] as const;

/**
 * The columns of a feature row, in order. Rates are over the sliding window or its recent quarter
 * (`_recent`); latency ratios compare the recent percentile with the breaker's own baseline;
 * slopes are changes per second between two reads; `_to_threshold` divides by the breaker's own
 * trip threshold (NaN when that rule is off), so one model serves breakers tuned differently.
 * (An object literal: its constant indices keep the row writer on fast property loads.)
 */
const F = {
  failure_rate: 0,
  failure_rate_recent: 1,
  failure_rate_trend: 2,
  failure_rate_slope: 3,
  latency_p50_ratio: 4,
  latency_p90_ratio: 5,
  latency_p99_ratio: 6,
  latency_p50_ratio_slope: 7,
  latency_p90_ratio_slope: 8,
  latency_p99_ratio_slope: 9,
  timeout_rate: 10,
  slow_call_rate: 11,
  call_rate_change: 12,
  in_flight: 13,
  consecutive_failures: 14,
  seconds_since_transition: 15,
  state_open: 16,
  state_half_open: 17,
  timeout_share_of_failures: 18,
  rejection_rate: 19,
  log_window_calls: 20,
  failure_rate_to_threshold: 21,
  failure_rate_recent_to_threshold: 22,
  consecutive_failures_to_threshold: 23,
  window_calls_to_minimum: 24,
  hardware_cpu: 25,
  hardware_gpu: 26,
  hardware_webgpu: 27,
  hardware_webnn: 28,
} as const;

/** The features the early-warning model sees for a breaker: CORE_FEATURES.features[F.x] === 'x'. */
export const CORE_FEATURES: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 1,
  features: Object.freeze(Object.keys(F)),
}) as FeatureList;

export const CORE_FEATURE_COUNT = CORE_FEATURES.features.length;

export interface CoreFeatureOptions {
  /** Half-life of each breaker's latency baseline (an exponential average of its window percentiles). Default 300000 ms. */
  baselineHalfLifeMs?: number;
}

/**
 * What the extractor remembers of a breaker between reads, in place (no allocation per read):
 * [atMs, baseline p50/p90/p99 us, ratio p50/p90/p99, recent failure rate].
 */
const MEMORY_SIZE = 8;
const AT = 0;
const BASELINE = 1;
const RATIOS = 4;
const RECENT_RATE = 7;

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);
const perSecond = (now: number, before: number, seconds: number): number => (seconds > 0 ? (now - before) / seconds : 0);

/**
 * Fills one feature row per breaker from the core: one windowStats() crossing per arena, however
 * many breakers live in it. Remembers each breaker's latency baseline and last values (for slopes)
 * while the breaker lives.
 */
export class CoreFeatureExtractor {
  private readonly halfLifeMs: number;
  private readonly memory = new WeakMap<CircuitBreaker, Float64Array>();
  /** The last read's breakers and their memories by row: a registry's order rarely changes between ticks. */
  private lastBreakers: readonly CircuitBreaker[] = [];
  private byRow: Float64Array[] = [];
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
    // Rows grouped by arena, in one pass: an arena's rows are contiguous in `order`.
    const byArena = new Map<number, { rows: number[]; slots: number[] }>();
    for (let row = 0; row < breakers.length; row++) {
      const breaker = breakers[row];
      const ref = breaker.coreSlot;
      if (ref === undefined) {
        this.idleRow(breaker, out, row * CORE_FEATURE_COUNT);
        continue;
      }
      breaker.flush(); // successes counted in JS reach the window first
      let group = byArena.get(ref.arenaId);
      if (group === undefined) byArena.set(ref.arenaId, (group = { rows: [], slots: [] }));
      group.rows.push(row);
      group.slots.push(ref.slot);
    }
    for (const [arenaId, { rows, slots }] of byArena) {
      if (this.stats.length < rows.length * WINDOW_STATS_SIZE) this.stats = new Float64Array(rows.length * WINDOW_STATS_SIZE);
      core.windowStats(arenaId, Int32Array.from(slots), this.stats);
      for (let i = 0; i < rows.length; i++) this.row(breakers[rows[i]], this.stats, i * WINDOW_STATS_SIZE, nowMs, out, rows[i] * CORE_FEATURE_COUNT);
    }
    this.lastBreakers = breakers.slice(); // a copy: the caller may reuse its array for other breakers
    return out;
  }


  private row(breaker: CircuitBreaker, s: Float64Array, at: number, nowMs: number, out: Float32Array, o: number): void {
    const w = at + WindowStat.window;
    const r = at + WindowStat.recent;
    const decided = s[w + SpanStat.successes] + s[w + SpanStat.failures];
    const failureRate = ratio(s[w + SpanStat.failures], decided);
    const recentFailureRate = ratio(s[r + SpanStat.failures], s[r + SpanStat.successes] + s[r + SpanStat.failures]);
    let memory = this.memoryOf(breaker, o / CORE_FEATURE_COUNT);
    const first = memory === undefined;
    if (memory === undefined) this.memory.set(breaker, (memory = new Float64Array(MEMORY_SIZE).fill(NaN)));
    this.byRow[o / CORE_FEATURE_COUNT] = memory;
    const seconds = first ? 0 : (nowMs - memory[AT]) / 1000;

    out[o + F.failure_rate_slope] = perSecond(recentFailureRate, memory[RECENT_RATE], seconds);
    // The baseline: an exponential average of the window's percentiles, started at the first sample.
    const weight = 1 - 2 ** (-(seconds * 1000) / this.halfLifeMs);
    for (let k = 0; k < 3; k++) {
      const windowP = s[w + SpanStat.p50Us + k];
      const before = memory[BASELINE + k];
      const baseline = Number.isNaN(windowP) ? before : Number.isNaN(before) ? windowP : before + weight * (windowP - before);
      const recentP = s[r + SpanStat.p50Us + k];
      const latencyRatio = Number.isNaN(recentP) || !(baseline > 0) ? 1 : recentP / baseline;
      out[o + F.latency_p50_ratio + k] = latencyRatio;
      out[o + F.latency_p50_ratio_slope + k] = first ? 0 : perSecond(latencyRatio, memory[RATIOS + k], seconds);
      memory[BASELINE + k] = baseline;
      memory[RATIOS + k] = latencyRatio;
    }
    memory[AT] = nowMs;
    memory[RECENT_RATE] = recentFailureRate;

    const options = breaker.options;
    const buckets = options.slidingWindowBuckets;
    const perBucket = s[w + SpanStat.calls] / buckets;
    const state = s[at + WindowStat.state];
    const sinceTransition = s[at + WindowStat.msSinceTransition];
    out[o + F.failure_rate] = failureRate;
    out[o + F.failure_rate_recent] = recentFailureRate;
    out[o + F.failure_rate_trend] = recentFailureRate - failureRate;
    out[o + F.timeout_rate] = ratio(s[w + SpanStat.timeouts], decided);
    out[o + F.slow_call_rate] = ratio(s[w + SpanStat.slowCalls], decided);
    out[o + F.call_rate_change] = perBucket > 0 ? s[r + SpanStat.calls] / Math.ceil(buckets / 4) / perBucket - 1 : 0;
    out[o + F.in_flight] = breaker.inFlightCalls;
    out[o + F.consecutive_failures] = s[at + WindowStat.consecutiveFailures];
    out[o + F.seconds_since_transition] = sinceTransition < 0 ? NaN : sinceTransition / 1000;
    out[o + F.state_open] = state === State.OPEN || state === State.FORCED_OPEN ? 1 : 0;
    out[o + F.state_half_open] = state === State.HALF_OPEN ? 1 : 0;
    out[o + F.timeout_share_of_failures] = ratio(s[w + SpanStat.timeouts], s[w + SpanStat.failures]);
    out[o + F.rejection_rate] = ratio(s[w + SpanStat.rejections], s[w + SpanStat.calls] + s[w + SpanStat.rejections]);
    out[o + F.log_window_calls] = Math.log1p(s[w + SpanStat.calls]);
    const rateThreshold = options.failureRateThreshold / 100;
    out[o + F.failure_rate_to_threshold] = rateThreshold > 0 ? failureRate / rateThreshold : NaN;
    out[o + F.failure_rate_recent_to_threshold] = rateThreshold > 0 ? recentFailureRate / rateThreshold : NaN;
    out[o + F.consecutive_failures_to_threshold] = options.failureThreshold > 0 ? s[at + WindowStat.consecutiveFailures] / options.failureThreshold : NaN;
    out[o + F.window_calls_to_minimum] = decided / options.minimumCalls;
    this.hardware(breaker, out, o);
  }

  /** The breaker's memory: by its row when it held the same row last time (no hash lookup), else by the breaker. */
  private memoryOf(breaker: CircuitBreaker, row: number): Float64Array | undefined {
    if (this.lastBreakers[row] === breaker && this.byRow[row] !== undefined) return this.byRow[row];
    return this.memory.get(breaker);
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
    for (let k = 0; k < HARDWARE.length; k++) out[o + F.hardware_cpu + k] = hardware === HARDWARE[k] ? 1 : 0;
  }
}
