import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logGamma, upperTailAtMost } from '../../../src/adaptive/binomial-tail';
import { standsOut } from '../../../src/adaptive/usual-failures';

/** P(X >= k) for X ~ Binomial(n, p), summed term by term with exact binomial coefficients (BigInt). */
function exactTail(k: number, n: number, p: number): number {
  let coefficient = 1n;
  let tail = 0;
  for (let j = 0; j <= n; j++) {
    if (j > 0) coefficient = (coefficient * BigInt(n - j + 1)) / BigInt(j);
    if (j >= k) tail += Number(coefficient) * p ** j * (1 - p) ** (n - j);
  }
  return tail;
}

describe('the binomial upper tail', () => {
  it('log-gamma agrees with factorials and Gamma(1/2)', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3_628_800), 10);
    expect(logGamma(171)).toBeCloseTo(706.5730622457874, 8); // log(170!)
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('decides P(X >= k) <= bound as the exact sum does, for any n, k, p and bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 1e-4, max: 0.9999, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.49, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, p, bound, at) => {
          const k = Math.round(at * n);
          const tail = exactTail(k, n, p);
          // Within rounding of the bound either answer is right.
          fc.pre(Math.abs(tail - bound) > 1e-9 * bound);
          expect(upperTailAtMost(k, n, p, bound)).toBe(tail <= bound);
        },
      ),
      { numRuns: 2000, seed: 20261207 },
    );
  });

  it('reads only a few terms when n is large', () => {
    // 100,000 calls: the answer comes from the terms near k, whichever way it goes.
    expect(upperTailAtMost(26_000, 100_000, 0.25, 0.00135)).toBe(true);
    expect(upperTailAtMost(25_100, 100_000, 0.25, 0.00135)).toBe(false);
  });
});

describe("failures standing out from a breaker's usual share", () => {
  it('on few calls asks for as many failures as the binomial tail does, not the normal approximation', () => {
    // 5 of 6 failing against a usual 25% has a chance of 0.0046: a healthy service's chance run
    // (the normal approximation called it 3 standard errors out); 6 of 6 has 0.00024.
    expect(exactTail(5, 6, (0.25 * 6 + 0.5) / 7)).toBeGreaterThan(0.00135);
    expect(standsOut(5 / 6, 6, 0.25)).toBe(false);
    expect(standsOut(6 / 6, 6, 0.25)).toBe(true);
    expect(standsOut(19 / 40, 40, 0.25)).toBe(false);
    expect(standsOut(20 / 40, 40, 0.25)).toBe(true);
    // A service that never fails: half a failure of noise allowed, so 4 of 6 stand out, 3 do not.
    expect(standsOut(3 / 6, 6, 0)).toBe(false);
    expect(standsOut(4 / 6, 6, 0)).toBe(true);
    // Fewer failures than usual, or no calls, never stand out.
    expect(standsOut(0.2, 1000, 0.25)).toBe(false);
    expect(standsOut(1, 0, 0)).toBe(false);
  });
});
