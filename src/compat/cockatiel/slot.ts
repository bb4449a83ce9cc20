import { encodeConfig, generationOfWord, stateOfWord } from '../../core/codec';
import { ClockMode, MAX_PERIOD_MS, Outcome, State } from '../../core/layout';
import { readSlot } from '../../core/readings';
import { ArenaPool, type SlotRef } from '../../core/pool';
import { core } from '../../core/select';

/** The trip rules a cockatiel breaker maps to; every other core rule stays off. */
export interface SlotRules {
  window: { type: 'time' | 'count'; buckets: number; size: number };
  failureThreshold: number;
  minimumCalls: number;
  failureRateThreshold: number;
}

/**
 * The arenas of every compat slot run on a manual clock that only a SamplingBreaker moves (to its
 * own virtual time, before each of its operations). cockatiel's policy owns open and half-open
 * timing, so the other breakers never need the time, and no slot reads a real clock: fake timers
 * in the user's tests (sinon's replace `performance`) can't disturb the core.
 */
export const compatPool = new ArenaPool(ClockMode.manual);

/** The largest value a u32 config field holds. */
export const U32_MAX = 2 ** 32 - 1;

/**
 * One core slot used as a counter and trip decision: the cockatiel policy owns open, half-open
 * and their timing, so the slot is never admitted through and its open period never runs out.
 */
export class CoreSlot {
  private readonly ref: SlotRef;
  private readonly stateIndex: number;
  private disposed = false;

  /** `owner` names the breaker in errors. */
  constructor(
    rules: SlotRules,
    private readonly owner: string,
  ) {
    this.ref = compatPool.allocate(rules.window.buckets);
    // cockatiel's IBreaker has no dispose, and a policy drops its breaker without a word: the
    // slot goes back once this CoreSlot (owned by exactly one breaker) is garbage.
    compatPool.releaseWhenUnreachable(this, this.ref);
    this.stateIndex = this.ref.arena.stateIndex(this.ref.slot);
    const config = encodeConfig({
      windowType: rules.window.type,
      buckets: rules.window.buckets,
      windowSize: rules.window.size,
      failureThreshold: rules.failureThreshold,
      minimumCalls: rules.minimumCalls,
      failureRate: rules.failureRateThreshold,
      recoveryTimeoutMs: MAX_PERIOD_MS,
      maxRecoveryTimeoutMs: MAX_PERIOD_MS,
    });
    core.configure(this.ref.arenaId, this.ref.slot, config);
  }

  /**
   * Gives the slot back to the pool now rather than at garbage collection. Afterwards every
   * operation throws: the slot may already count another breaker's calls.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    compatPool.keepWhenUnreachable(this);
    compatPool.release(this.ref);
  }

  /** Whether the slot still decides: once it trips it stays open (counting) until reset(). */
  get closed(): boolean {
    if (this.disposed) throw this.disposedError();
    return stateOfWord(this.ref.arena.words[this.stateIndex]) === State.CLOSED;
  }

  /** Records `count` successes. */
  success(count = 1): void {
    if (this.disposed) throw this.disposedError();
    core.record(this.ref.arenaId, this.ref.slot, this.generation(), Outcome.success, count, -1);
  }

  /** Records one failure; true when the core tripped on it. */
  failure(): boolean {
    if (this.disposed) throw this.disposedError();
    return core.record(this.ref.arenaId, this.ref.slot, this.generation(), Outcome.failure, 1, -1) === 1;
  }

  /** Closes the slot and clears its window and consecutive-failure count. */
  reset(): void {
    if (this.disposed) throw this.disposedError();
    core.reset(this.ref.arenaId, this.ref.slot);
  }

  /** The core's consecutive failures and window counts. */
  read(): { consecutiveFailures: number; successes: number; failures: number } {
    if (this.disposed) throw this.disposedError();
    const reading = readSlot(this.ref);
    return {
      consecutiveFailures: reading.consecutiveFailures,
      successes: reading.window.successes,
      failures: reading.window.failures,
    };
  }

  /** Sets the time of the slot's arena (a SamplingBreaker's virtual time), for the next operation. */
  setTimeUs(us: number): void {
    if (this.disposed) throw this.disposedError();
    this.ref.arena.setManualNowUs(us);
  }

  private disposedError(): Error {
    return new Error(
      `breakwater/cockatiel: this ${this.owner} was disposed and can no longer count calls; create a new one`,
    );
  }

  private generation(): number {
    return generationOfWord(this.ref.arena.words[this.stateIndex]);
  }
}
