// generated from native/layout.json by scripts/layout.mjs: edit that file, then run `node scripts/layout.mjs`.
/** Arena layout, the contract both cores implement (native/LAYOUT.md). Offsets in bytes. */

export const MAGIC = 0x31415742;
export const LAYOUT_VERSION = 4;
export const HEADER_BYTES = 256;
export const SLOT_FIXED_BYTES = 512;
/** A bucket's counters; its latency histogram (HISTOGRAM_BINS u16) follows when the arena keeps one. */
export const BUCKET_COUNTER_BYTES = 32;
/** A bucket's histogram takes the latencies of its first 65,000 calls: a u16 bin never wraps, with room for the few adds that race a claim (LAYOUT.md). */
export const BUCKET_LATENCY_SAMPLES = 65000;
export const HISTOGRAM_BINS = 104;
/** Bytes of one histogram bin (u16). */
export const HISTOGRAM_BIN_BYTES = 2;
/** A bucket tag's low bits hold epoch + 1; each bit above marks a group of histogram bins written in that epoch. */
export const TAG_EPOCH_BITS = 57;
/** Bins per group a tag bit marks: 7 groups of 16 bins (the last 8) cover the 104 bins. */
export const HISTOGRAM_GROUP_BINS = 16;
export const MAX_BUCKETS = 64;
export const HISTORY_ENTRIES = 8;
export const HISTORY_ENTRY_BYTES = 16;
/** Threads that count fast-path successes in a lane of their own, per arena; a thread past the last counts in the core. */
export const LANES = 16;
/** The clock's era word is floor(nowMs / 2^ERA_SHIFT) (about 17.5 minutes a step). */
export const ERA_SHIFT = 20;
/** Periods are compared in 32-bit serial arithmetic, so every period must stay below 2^30 ms. */
export const MAX_PERIOD_MS = 2 ** 30 - 1;
/** A state word's generation: 28 bits, wrapping. */
export const GENERATION_MASK = 0x0fffffff;
export const CLOCK_WORDS = 4;
/** history() output: up to 8 entries of [atUs, from, to, reason, newGeneration]. */
export const HISTORY_FIELDS = 5;
/** The scratch registers JS allocates: at least the binding's scratch fields. */
export const SCRATCH_SIZE = 8;

export const Header = {
  magic: 0,
  version: 4,
  capacity: 8,
  maxBuckets: 12,
  slotBytes: 16,
  bins: 20,
  nextSlot: 24,
  clockMode: 28,
  manualNowUs: 32,
  clockWords: 40,
  lanesClaimed: 56,
} as const;

export const Slot = {
  stateWord: 0,
  halfOpenWord: 8,
  consecutiveFailures: 16,
  reopens: 20,
  callSeq: 24,
  transitionSeq: 32,
  lastTransitionUs: 40,
  epoch: 48,
  probeGrantedMs32: 52,
  laneBaseline: 56,
  windowType: 64,
  buckets: 68,
  bucketSpan: 72,
  failureThreshold: 80,
  minimumCalls: 84,
  failureRateThreshold: 88,
  slowCallRateThreshold: 96,
  slowCallDurationUs: 104,
  recoveryTimeoutMs: 112,
  maxRecoveryTimeoutMs: 116,
  backoffFactor: 120,
  jitter: 128,
  halfOpenMaxCalls: 136,
  halfOpenSuccessThreshold: 140,
  halfOpenTimeoutMs: 144,
  probeTimeoutMs: 148,
  totals: 192,
  history: 256,
  lanes: 384,
  buckets0: 512,
} as const;

export const BucketField = {
  tag: 0,
  calls: 8,
  successes: 12,
  failures: 16,
  slowCalls: 20,
  timeouts: 24,
  rejections: 28,
  histogram: 32,
} as const;

/** u64 totals, in slot order starting at Slot.totals. */
export const Total = {
  calls: 0,
  successes: 1,
  failures: 2,
  slowCalls: 3,
  timeouts: 4,
  rejections: 5,
  opens: 6,
  ignored: 7,
} as const;

/** configure() input. */
export const Config = {
  windowType: 0,
  buckets: 1,
  windowSize: 2,
  failureThreshold: 3,
  minimumCalls: 4,
  failureRateThreshold: 5,
  slowCallRateThreshold: 6,
  slowCallDurationMs: 7,
  recoveryTimeoutMs: 8,
  maxRecoveryTimeoutMs: 9,
  backoffFactor: 10,
  jitter: 11,
  halfOpenMaxCalls: 12,
  halfOpenSuccessThreshold: 13,
  halfOpenTimeoutMs: 14,
  probeTimeoutMs: 15,
} as const;
export const CONFIG_SIZE = 16;

/** snapshot() output. */
export const Snap = {
  state: 0,
  generation: 1,
  remainingMs: 2,
  consecutiveFailures: 3,
  reopens: 4,
  probesAdmitted: 5,
  probeSuccesses: 6,
  windowCalls: 7,
  windowSuccesses: 8,
  windowFailures: 9,
  windowSlowCalls: 10,
  windowTimeouts: 11,
  windowRejections: 12,
  p50Us: 13,
  p90Us: 14,
  p99Us: 15,
  latencySamples: 16,
  totalCalls: 17,
  totalSuccesses: 18,
  totalFailures: 19,
  totalSlowCalls: 20,
  totalTimeouts: 21,
  totalRejections: 22,
  totalOpens: 23,
  totalIgnored: 24,
  transitionSeq: 25,
  msSinceTransition: 26,
  nowUs: 27,
} as const;
export const SNAPSHOT_SIZE = 28;

/** windowStats() row: state, then the whole window and its newest ceil(buckets / 4) buckets (SpanStat fields each). */
export const WindowStat = {
  state: 0,
  consecutiveFailures: 1,
  /** -1 when the breaker never moved. */
  msSinceTransition: 2,
  totalCalls: 3,
  totalRejections: 4,
  window: 5,
  recent: 14,
} as const;
export const WINDOW_STATS_SIZE = 23;

/** Offsets within WindowStat.window and WindowStat.recent. */
export const SpanStat = {
  calls: 0,
  successes: 1,
  failures: 2,
  slowCalls: 3,
  timeouts: 4,
  rejections: 5,
  p50Us: 6,
  p90Us: 7,
  p99Us: 8,
} as const;

/** The scratch registers an operation writes its answer into (avoids allocating a result). */
export const Scratch = {
  generation: 0,
  transitioned: 1,
  from: 2,
  to: 3,
  reason: 4,
  newGeneration: 5,
} as const;

/** The clock words JS reads on the fast rejection path. */
export const ClockWord = {
  nowMs32: 0,
  parked: 1,
  demand: 2,
  era: 3,
} as const;

export const State = {
  CLOSED: 0,
  OPEN: 1,
  HALF_OPEN: 2,
  FORCED_OPEN: 3,
  DISABLED: 4,
} as const;
export type StateCode = (typeof State)[keyof typeof State];

export const Reason = {
  NONE: 0,
  CONSECUTIVE_FAILURES: 1,
  FAILURE_RATE: 2,
  SLOW_CALL_RATE: 3,
  RECOVERY_TIMEOUT: 4,
  PROBE_SUCCESS: 5,
  PROBE_FAILURE: 6,
  HALF_OPEN_TIMEOUT: 7,
  FORCE_OPEN: 8,
  DISABLE: 9,
  MANUAL_CLOSE: 10,
  RESET: 11,
  RESTORE: 12,
  PREDICTED: 13,
  CLUSTER: 14,
} as const;
export type ReasonCode = (typeof Reason)[keyof typeof Reason];

/** countedSuccess: successes already counted in the caller's lane (window and state only). */
export const Outcome = {
  success: 0,
  failure: 1,
  timeout: 2,
  ignored: 3,
  countedSuccess: 4,
} as const;
export type OutcomeCode = (typeof Outcome)[keyof typeof Outcome];

export const WindowType = {
  time: 0,
  count: 1,
} as const;
export type WindowTypeCode = (typeof WindowType)[keyof typeof WindowType];

export const ClockMode = {
  monotonic: 0,
  manual: 1,
} as const;
export type ClockModeCode = (typeof ClockMode)[keyof typeof ClockMode];

/** Bytes of one bucket: with the histogram (bins = HISTOGRAM_BINS) or without it (bins = 0). */
export function bucketBytesFor(bins: number): number {
  return BUCKET_COUNTER_BYTES + bins * HISTOGRAM_BIN_BYTES;
}

export function slotBytesFor(maxBuckets: number, bins: number = HISTOGRAM_BINS): number {
  return SLOT_FIXED_BYTES + maxBuckets * bucketBytesFor(bins);
}

export function arenaBytesFor(capacity: number, maxBuckets: number, bins: number = HISTOGRAM_BINS): number {
  return HEADER_BYTES + capacity * slotBytesFor(maxBuckets, bins);
}
