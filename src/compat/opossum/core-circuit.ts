import type { ManualClock } from '../../clock';
import { CONFIG_SIZE, Config, GENERATION_MASK, MAX_BUCKETS, MAX_PERIOD_MS, Outcome, Scratch, State, WindowType } from '../../core/layout';
import { monotonicPool, type SlotRef } from '../../core/pool';
import { core } from '../../core/select';

/** What the core needs from opossum's options. */
export interface CoreCircuitOptions {
  errorThresholdPercentage: number;
  volumeThreshold: number;
  rollingCountTimeout: number;
  rollingCountBuckets: number;
  resetTimeout: number;
}

/** No transition happened (record() and friends return the new state otherwise). */
export const NO_TRANSITION = -1;

/**
 * opossum trips when failures / calls > threshold (strictly); the core trips at >=. Nudging the
 * threshold by less than any real rate step turns >= into >.
 */
const STRICTLY_ABOVE = 1e-9;
const U32_MAX = 0xffffffff;

/**
 * A breakwater core slot configured with opossum's semantics: a time window of
 * rollingCountTimeout ms in rollingCountBuckets buckets, a failure-rate rule (strictly above
 * errorThresholdPercentage, once volumeThreshold calls are in the window), resetTimeout ms open,
 * then half-open with a single trial call that closes or reopens the circuit. The state word,
 * the window and every trip decision live in the core.
 */
export class CoreCircuit {
  private readonly ref: SlotRef;
  private readonly words: Int32Array;
  private readonly stateIndex: number;
  private readonly config: Float64Array;

  constructor(options: CoreCircuitOptions, clock: ManualClock | undefined) {
    const buckets = Math.min(MAX_BUCKETS, Math.max(1, Math.floor(options.rollingCountBuckets) || 10));
    this.ref = (clock ? clock.pool : monotonicPool).allocate(buckets);
    this.words = this.ref.arena.words;
    this.stateIndex = this.ref.arena.stateIndex(this.ref.slot);
    const rate = options.errorThresholdPercentage;
    const config = new Float64Array(CONFIG_SIZE);
    config[Config.windowType] = WindowType.time;
    config[Config.buckets] = buckets;
    config[Config.windowSize] = options.rollingCountTimeout;
    config[Config.failureThreshold] = 0;
    config[Config.minimumCalls] = Math.min(U32_MAX, Math.max(1, options.volumeThreshold));
    // >= 100% can never be exceeded: the rule is off (0); a negative threshold trips on any failure.
    config[Config.failureRateThreshold] = rate >= 100 ? 0 : Math.max(0, rate / 100) + STRICTLY_ABOVE;
    config[Config.slowCallRateThreshold] = 0;
    config[Config.slowCallDurationMs] = 0;
    config[Config.recoveryTimeoutMs] = options.resetTimeout;
    config[Config.maxRecoveryTimeoutMs] = options.resetTimeout;
    config[Config.backoffFactor] = 1;
    config[Config.jitter] = 0;
    config[Config.halfOpenMaxCalls] = 1;
    config[Config.halfOpenSuccessThreshold] = 1;
    config[Config.halfOpenTimeoutMs] = 0;
    this.config = config;
    core.configure(this.ref.arenaId, this.ref.slot, config);
  }

  /** The core state code (State.CLOSED, OPEN, HALF_OPEN, ...). */
  get state(): number {
    return this.words[this.stateIndex] & 0xf;
  }

  /** The state word's generation: each transition adds one. */
  get generation(): number {
    return (this.words[this.stateIndex] >>> 4) & GENERATION_MASK;
  }

  /** Turns the failure-rate rule off (warm-up) or back on; the window is kept. */
  setTripping(on: boolean, errorThresholdPercentage: number): void {
    const rate = errorThresholdPercentage;
    this.config[Config.failureRateThreshold] = !on || rate >= 100 ? 0 : Math.max(0, rate / 100) + STRICTLY_ABOVE;
    core.configure(this.ref.arenaId, this.ref.slot, this.config);
  }

  /**
   * Records an outcome under the current generation (opossum has no generations: whatever
   * settles while half-open decides the trial). Returns the state it moved to, or NO_TRANSITION.
   */
  record(outcome: (typeof Outcome)[keyof typeof Outcome], latencyMs: number): number {
    core.record(this.ref.arenaId, this.ref.slot, this.generation, outcome, 1, Math.max(0, Math.floor(latencyMs * 1000)));
    return this.transition();
  }

  /** Counts a call refused by the open circuit in the window and the totals. */
  rejected(): void {
    core.rejected(this.ref.arenaId, this.ref.slot, 1);
  }

  /** Opens the circuit for `ms` (opossum's open(): a manual trip that still half-opens). */
  open(ms: number): number {
    core.restore(this.ref.arenaId, this.ref.slot, State.OPEN, ms, 0);
    return this.transition();
  }

  close(): number {
    core.close(this.ref.arenaId, this.ref.slot);
    return this.transition();
  }

  /** Milliseconds until an open circuit's deadline (0 when reached or not open). */
  remainingMs(): number {
    if (this.state !== State.OPEN) return 0;
    const now32 = Math.floor(core.nowUs(this.ref.arenaId) / 1000) >>> 0;
    return Math.max(0, (this.words[this.stateIndex + 1] - now32) | 0);
  }

  /**
   * At the open deadline: moves to half-open and takes its single trial call on behalf of the
   * next fire(). Returns the half-open generation, or -1 when the circuit did not move.
   */
  enterHalfOpen(): number {
    const admitted = core.admit(this.ref.arenaId, this.ref.slot) === 1;
    const generation = core.scratch[Scratch.generation];
    const to = this.transition();
    return admitted && to === State.HALF_OPEN ? generation : -1;
  }

  private transition(): number {
    const scratch = core.scratch;
    if (scratch[Scratch.transitioned] !== 1) return NO_TRANSITION;
    scratch[Scratch.transitioned] = 0;
    return scratch[Scratch.to];
  }
}

export { MAX_PERIOD_MS, Outcome, State };
