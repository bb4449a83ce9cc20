import {
  ClockWord,
  Config,
  CONFIG_SIZE,
  GENERATION_MASK,
  Scratch,
  Slot,
  SpanStat,
  WindowStat,
  WindowType,
} from './layout';

/**
 * The one place that encodes what the core reads and decodes what it writes, beside the layout's
 * offsets: a slot's rules as configure() takes them, and the low word of a slot's state word
 * (state in bits 0-3, generation in bits 4-31). Pure functions of plain numbers, copied into each
 * importer by the build like the layout, so the hot path's single raw word read costs no call.
 */

/** A slot's rules in the core's units: shares of calls (0..1), milliseconds, counts. */
export interface SlotRules {
  readonly windowType: 'time' | 'count';
  readonly buckets: number;
  /** ms for a time window, calls for a count window. */
  readonly windowSize: number;
  /** Consecutive failures that trip; 0 turns the rule off. */
  readonly failureThreshold: number;
  readonly minimumCalls: number;
  /** Share of failed calls that trips (0..1); 0 turns the rule off. */
  readonly failureRate: number;
  /** Share of slow calls that trips (0..1); 0 turns the rule off. Default 0. */
  readonly slowCallRate?: number;
  readonly slowCallDurationMs?: number;
  readonly recoveryTimeoutMs: number;
  readonly maxRecoveryTimeoutMs: number;
  /** Default 1 (no backoff). */
  readonly backoffFactor?: number;
  readonly jitter?: number;
  /** Default 1. */
  readonly halfOpenMaxCalls?: number;
  /** Default 1. */
  readonly halfOpenSuccessThreshold?: number;
  /** 0: a probe never times out. Default 0. */
  readonly halfOpenTimeoutMs?: number;
  /** The call timeout: a half-open round whose probes are all out ends this long after the newest was granted. 0: none. Default 0. */
  readonly probeTimeoutMs?: number;
}

/** The configure() record of `rules`. */
export function encodeConfig(rules: SlotRules): Float64Array {
  const config = new Float64Array(CONFIG_SIZE);
  config[Config.windowType] = rules.windowType === 'count' ? WindowType.count : WindowType.time;
  config[Config.buckets] = rules.buckets;
  config[Config.windowSize] = rules.windowSize;
  config[Config.failureThreshold] = rules.failureThreshold;
  config[Config.minimumCalls] = rules.minimumCalls;
  config[Config.failureRateThreshold] = rules.failureRate;
  config[Config.slowCallRateThreshold] = rules.slowCallRate ?? 0;
  config[Config.slowCallDurationMs] = rules.slowCallDurationMs ?? 0;
  config[Config.recoveryTimeoutMs] = rules.recoveryTimeoutMs;
  config[Config.maxRecoveryTimeoutMs] = rules.maxRecoveryTimeoutMs;
  config[Config.backoffFactor] = rules.backoffFactor ?? 1;
  config[Config.jitter] = rules.jitter ?? 0;
  config[Config.halfOpenMaxCalls] = rules.halfOpenMaxCalls ?? 1;
  config[Config.halfOpenSuccessThreshold] = rules.halfOpenSuccessThreshold ?? 1;
  config[Config.halfOpenTimeoutMs] = rules.halfOpenTimeoutMs ?? 0;
  config[Config.probeTimeoutMs] = rules.probeTimeoutMs ?? 0;
  return config;
}

/** The rules a configure() record carries (the inverse of encodeConfig). */
export function decodeConfig(config: Float64Array): Required<SlotRules> {
  return {
    windowType: config[Config.windowType] === WindowType.count ? 'count' : 'time',
    buckets: config[Config.buckets],
    windowSize: config[Config.windowSize],
    failureThreshold: config[Config.failureThreshold],
    minimumCalls: config[Config.minimumCalls],
    failureRate: config[Config.failureRateThreshold],
    slowCallRate: config[Config.slowCallRateThreshold],
    slowCallDurationMs: config[Config.slowCallDurationMs],
    recoveryTimeoutMs: config[Config.recoveryTimeoutMs],
    maxRecoveryTimeoutMs: config[Config.maxRecoveryTimeoutMs],
    backoffFactor: config[Config.backoffFactor],
    jitter: config[Config.jitter],
    halfOpenMaxCalls: config[Config.halfOpenMaxCalls],
    halfOpenSuccessThreshold: config[Config.halfOpenSuccessThreshold],
    halfOpenTimeoutMs: config[Config.halfOpenTimeoutMs],
    probeTimeoutMs: config[Config.probeTimeoutMs],
  };
}

/** The state code (State.CLOSED, OPEN, ...) of a state word's low 32 bits. */
export function stateOfWord(word: number): number {
  return word & 0xf;
}

/** The generation of a state word's low 32 bits: each transition adds one. */
export function generationOfWord(word: number): number {
  return (word >>> 4) & GENERATION_MASK;
}

/** The generation after `generation`, and before it (outcomes carry the generation they ran in). */
export function nextGeneration(generation: number): number {
  return (generation + 1) & GENERATION_MASK;
}

export function previousGeneration(generation: number): number {
  return (generation - 1) & GENERATION_MASK;
}

/** Whether generation `a` came after `b` (serial arithmetic: generations wrap at 2^28). */
export function isLaterGeneration(a: number, b: number): boolean {
  const ahead = (a - b) & GENERATION_MASK;
  return ahead !== 0 && ahead < (GENERATION_MASK + 1) / 2;
}

/** A state word's low 32 bits for `state` in `generation`. */
export function lowStateWord(state: number, generation: number): number {
  return ((generation & GENERATION_MASK) << 4) | state;
}

/** A slot's run of consecutive failures, read from the arena's words at its state word's index (a relaxed read). */
export function slotConsecutiveFailures(words: Int32Array, stateIndex: number): number {
  return words[stateIndex + (Slot.consecutiveFailures >> 2)];
}

/*
 * The clock page (native/core/coarse_clock.h): [nowMs32, parked, demand, era], read by the hot
 * path to decide an open circuit's refusal without a crossing.
 */

/** Whether the page's clock is parked (its time is stale: ask the core). */
export function pageParked(page: Int32Array): boolean {
  return page[ClockWord.parked] !== 0;
}

/** Asks the clock thread to keep the page's time fresh. */
export function demandPageTime(page: Int32Array): void {
  if (page[ClockWord.demand] === 0) page[ClockWord.demand] = 1;
}

export function pageNowMs32(page: Int32Array): number {
  return page[ClockWord.nowMs32];
}

export function pageEra(page: Int32Array): number {
  return page[ClockWord.era];
}

/* The scratch registers an operation writes its answer into. */

/** The generation admit() admitted a call under. */
export function admittedGeneration(scratch: Int32Array): number {
  return scratch[Scratch.generation];
}

/** Whether the last operation reported a transition; clears the report. */
export function takeTransition(scratch: Int32Array): boolean {
  const transitioned = scratch[Scratch.transitioned] === 1;
  scratch[Scratch.transitioned] = 0;
  return transitioned;
}

/** The reported transition's from state, to state, reason and new generation. */
export function transitionFrom(scratch: Int32Array): number {
  return scratch[Scratch.from];
}

export function transitionTo(scratch: Int32Array): number {
  return scratch[Scratch.to];
}

export function transitionReason(scratch: Int32Array): number {
  return scratch[Scratch.reason];
}

export function transitionGeneration(scratch: Int32Array): number {
  return scratch[Scratch.newGeneration];
}

/*
 * A windowStats() row starting at `at`: the breaker's consecutive failures, time since its last
 * transition (-1: never moved) and lifetime calls, then two spans (the whole window and its recent
 * quarter), each read by the span's start.
 */

export function rowConsecutiveFailures(stats: Float64Array, at: number): number {
  return stats[at + WindowStat.consecutiveFailures];
}

/** The state code (State) of a windowStats() row's breaker. */
export function rowState(stats: Float64Array, at: number): number {
  return stats[at + WindowStat.state];
}

export function rowMsSinceTransition(stats: Float64Array, at: number): number {
  return stats[at + WindowStat.msSinceTransition];
}

export function rowTotalCalls(stats: Float64Array, at: number): number {
  return stats[at + WindowStat.totalCalls];
}

/** Where the row's whole-window span starts, and its recent quarter's. */
export function windowSpan(at: number): number {
  return at + WindowStat.window;
}

export function recentSpan(at: number): number {
  return at + WindowStat.recent;
}

export function spanSuccesses(stats: Float64Array, span: number): number {
  return stats[span + SpanStat.successes];
}

export function spanFailures(stats: Float64Array, span: number): number {
  return stats[span + SpanStat.failures];
}

export function spanSlowCalls(stats: Float64Array, span: number): number {
  return stats[span + SpanStat.slowCalls];
}

export function spanTimeouts(stats: Float64Array, span: number): number {
  return stats[span + SpanStat.timeouts];
}

/** The span's latency percentile in µs (NaN when no call was timed): k = 0 for p50, 1 for p90, 2 for p99. */
export function spanPercentileUs(stats: Float64Array, span: number, k: number): number {
  return stats[span + SpanStat.p50Us + k];
}
