import type { ManualClock } from '../../clock';
import {
  admittedGeneration,
  encodeConfig,
  generationOfWord,
  lowStateWord,
  nextGeneration,
  previousGeneration,
  stateOfWord,
  takeTransition,
  transitionTo,
} from '../../core/codec';
import { MAX_BUCKETS, MAX_PERIOD_MS, Outcome, State } from '../../core/layout';
import { monotonicPool, type ArenaPool, type SlotRef } from '../../core/pool';
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
 *
 * release() gives the slot back (opossum's shutdown()); the circuit then keeps its state word in
 * JS, and only the manual transitions a shut-down opossum breaker still makes move it.
 */
export class CoreCircuit {
  /** The slot, until release(). */
  private ref: SlotRef | undefined;
  private readonly pool: ArenaPool;
  /** The arena's words and the state word's index in them; a private copy after release(). */
  private words: Int32Array;
  private stateIndex: number;
  private readonly scheduler: Scheduler;
  /** The core's bucket span, in ms. */
  private readonly spanMs: number;
  /** Fires counted in JS, not yet in the core, and the span of the core bucket they belong to. */
  private pendingFires = 0;
  private pendingFrom = NaN;
  private pendingUntil = NaN;

  constructor(options: CoreCircuitOptions, clock: ManualClock | undefined, scheduler: Scheduler) {
    const buckets = Math.min(MAX_BUCKETS, Math.max(1, Math.floor(options.rollingCountBuckets) || 10));
    this.pool = clock ? clock.pool : monotonicPool;
    const ref = (this.ref = this.pool.allocate(buckets));
    // opossum users drop breakers without shutdown(): the slot goes back once this circuit (owned
    // by exactly one breaker) is garbage, not never.
    this.pool.releaseWhenUnreachable(this, ref);
    this.words = ref.arena.words;
    this.stateIndex = ref.arena.stateIndex(ref.slot);
    this.scheduler = scheduler;
    this.spanMs = Math.max(1, Math.round((options.rollingCountTimeout * 1000) / buckets)) / 1000;
    const config = encodeConfig({
      windowType: 'time',
      buckets,
      windowSize: options.rollingCountTimeout,
      failureThreshold: 0,
      // volumeThreshold counts fires, which the caller gates on: the core needs just one count.
      minimumCalls: 1,
      failureRate: coreThreshold(options.errorThresholdPercentage),
      recoveryTimeoutMs: options.resetTimeout,
      maxRecoveryTimeoutMs: options.resetTimeout,
    });
    core.configure(ref.arenaId, ref.slot, config);
  }

  /**
   * Gives the slot back to its pool for the next breaker; no later call touches it. The state
   * word moves into a private copy: the circuit still reads as open or closed, open() and
   * close() still move it, and the rest (counts, trip decisions, deadlines) stops.
   */
  release(): void {
    const ref = this.ref;
    if (ref === undefined) return;
    const detached = new Int32Array(1);
    detached[0] = this.words[this.stateIndex];
    this.ref = undefined;
    this.pendingFires = 0;
    this.words = detached;
    this.stateIndex = 0;
    this.pool.keepWhenUnreachable(this);
    this.pool.release(ref);
  }

  /** After release(): moves the private state word to `state` (a new generation) and returns it. */
  private moveDetached(state: number): number {
    const word = this.words[0];
    if (stateOfWord(word) === state) return NO_TRANSITION;
    this.words[0] = lowStateWord(state, nextGeneration(generationOfWord(word)));
    return state;
  }

  /** The core state code (State.CLOSED, OPEN, HALF_OPEN, ...). */
  get state(): number {
    return stateOfWord(this.words[this.stateIndex]);
  }

  /** The state word's generation: each transition adds one. */
  get generation(): number {
    return generationOfWord(this.words[this.stateIndex]);
  }

  /**
   * Counts a fire at `now` (the scheduler's clock). Fires are counted in JS (a crossing per call
   * would cost more than the rest of the compat layer) and folded into the core before any
   * decision, and just before the core's bucket ends, so they land in the bucket they happened in.
   */
  fired(now: number): void {
    if (!(now >= this.pendingFrom && now < this.pendingUntil)) {
      if (this.ref === undefined) return;
      this.startBucket(now);
    }
    this.pendingFires++;
  }

  /** The first fire of a core bucket: folds the last bucket's fires and schedules this one's fold. */
  private startBucket(now: number): void {
    const bucket = Math.floor(now / this.spanMs);
    this.flushFires();
    // Clamped around now: a rounding at the bucket's edge must not send every fire back here.
    this.pendingFrom = Math.min(bucket * this.spanMs, now);
    this.pendingUntil = Math.max((bucket + 1) * this.spanMs, now + 1e-6);
    this.scheduler.after(Math.max(0, this.pendingUntil - FOLD_MARGIN_MS - now), this.foldAtBucketEnd);
  }

  private readonly foldAtBucketEnd = (): void => {
    this.pendingFrom = this.pendingUntil = NaN;
    this.flushFires();
  };

  private flushFires(): void {
    const ref = this.ref;
    if (this.pendingFires === 0 || ref === undefined) return;
    const fires = this.pendingFires;
    this.pendingFires = 0;
    core.record(ref.arenaId, ref.slot, previousGeneration(this.generation), Outcome.success, fires, -1);
    this.transition();
  }

  /**
   * Records an outcome under the current generation (opossum has no generations: whatever
   * settles while half-open decides the trial). Returns the state it moved to, or NO_TRANSITION.
   */
  record(outcome: (typeof Outcome)[keyof typeof Outcome], latencyMs: number): number {
    const ref = this.ref;
    if (ref === undefined) {
      // Released: only a half-open trial still decides (the caller decides a closed circuit's trip).
      if (this.state !== State.HALF_OPEN) return NO_TRANSITION;
      return this.moveDetached(outcome === Outcome.success ? State.CLOSED : State.OPEN);
    }
    this.flushFires();
    core.record(ref.arenaId, ref.slot, this.generation, outcome, 1, Math.max(0, Math.floor(latencyMs * 1000)));
    return this.transition();
  }

  /** Counts outcomes in the window under an older generation: they weigh in later decisions but move nothing now. */
  count(outcome: typeof Outcome.success | typeof Outcome.failure, times: number): void {
    const ref = this.ref;
    if (ref === undefined) return;
    this.flushFires();
    const older = previousGeneration(this.generation);
    // The core batches successes; a failure is recorded one at a time.
    const batch = outcome === Outcome.success ? times : 1;
    for (let left = times; left > 0; left -= batch) core.record(ref.arenaId, ref.slot, older, outcome, batch, -1);
    this.transition();
  }

  /** Opens the circuit for `ms` (opossum's open(): a manual trip that still half-opens). */
  open(ms: number): number {
    const ref = this.ref;
    if (ref === undefined) return this.moveDetached(State.OPEN);
    this.flushFires();
    core.restore(ref.arenaId, ref.slot, State.OPEN, ms, 0);
    return this.transition();
  }

  close(): number {
    const ref = this.ref;
    if (ref === undefined) return this.moveDetached(State.CLOSED);
    this.flushFires();
    core.close(ref.arenaId, ref.slot);
    return this.transition();
  }

  /** Milliseconds until an open circuit's deadline (0 when reached or not open). */
  remainingMs(): number {
    const ref = this.ref;
    // Released: no deadline runs any more (opossum's reset timer is gone after shutdown).
    if (this.state !== State.OPEN || ref === undefined) return 0;
    return core.remainingMs(ref.arenaId, ref.slot); // on full-width time, however long it idled
  }

  /**
   * At the open deadline: moves to half-open and takes its single trial call on behalf of the
   * next fire(). Returns the half-open generation, or -1 when the circuit did not move.
   */
  enterHalfOpen(): number {
    const ref = this.ref;
    if (ref === undefined) return this.moveDetached(State.HALF_OPEN) === State.HALF_OPEN ? this.generation : -1;
    this.flushFires();
    const admitted = core.admit(ref.arenaId, ref.slot) === 1;
    const generation = admittedGeneration(core.scratch);
    const to = this.transition();
    return admitted && to === State.HALF_OPEN ? generation : -1;
  }

  private transition(): number {
    const scratch = core.scratch;
    if (!takeTransition(scratch)) return NO_TRANSITION;
    return transitionTo(scratch);
  }
}

export { MAX_PERIOD_MS, Outcome, State };
