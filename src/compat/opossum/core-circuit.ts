import type { ManualClock } from '../../clock';
import { CONFIG_SIZE, Config, GENERATION_MASK, MAX_BUCKETS, MAX_PERIOD_MS, Outcome, Scratch, State, WindowType } from '../../core/layout';
import { monotonicPool, type SlotRef } from '../../core/pool';
import { core } from '../../core/select';
import type { Scheduler } from './scheduler';

/** What the core needs from opossum's options. */
export interface CoreCircuitOptions {
  errorThresholdPercentage: number;
  rollingCountTimeout: number;
  rollingCountBuckets: number;
  resetTimeout: number;
}

/** No transition happened (record() and friends return the new state otherwise). */
export const NO_TRANSITION = -1;

/** Turns the core's >= into opossum's strict >: far below any step between two real rates. */
const STRICTLY_ABOVE = 1e-12;
/** Fires are folded this long before their bucket ends (the coarse clock may lag the core's by a ms). */
const FOLD_MARGIN_MS = 2;

/**
 * The core's failure-rate threshold for opossum's errorThresholdPercentage. opossum trips when
 * failures / fires > q (q = percentage / 100). The core's window holds every fire as a success
 * plus every failure, so it sees failures / (fires + failures), and
 * F / fires > q  <=>  F / (fires + F) > q / (1 + q).
 * A threshold at or below 0 trips on any failure.
 */
function coreThreshold(percentage: number): number {
  const q = percentage / 100;
  return q > 0 ? q / (1 + q) + STRICTLY_ABOVE : STRICTLY_ABOVE;
}

/**
 * A breakwater core slot that decides opossum's trips: a time window of rollingCountTimeout ms in
 * rollingCountBuckets buckets (at most 64) holding one count per fire and one per failure, a
 * failure-rate rule equivalent to opossum's (strictly above errorThresholdPercentage of the
 * fires), resetTimeout ms open, then half-open with a single trial call that closes or reopens
 * the circuit. The state word, the window and the rate decision live in the core; opossum's
 * gates (warm-up, volumeThreshold) are the caller's, which records a gated failure as counted only.
 */
export class CoreCircuit {
  private readonly ref: SlotRef;
  private readonly words: Int32Array;
  private readonly stateIndex: number;
  private readonly scheduler: Scheduler;
  /** The core's bucket span, in ms. */
  private readonly spanMs: number;
  /** Fires counted in JS, not yet in the core, and the core bucket they belong to. */
  private pendingFires = 0;
  private pendingBucket = NaN;

  constructor(options: CoreCircuitOptions, clock: ManualClock | undefined, scheduler: Scheduler) {
    const buckets = Math.min(MAX_BUCKETS, Math.max(1, Math.floor(options.rollingCountBuckets) || 10));
    this.ref = (clock ? clock.pool : monotonicPool).allocate(buckets);
    this.words = this.ref.arena.words;
    this.stateIndex = this.ref.arena.stateIndex(this.ref.slot);
    this.scheduler = scheduler;
    this.spanMs = Math.max(1, Math.round((options.rollingCountTimeout * 1000) / buckets)) / 1000;
    const config = new Float64Array(CONFIG_SIZE);
    config[Config.windowType] = WindowType.time;
    config[Config.buckets] = buckets;
    config[Config.windowSize] = options.rollingCountTimeout;
    config[Config.failureThreshold] = 0;
    // volumeThreshold counts fires, which the caller gates on: the core needs just one count.
    config[Config.minimumCalls] = 1;
    config[Config.failureRateThreshold] = coreThreshold(options.errorThresholdPercentage);
    config[Config.slowCallRateThreshold] = 0;
    config[Config.slowCallDurationMs] = 0;
    config[Config.recoveryTimeoutMs] = options.resetTimeout;
    config[Config.maxRecoveryTimeoutMs] = options.resetTimeout;
    config[Config.backoffFactor] = 1;
    config[Config.jitter] = 0;
    config[Config.halfOpenMaxCalls] = 1;
    config[Config.halfOpenSuccessThreshold] = 1;
    config[Config.halfOpenTimeoutMs] = 0;
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

  /**
   * Counts a fire. Fires are counted in JS (a crossing per call would cost more than the rest of
   * the compat layer) and folded into the core before any decision, and just before the core's
   * bucket ends, so they land in the bucket they happened in.
   */
  fired(): void {
    const now = this.scheduler.now();
    const bucket = Math.floor(now / this.spanMs);
    if (bucket !== this.pendingBucket) {
      this.flushFires();
      this.pendingBucket = bucket;
      this.scheduler.after(Math.max(0, (bucket + 1) * this.spanMs - FOLD_MARGIN_MS - now), this.foldAtBucketEnd);
    }
    this.pendingFires++;
  }

  private readonly foldAtBucketEnd = (): void => {
    this.pendingBucket = NaN;
    this.flushFires();
  };

  private flushFires(): void {
    if (this.pendingFires === 0) return;
    const fires = this.pendingFires;
    this.pendingFires = 0;
    core.record(this.ref.arenaId, this.ref.slot, (this.generation - 1) & GENERATION_MASK, Outcome.success, fires, -1);
    this.transition();
  }

  /**
   * Records an outcome under the current generation (opossum has no generations: whatever
   * settles while half-open decides the trial). Returns the state it moved to, or NO_TRANSITION.
   */
  record(outcome: (typeof Outcome)[keyof typeof Outcome], latencyMs: number): number {
    this.flushFires();
    core.record(this.ref.arenaId, this.ref.slot, this.generation, outcome, 1, Math.max(0, Math.floor(latencyMs * 1000)));
    return this.transition();
  }

  /** Counts outcomes in the window under an older generation: they weigh in later decisions but move nothing now. */
  count(outcome: typeof Outcome.success | typeof Outcome.failure, times: number): void {
    this.flushFires();
    const older = (this.generation - 1) & GENERATION_MASK;
    // The core batches successes; a failure is recorded one at a time.
    const batch = outcome === Outcome.success ? times : 1;
    for (let left = times; left > 0; left -= batch) core.record(this.ref.arenaId, this.ref.slot, older, outcome, batch, -1);
    this.transition();
  }

  /** Opens the circuit for `ms` (opossum's open(): a manual trip that still half-opens). */
  open(ms: number): number {
    this.flushFires();
    core.restore(this.ref.arenaId, this.ref.slot, State.OPEN, ms, 0);
    return this.transition();
  }

  close(): number {
    this.flushFires();
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
    this.flushFires();
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
