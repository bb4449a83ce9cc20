import type { CircuitBreaker } from '../breaker';
import {
  recentSpan,
  rowConsecutiveFailures,
  rowMsSinceTransition,
  rowState,
  rowTotalCalls,
  spanFailures,
  spanPercentileUs,
  spanSlowCalls,
  spanSuccesses,
  spanTimeouts,
  windowSpan,
} from '../core/codec';
import { State, WINDOW_STATS_SIZE } from '../core/layout';
import { core } from '../core/select';
import type { FeatureList } from './feature-list';
import { ArenaRows, CHUNK_ROWS } from './arena-rows';
import { DecayWeight, follow } from './decay-weight';
import { FAILURE_RISE_SLOTS, FailureRise } from './failure-rise';
import {
  consecutiveRuleTripChance,
  fewestCallsToTrip,
  projectedRate,
  rateRuleTripChance,
  renewedShare,
  risenTripChance,
  windowSpanMs,
  type MutableWindowNow,
} from './trip-chance';

/**
 * The columns of a feature row, in order. Every column means the same on every service: shares of
 * calls, ratios to the breaker's own thresholds (NaN when that rule is off), latency over the
 * breaker's own long-run baseline and over its timeout (NaN without one), in-flight calls over
 * what Little's law predicts, trends as recent-quarter / window ratios. No raw volume, no raw
 * in-flight count, no clock-like column: those describe a service's scale or a scenario's timing,
 * not trouble. (An object literal: its constant indices keep the row writer on fast loads.)
 */
const F = {
  failure_rate: 0,
  failure_rate_recent: 1,
  failure_rate_to_threshold: 2,
  failure_rate_recent_to_threshold: 3,
  failure_rate_trend_ratio: 4,
  timeout_rate: 5,
  timeout_rate_recent: 6,
  timeout_share_of_failures: 7,
  slow_call_rate_to_threshold: 8,
  latency_p50_to_baseline: 9,
  latency_p90_to_baseline: 10,
  latency_p99_to_baseline: 11,
  latency_p50_to_timeout: 12,
  latency_p90_to_timeout: 13,
  latency_p99_to_timeout: 14,
  latency_p90_trend_ratio: 15,
  in_flight_to_expected: 16,
  consecutive_failures_to_threshold: 17,
  window_calls_to_minimum: 18,
  since_transition_to_window: 19,
  failure_rate_projected_to_threshold: 20,
  slow_call_rate_projected_to_threshold: 21,
  failure_rate_trip_chance: 22,
  consecutive_trip_chance: 23,
  longest_failure_run_to_threshold: 24,
  tripped_in_last_minute: 25,
  slow_call_rate_recent: 26,
  slow_call_rate_recent_to_threshold: 27,
  slow_call_trip_chance: 28,
  failure_rate_rising_trip_chance: 29,
} as const;

/** The features the early-warning model sees for a breaker: CORE_FEATURES.features[F.x] === 'x'. */
export const CORE_FEATURES: FeatureList = Object.freeze({
  name: 'breakwater.core',
  version: 10,
  features: Object.freeze(Object.keys(F)),
}) as FeatureList;

export const CORE_FEATURE_COUNT = CORE_FEATURES.features.length;

/** The column of a CORE_FEATURES name; throws on a name the layout lacks (a rename must not read column -1). */
export function coreColumn(name: string): number {
  const column = CORE_FEATURES.features.indexOf(name);
  if (column < 0)
    throw new RangeError(`breakwater: ${CORE_FEATURES.name}@${CORE_FEATURES.version} has no feature "${name}"`);
  return column;
}

/** Without the failure-rate rule, failure evidence is measured against the usual 50% threshold. */
export const USUAL_FAILURE_RATE_THRESHOLD = 0.5;

export interface CoreFeatureOptions {
  /** Half-life of each breaker's latency baseline (an exponential average of its window percentiles). Default 300000 ms. */
  baselineHalfLifeMs?: number;
}

/**
 * Half-life of each breaker's call rate (an exponential average of the rate between reads). Read
 * between two reads alone, a service of 0.5 calls per second had a rate of 1 in a second with a
 * call and 0 in the next, and its trip chances swung between 0.97 and 0 with it (version 7, an
 * outside evaluation); a 10x swing in traffic is followed within seconds.
 */
const CALL_RATE_HALF_LIFE_MS = 5_000;

/** Numbers per row in the extractor's readings: recent calls, the fewest calls to trip, calls per second. */
const READINGS = 3;

/**
 * What the extractor remembers of a breaker between reads, in place (no allocation per read):
 * [atMs, baseline p50/p90/p99 us, lifetime calls at the last read, calls per second (averaged over
 * CALL_RATE_HALF_LIFE_MS), the first read that saw a latency, the window's decided, failed and slow
 * calls averaged over the baseline's half-life, the failure share's averages (FailureRise)].
 */
const AT = 0;
const BASELINE = 1;
const TOTAL_CALLS = 4;
const CALL_RATE = 5;
const SAMPLED_SINCE = 6;
const USUAL_DECIDED = 7;
const USUAL_FAILURES = 8;
const USUAL_SLOW = 9;
const RISE = 10;
const MEMORY_SIZE = RISE + FAILURE_RISE_SLOTS;

/**
 * A baseline starts once the breaker's calls have been seen for this many times their median
 * latency. Before, a window is censored: a read sees only the calls that already returned, the
 * fast ones, so a first window taken as the baseline read low, and the service's ordinary latency
 * then looked like an incident the baseline barely follows (version 4: a healthy slow service read
 * well above its baseline, and as many calls in flight over Little's law, for minutes). Seen for
 * ten medians, the calls still out are a small share of those seen.
 */
const BASELINE_START_MEDIANS = 10;
/** The standard normal's 90th percentile: a log-normal's p90 / p50 is e^(1.2816 sigma). */
const Z90 = 1.2815516;
/** A log-normal spread past this (p90 over 6.8 times p50) is read as this: the mean stays within 3.1 medians. */
const MAX_SPREAD = 1.5;

/**
 * The mean of the baseline latency, which Little's law needs (the median undercounts a skewed
 * service's calls in flight): the mean of the log-normal with the baseline's p50 and p90.
 */
function meanLatencyUs(memory: Float64Array): number {
  const p50 = memory[BASELINE];
  const spread = Math.min(MAX_SPREAD, Math.log(Math.max(1, memory[BASELINE + 1] / p50)) / Z90);
  return p50 * Math.exp((spread * spread) / 2);
}

/** A window percentile this far above its baseline is an incident: the baseline then barely moves. */
const INCIDENT_RATIO = 2;
/** How much slower the baseline follows during an incident (a lasting shift is still absorbed in time). */
const INCIDENT_SLOWDOWN = 20;
/** Trend ratios add this to both shares, so a change from 0 to a few failures is not infinite. */
const TREND_FLOOR = 0.02;
/** Caps that keep a ratio's range the same on every service. */
const MAX_RATIO = 50;
const MAX_CALLS_TO_MINIMUM = 4;
/** How far ahead the projected rates and trip chances look: the early warning's horizon. */
const PROJECTION_HORIZON_MS = 10_000;
/**
 * How long a trip is remembered: a breaker that was open within this span trips again far more
 * often than one that was not (a flapping dependency, stalls that come back), whatever its window.
 */
const RECENT_TRIP_MS = 60_000;

const share = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);
const capped = (value: number, max = MAX_RATIO): number => Math.min(max, value);

/**
 * Fills one feature row per breaker from the core: one windowStats() crossing per arena, however
 * many breakers live in it. Remembers each breaker's latency baseline and call rate while the
 * breaker lives.
 */
export class CoreFeatureExtractor {
  private readonly memory = new WeakMap<CircuitBreaker, Float64Array>();
  /** The last read's breakers and their memories by row: a registry's order rarely changes between ticks. */
  private lastBreakers: readonly CircuitBreaker[] = [];
  private byRow: Float64Array[] = [];
  private stats = new Float64Array(0);
  /**
   * READINGS numbers a row of the last read, for the guard rails: its calls decided in the recent
   * quarter (the noise of its share), the fewest calls that trip it, its calls per second.
   */
  private readings = new Float64Array(0);
  private readonly groups = new Map<number, ArenaRows>();
  /** The groups a chunk's rows went to. */
  private readonly touched: ArenaRows[] = [];
  private readonly baselineWeight: DecayWeight;
  private readonly callRateWeight = new DecayWeight(CALL_RATE_HALF_LIFE_MS);
  private readonly failureRise = new FailureRise();
  /** The window a trip chance reads, rewritten for each row. */
  private readonly now: MutableWindowNow = {
    windowType: 'time',
    windowSize: 0,
    buckets: 1,
    ageMs: Infinity,
    minimumCalls: 0,
    decided: 0,
    failures: 0,
    recentDecided: 0,
    recentFailures: 0,
    callsPerSecond: NaN,
    usualShare: NaN,
  };

  constructor(options: CoreFeatureOptions = {}) {
    const halfLife = options.baselineHalfLifeMs ?? 300_000;
    if (typeof halfLife !== 'number' || !(halfLife > 0) || !Number.isFinite(halfLife)) {
      throw new RangeError(
        `breakwater: option "baselineHalfLifeMs" must be a finite number > 0, got ${String(halfLife)}`,
      );
    }
    this.baselineWeight = new DecayWeight(halfLife);
  }

  /**
   * Rows for `breakers`, in their order: `breakers.length * CORE_FEATURE_COUNT` floats. `nowMs` is
   * the caller's clock (for call rates and baselines); breakers that were never called get the row
   * of an idle closed breaker without taking a core slot.
   */
  extract(
    breakers: readonly CircuitBreaker[],
    nowMs: number,
    out = new Float32Array(breakers.length * CORE_FEATURE_COUNT),
  ): Float32Array {
    if (out.length < breakers.length * CORE_FEATURE_COUNT) {
      throw new RangeError(
        `breakwater: the feature buffer holds ${out.length} floats, ${breakers.length} rows need ${breakers.length * CORE_FEATURE_COUNT}`,
      );
    }
    if (this.readings.length < breakers.length * READINGS) this.readings = new Float64Array(breakers.length * READINGS);
    // A chunk of rows at a time, grouped by arena: a chunk's breakers are still in the CPU's cache
    // when their rows are written (at 100,000 breakers a second pass over them waits on memory).
    // Groups and their buffers are kept between reads (no allocation per read).
    for (let start = 0; start < breakers.length; start += CHUNK_ROWS) {
      const touched = this.touched;
      touched.length = 0;
      for (let row = start; row < Math.min(breakers.length, start + CHUNK_ROWS); row++) {
        const breaker = breakers[row];
        const ref = breaker.coreSlot;
        if (ref === undefined) {
          this.idleRow(breaker, out, row * CORE_FEATURE_COUNT);
          this.readings.fill(0, row * READINGS, (row + 1) * READINGS);
          continue;
        }
        breaker.flush(); // successes counted in JS reach the window first
        let group = this.groups.get(ref.arenaId);
        if (group === undefined) this.groups.set(ref.arenaId, (group = new ArenaRows(ref.arenaId)));
        if (group.count === 0) touched.push(group);
        group.push(row, ref.slot);
      }
      for (const group of touched) {
        if (this.stats.length < group.count * WINDOW_STATS_SIZE)
          this.stats = new Float64Array(group.count * WINDOW_STATS_SIZE);
        core.windowStats(group.arenaId, group.slots.subarray(0, group.count), this.stats);
        for (let i = 0; i < group.count; i++) {
          const row = group.rows[i];
          this.row(breakers[row], this.stats, i * WINDOW_STATS_SIZE, nowMs, out, row * CORE_FEATURE_COUNT);
        }
        group.count = 0;
        group.read = true;
      }
    }
    for (const [arenaId, group] of this.groups) {
      if (!group.read) this.groups.delete(arenaId); // an arena no breaker of this read lives in
      group.read = false;
    }
    this.lastBreakers = breakers.slice(); // a copy: the caller may reuse its array for other breakers
    return out;
  }

  private row(breaker: CircuitBreaker, s: Float64Array, at: number, nowMs: number, out: Float32Array, o: number): void {
    const w = windowSpan(at);
    const r = recentSpan(at);
    const options = breaker.options;
    const decided = spanSuccesses(s, w) + spanFailures(s, w);
    const recentDecided = spanSuccesses(s, r) + spanFailures(s, r);
    const failureRate = share(spanFailures(s, w), decided);
    const recentFailureRate = share(spanFailures(s, r), recentDecided);
    const reading = (o / CORE_FEATURE_COUNT) * READINGS;
    this.readings[reading] = recentDecided;
    const rateThreshold = options.failureRateThreshold / 100;

    let memory = this.memoryOf(breaker, o / CORE_FEATURE_COUNT);
    const first = memory === undefined;
    if (memory === undefined) this.memory.set(breaker, (memory = new Float64Array(MEMORY_SIZE).fill(NaN)));
    this.byRow[o / CORE_FEATURE_COUNT] = memory;
    const elapsedMs = first ? 0 : Math.max(0, nowMs - memory[AT]);
    const totalCalls = rowTotalCalls(s, at);
    if (elapsedMs > 0) {
      const sinceLastRead = ((totalCalls - memory[TOTAL_CALLS]) * 1000) / elapsedMs;
      follow(memory, CALL_RATE, sinceLastRead, this.callRateWeight.of(elapsedMs));
    }
    memory[TOTAL_CALLS] = totalCalls;
    memory[AT] = nowMs;

    // The baseline: an exponential average of the window's percentiles, started once the calls
    // were seen long enough (BASELINE_START_MEDIANS); while the window is far above it (an
    // incident), it follows 20 times slower.
    const weight = this.baselineWeight.of(elapsedMs);
    const windowP50 = spanPercentileUs(s, w, 0);
    if (Number.isNaN(memory[SAMPLED_SINCE]) && !Number.isNaN(windowP50)) memory[SAMPLED_SINCE] = nowMs;
    const seenLongEnough = nowMs - memory[SAMPLED_SINCE] >= (BASELINE_START_MEDIANS * windowP50) / 1000;
    const timeoutUs = options.timeout * 1000;
    for (let k = 0; k < 3; k++) {
      const windowP = spanPercentileUs(s, w, k);
      const before = memory[BASELINE + k];
      let baseline = before;
      if (Number.isNaN(before)) baseline = seenLongEnough ? windowP : NaN;
      else if (!Number.isNaN(windowP))
        baseline =
          before + (windowP > INCIDENT_RATIO * before ? weight / INCIDENT_SLOWDOWN : weight) * (windowP - before);
      memory[BASELINE + k] = baseline;
      const recentP = spanPercentileUs(s, r, k);
      // Floored at 1: faster than usual is no sign of trouble (a model monotone in this column would
      // otherwise read fast failures as extra health).
      out[o + F.latency_p50_to_baseline + k] =
        Number.isNaN(recentP) || !(baseline > 0) ? 1 : Math.max(1, capped(recentP / baseline));
      out[o + F.latency_p50_to_timeout + k] = !(timeoutUs > 0)
        ? NaN
        : Number.isNaN(recentP)
          ? 0
          : capped(recentP / timeoutUs, 2);
    }
    const windowP90 = spanPercentileUs(s, w, 1);
    const recentP90 = spanPercentileUs(s, r, 1);
    out[o + F.latency_p90_trend_ratio] =
      Number.isNaN(recentP90) || !(windowP90 > 0) ? 1 : capped(recentP90 / windowP90);

    // Little's law: calls in flight = arrival rate x time in the system (the healthy baseline).
    // Until a second read gives the call rate, or while latencies were seen but the baseline has
    // not started, nothing is known: the neutral 1. Calls never timed take no time in the system.
    // Floored at 1 likewise: fewer calls in flight than the rate predicts (calls that return at
    // once) is no trouble, so none in flight reads 1 without working out the expected.
    const inFlight = breaker.inFlightCalls;
    const timeInSystemS = inFlight === 0 || Number.isNaN(memory[SAMPLED_SINCE]) ? 0 : meanLatencyUs(memory) / 1e6;
    const expectedInFlight = memory[CALL_RATE] * timeInSystemS;
    out[o + F.in_flight_to_expected] = Number.isNaN(expectedInFlight)
      ? 1
      : Math.max(1, capped(inFlight / Math.max(1, expectedInFlight)));

    out[o + F.failure_rate] = failureRate;
    out[o + F.failure_rate_recent] = recentFailureRate;
    out[o + F.failure_rate_to_threshold] = rateThreshold > 0 ? failureRate / rateThreshold : NaN;
    out[o + F.failure_rate_recent_to_threshold] = rateThreshold > 0 ? recentFailureRate / rateThreshold : NaN;
    out[o + F.failure_rate_trend_ratio] = (recentFailureRate + TREND_FLOOR) / (failureRate + TREND_FLOOR);
    out[o + F.timeout_rate] = share(spanTimeouts(s, w), decided);
    out[o + F.timeout_rate_recent] = share(spanTimeouts(s, r), recentDecided);
    out[o + F.timeout_share_of_failures] = share(spanTimeouts(s, w), spanFailures(s, w));
    const slowThreshold = options.slowCallRateThreshold / 100;
    const slowCallRate = share(spanSlowCalls(s, w), decided);
    const recentSlowCallRate = share(spanSlowCalls(s, r), recentDecided);
    out[o + F.slow_call_rate_to_threshold] = slowThreshold > 0 ? slowCallRate / slowThreshold : NaN;
    out[o + F.slow_call_rate_recent] = recentSlowCallRate;
    out[o + F.slow_call_rate_recent_to_threshold] = slowThreshold > 0 ? recentSlowCallRate / slowThreshold : NaN;
    const renewed = renewedShare(options, memory[CALL_RATE], PROJECTION_HORIZON_MS);
    out[o + F.failure_rate_projected_to_threshold] =
      rateThreshold > 0 ? projectedRate(failureRate, recentFailureRate, renewed) / rateThreshold : NaN;
    out[o + F.slow_call_rate_projected_to_threshold] =
      slowThreshold > 0 ? projectedRate(slowCallRate, recentSlowCallRate, renewed) / slowThreshold : NaN;
    const run = rowConsecutiveFailures(s, at);
    out[o + F.consecutive_failures_to_threshold] = options.failureThreshold > 0 ? run / options.failureThreshold : NaN;
    const now = this.now;
    now.windowType = options.slidingWindowType;
    now.windowSize = options.slidingWindowSize;
    now.buckets = options.slidingWindowBuckets;
    now.minimumCalls = options.minimumCalls;
    now.decided = decided;
    now.failures = spanFailures(s, w);
    now.recentDecided = recentDecided;
    now.recentFailures = spanFailures(s, r);
    now.callsPerSecond = memory[CALL_RATE];
    // The shares of calls that usually fail and are slow: the window's counts over the baseline's half-life.
    const usualDecided = follow(memory, USUAL_DECIDED, decided, weight);
    const usualFailures = follow(memory, USUAL_FAILURES, now.failures, weight);
    const usualSlow = follow(memory, USUAL_SLOW, spanSlowCalls(s, w), weight);
    now.usualShare = usualDecided > 0 ? usualFailures / usualDecided : NaN;
    const sinceTransition = rowMsSinceTransition(s, at);
    // A closed breaker's window started empty at its last transition (the one that closed it).
    now.ageMs = sinceTransition < 0 ? Infinity : sinceTransition;
    out[o + F.failure_rate_trip_chance] =
      rateThreshold > 0 ? rateRuleTripChance(now, rateThreshold, PROJECTION_HORIZON_MS) : NaN;
    out[o + F.consecutive_trip_chance] =
      options.failureThreshold > 0
        ? consecutiveRuleTripChance(now, run, options.failureThreshold, PROJECTION_HORIZON_MS)
        : NaN;
    this.readings[reading + 1] = fewestCallsToTrip(
      now,
      rateThreshold,
      spanSlowCalls(s, w),
      slowThreshold,
      run,
      options.failureThreshold,
    );
    this.readings[reading + 2] = memory[CALL_RATE];
    // The failure-rate chance again, the calls the rate now is read from failing at the share the
    // window's rise reaches on average over the horizon (half its rise over the whole horizon).
    const restarted = sinceTransition >= 0 && sinceTransition <= elapsedMs;
    const ahead = this.failureRise.rise(memory, RISE, failureRate, elapsedMs, restarted) * PROJECTION_HORIZON_MS * 0.5;
    const asIs = out[o + F.failure_rate_trip_chance];
    out[o + F.failure_rate_rising_trip_chance] =
      rateThreshold > 0 ? risenTripChance(now, ahead, rateThreshold, PROJECTION_HORIZON_MS, asIs) : NaN;
    // The slow-call rule is the failure-rate rule's mechanics over slow calls: read last, it takes
    // the window in place of the failures.
    now.failures = spanSlowCalls(s, w);
    now.recentFailures = spanSlowCalls(s, r);
    now.usualShare = usualDecided > 0 ? usualSlow / usualDecided : NaN;
    out[o + F.slow_call_trip_chance] =
      slowThreshold > 0 ? rateRuleTripChance(now, slowThreshold, PROJECTION_HORIZON_MS) : NaN;
    out[o + F.window_calls_to_minimum] = capped(decided / options.minimumCalls, MAX_CALLS_TO_MINIMUM);
    out[o + F.longest_failure_run_to_threshold] =
      options.failureThreshold > 0
        ? Math.min(1, breaker.longestRecentFailureRun(nowMs) / options.failureThreshold)
        : NaN;
    // Relative to the breaker's own window, capped at one window: a circuit that closed within its
    // window's span still counts calls from a fresh window; beyond that, how long ago says nothing.
    const windowMs = windowSpanMs(options.slidingWindowType, options.slidingWindowSize, memory[CALL_RATE]);
    out[o + F.since_transition_to_window] =
      sinceTransition < 0 || !(windowMs > 0) ? 1 : Math.min(1, sinceTransition / windowMs);
    // A flag, not a time: within the minute, how long ago would carry a scenario's timing. A closed
    // circuit's last transition closed it: from open or half-open (or, rarely, from disabled).
    const state = rowState(s, at);
    const openNow = state === State.OPEN || state === State.HALF_OPEN || state === State.FORCED_OPEN;
    out[o + F.tripped_in_last_minute] =
      openNow || (state === State.CLOSED && sinceTransition >= 0 && sinceTransition < RECENT_TRIP_MS) ? 1 : 0;
  }

  /** The calls decided in the recent quarter of row `row` of the last extract(). */
  recentCallsOf(row: number): number {
    return this.readings[row * READINGS];
  }

  /** The fewest calls, all failing, that trip row `row`'s breaker (fewestCallsToTrip). */
  callsToTripOf(row: number): number {
    return this.readings[row * READINGS + 1];
  }

  /** Row `row`'s breaker's calls per second, NaN while unknown. */
  callsPerSecondOf(row: number): number {
    return this.readings[row * READINGS + 2];
  }

  /** The breaker's memory: by its row when it held the same row last time (no hash lookup), else by the breaker. */
  private memoryOf(breaker: CircuitBreaker, row: number): Float64Array | undefined {
    if (this.lastBreakers[row] === breaker && this.byRow[row] !== undefined) return this.byRow[row];
    return this.memory.get(breaker);
  }

  private idleRow(breaker: CircuitBreaker, out: Float32Array, o: number): void {
    out.fill(0, o, o + CORE_FEATURE_COUNT);
    out[o + F.latency_p50_to_baseline] = out[o + F.latency_p90_to_baseline] = out[o + F.latency_p99_to_baseline] = 1;
    out[o + F.latency_p90_trend_ratio] =
      out[o + F.failure_rate_trend_ratio] =
      out[o + F.since_transition_to_window] =
      out[o + F.in_flight_to_expected] =
        1;
    const { failureRateThreshold, failureThreshold, slowCallRateThreshold, timeout } = breaker.options;
    if (failureRateThreshold === 0) {
      out[o + F.failure_rate_to_threshold] =
        out[o + F.failure_rate_recent_to_threshold] =
        out[o + F.failure_rate_projected_to_threshold] =
          NaN;
    }
    if (failureRateThreshold === 0)
      out[o + F.failure_rate_trip_chance] = out[o + F.failure_rate_rising_trip_chance] = NaN;
    if (failureThreshold === 0)
      out[o + F.consecutive_failures_to_threshold] =
        out[o + F.consecutive_trip_chance] =
        out[o + F.longest_failure_run_to_threshold] =
          NaN;
    if (slowCallRateThreshold === 0)
      out[o + F.slow_call_rate_to_threshold] =
        out[o + F.slow_call_rate_projected_to_threshold] =
        out[o + F.slow_call_rate_recent_to_threshold] =
        out[o + F.slow_call_trip_chance] =
          NaN;
    if (timeout === 0)
      out[o + F.latency_p50_to_timeout] = out[o + F.latency_p90_to_timeout] = out[o + F.latency_p99_to_timeout] = NaN;
  }
}
