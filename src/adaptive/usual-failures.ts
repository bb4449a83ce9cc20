import { DecayWeight, follow } from '../features/decay-weight';

/**
 * Each breaker's usual failure share: what its calls fail at when it is not in trouble, as an
 * exponential average of its window's share over the rounds its circuit was closed with the window
 * under the trip threshold. A service that always fails near its threshold crosses it now and then
 * on noise alone; acting then refuses calls that mostly succeed, and the trip it may take comes
 * anyway. An action needs failures that stand out from this share (standsOut).
 */

/** Half-life of the usual share, as the latency baseline's default: a lasting change is absorbed in minutes. */
const HALF_LIFE_MS = 300_000;
/** The share is used once learnt over this long; a breaker met during an onset must not take it as usual. */
const LEARNT_AFTER_MS = 30_000;
/** How many standard errors of the recent quarter's calls the recent share must stand above the usual one. */
const STANDS_OUT_Z = 3;

/** Per breaker: [share, ms learnt, last reading at ms]. */
const SHARE = 0;
const LEARNT = 1;
const AT = 2;

export class UsualFailures {
  private readonly byKey = new Map<string, Float64Array>();
  private readonly weight = new DecayWeight(HALF_LIFE_MS);

  /**
   * Takes one round's reading of a breaker: its window's failure share, counted only while the
   * circuit is closed, the window holds its minimum calls and stays under the trip threshold.
   */
  observe(key: string, windowShare: number, counts: boolean, nowMs: number): void {
    const memory = this.byKey.get(key);
    if (!counts || !(windowShare >= 0)) {
      if (memory !== undefined) memory[AT] = nowMs; // time in trouble teaches nothing
      return;
    }
    if (memory === undefined) {
      this.byKey.set(key, Float64Array.of(windowShare, 0, nowMs));
      return;
    }
    const elapsedMs = Math.max(0, nowMs - memory[AT]);
    follow(memory, SHARE, windowShare, this.weight.of(elapsedMs));
    memory[LEARNT] += elapsedMs;
    memory[AT] = nowMs;
  }

  /** The breaker's usual failure share, once learnt long enough; undefined before. */
  usual(key: string): number | undefined {
    const memory = this.byKey.get(key);
    return memory !== undefined && memory[LEARNT] >= LEARNT_AFTER_MS ? memory[SHARE] : undefined;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}

/**
 * Whether a recent failure share over `recentCalls` calls stands STANDS_OUT_Z standard errors above
 * the usual share (binomial noise at the usual share, with half a failure added so that a usual
 * share of 0 still allows a call's worth of noise).
 */
export function standsOut(recentShare: number, recentCalls: number, usual: number): boolean {
  if (!(recentCalls > 0)) return false;
  const p = (usual * recentCalls + 0.5) / (recentCalls + 1);
  return recentShare - usual >= STANDS_OUT_Z * Math.sqrt((p * (1 - p)) / recentCalls);
}
