import { describe, expect, it } from 'vitest';
import { fmix32, fnv1a32, idPosition, seededBasis } from '../../../src/rollout/hash';
import { manualRollout } from './helpers';

const IDS = 100_000;
const ids = Array.from({ length: IDS }, (_, i) => `user-${i}`);

/** Within 5 standard deviations of the binomial mean (a fixed hash gives one fixed outcome). */
function expectBinomial(hits: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(hits - n * p)).toBeLessThanOrEqual(5 * sd + 1e-9);
}

describe('traffic split', () => {
  it('the hash is 32-bit FNV-1a over UTF-16 code units, finished with fmix32', () => {
    // Published FNV-1a test vectors (ASCII text: one code unit per byte).
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fmix32(0)).toBe(0);
    expect(idPosition('user-1', seededBasis(''))).toBe(fmix32(fnv1a32('user-1')));
  });

  it('each phase sends its weight of 10^5 ids to the new version, within binomial bounds', () => {
    const { rollout } = manualRollout({ phases: [0.01, 0.05, 0.2, 0.5, 1] });
    const seen: number[] = [];
    rollout.evaluateAndDecide(); // pending -> the first phase; promote() walks the rest
    for (;;) {
      const { weight } = rollout.phase;
      let hits = 0;
      for (const id of ids) if (rollout.shouldUseNewVersion(id)) hits++;
      if (weight === 1) expect(hits).toBe(IDS);
      else expectBinomial(hits, IDS, weight);
      seen.push(weight);
      if (rollout.status === 'complete') break;
      rollout.promote();
    }
    expect(seen).toEqual([0.01, 0.05, 0.2, 0.5, 1]);
  });

  it('OFF sends nobody to the new version', () => {
    const { rollout } = manualRollout();
    expect(rollout.phase.name).toBe('OFF');
    expect(ids.some((id) => rollout.shouldUseNewVersion(id))).toBe(false);
  });

  it('is sticky: same answer on every call, and ids on the new version stay there as the phase grows', () => {
    const { rollout } = manualRollout();
    rollout.evaluateAndDecide();
    let previous = new Set(ids.filter((id) => rollout.shouldUseNewVersion(id)));
    expect(ids.filter((id) => rollout.shouldUseNewVersion(id)).length).toBe(previous.size);
    while (rollout.status !== 'complete') {
      rollout.promote();
      const current = new Set(ids.filter((id) => rollout.shouldUseNewVersion(id)));
      for (const id of previous) expect(current.has(id)).toBe(true);
      expect(current.size).toBeGreaterThan(previous.size);
      previous = current;
    }
  });

  it('is deterministic across controllers with the same seed, and independent across seeds', () => {
    const a = manualRollout({ seed: 'model-v2' }).rollout;
    const b = manualRollout({ seed: 'model-v2' }).rollout;
    const c = manualRollout({ seed: 'other' }).rollout;
    for (const r of [a, b, c]) {
      r.evaluateAndDecide();
      r.promote();
      r.promote(); // MEDIUM, 20%
    }
    const pick = (r: typeof a) => ids.filter((id) => r.shouldUseNewVersion(id));
    expect(pick(a)).toEqual(pick(b));
    // Two independent 20% samples overlap on ~4% of ids.
    const inA = new Set(pick(a));
    const both = pick(c).filter((id) => inA.has(id)).length;
    expectBinomial(both, IDS, 0.2 * 0.2);
  });

  it('is uniform over non-sequential ids too (UUID-like and non-ASCII)', () => {
    const { rollout } = manualRollout({ phases: [0.2, 1] });
    rollout.evaluateAndDecide();
    let hits = 0;
    for (let i = 0; i < IDS; i++) {
      const id = `${((i * 2654435761) >>> 0).toString(16)}-ü-${i % 7}-äöß-${i}`;
      if (rollout.shouldUseNewVersion(id)) hits++;
    }
    expectBinomial(hits, IDS, 0.2);
  });

  it('a request id that is not a string is a TypeError naming the argument', () => {
    const { rollout } = manualRollout();
    expect(() => rollout.shouldUseNewVersion(42 as unknown as string)).toThrow(
      /shouldUseNewVersion\(requestId\) needs a string, got number/,
    );
  });
});
