import { Config, CONFIG_SIZE, GENERATION_MASK, WindowType } from './layout';

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
  return config;
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

/** A state word's low 32 bits for `state` in `generation`. */
export function lowStateWord(state: number, generation: number): number {
  return ((generation & GENERATION_MASK) << 4) | state;
}
