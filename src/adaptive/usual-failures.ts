import { DecayWeight, follow } from '../features/decay-weight';
import { upperTailAtMost } from './binomial-tail';

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
/**
 * How unlikely the recent failures must be at the usual share: the one-sided tail of 3 standard
 * errors of a normal distribution, read on the binomial itself (upperTailAtMost). The normal
 * approximation it replaces understated that tail on few calls, where the binomial is skewed: 5 of
 * 6 failing against a usual 25% has a chance of 0.0046, 3.4 times the bound, and passed as 3
 * standard errors out. Now 6 of 6 are needed there; on 40 calls, 20 (before, 19).
 */
const STANDS_OUT_TAIL = 0.0013498980316301;

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
 * Whether a recent failure share over `recentCalls` calls stands out from the usual share: that
 * many failures or more have a chance of at most STANDS_OUT_TAIL at the usual share (binomial
 * noise, with half a failure added so that a usual share of 0 still allows a call's worth of it).
 */
export function standsOut(recentShare: number, recentCalls: number, usual: number): boolean {
  if (!(recentCalls > 0) || !(recentShare > usual)) return false;
  const calls = Math.round(recentCalls);
  const failures = Math.min(calls, Math.round(recentShare * calls));
  const p = (usual * calls + 0.5) / (calls + 1);
  return upperTailAtMost(failures, calls, p, STANDS_OUT_TAIL);
}
