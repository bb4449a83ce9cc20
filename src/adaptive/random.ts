/**
 * A small seeded generator (mulberry32): the trainer's subsampling and validation split depend only
 * on the seed, so the same data and options give the same model on every machine.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // Mix the seed once so nearby seeds (0, 1, 2) start far apart.
    this.state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Shuffles the first `count` slots into a uniform sample of `indices` (partial Fisher-Yates). */
  sampleInPlace(indices: Uint32Array, count: number): void {
    for (let i = 0; i < count; i++) {
      const j = i + this.below(indices.length - i);
      const swap = indices[i];
      indices[i] = indices[j];
      indices[j] = swap;
    }
  }
}
