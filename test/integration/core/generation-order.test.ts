import { describe, expect, it } from 'vitest';
import { isLaterGeneration, nextGeneration } from '../../../src/core/codec';
import { GENERATION_MASK } from '../../../src/core/layout';

describe('the order of generations, which wrap at 2^28', () => {
  it('puts each generation after the one before it, across the wrap, and none after itself', () => {
    for (const generation of [0, 1, 12345, GENERATION_MASK - 1, GENERATION_MASK]) {
      const next = nextGeneration(generation);
      expect([isLaterGeneration(next, generation), isLaterGeneration(generation, next)]).toEqual([true, false]);
      expect(isLaterGeneration(generation, generation)).toBe(false);
    }
    expect(nextGeneration(GENERATION_MASK)).toBe(0);
    // Half the ring ahead is the farthest a later generation can be.
    expect(isLaterGeneration(2 ** 27 - 1, 0)).toBe(true);
    expect(isLaterGeneration(2 ** 27 + 1, 0)).toBe(false);
  });
});
