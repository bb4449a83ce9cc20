/**
 * How far an exponential average moves towards a new reading after `elapsedMs`:
 * 1 - 2^(-elapsedMs / halfLifeMs). Rows read at the same tick share it, so it is computed once per
 * distinct elapsed time (a power costs more than the rest of a feature row).
 */
export class DecayWeight {
  private elapsedMs = NaN;
  private weight = NaN;

  constructor(private readonly halfLifeMs: number) {}

  of(elapsedMs: number): number {
    if (elapsedMs !== this.elapsedMs) {
      this.elapsedMs = elapsedMs;
      this.weight = 1 - 2 ** (-elapsedMs / this.halfLifeMs);
    }
    return this.weight;
  }
}

/**
 * Moves memory[slot], an exponential average, `weight` of the way to `value` (to `value` itself
 * while the slot is NaN, on a breaker's first read) and gives the average.
 */
export function follow(memory: Float64Array, slot: number, value: number, weight: number): number {
  const before = memory[slot];
  return (memory[slot] = Number.isNaN(before) ? value : before + weight * (value - before));
}
