import { describe, expect, it } from 'vitest';
import { probeRounds, pushedOver, recoveryTime, successRate } from '../../../src/sim/index';
import { mergeSeries } from '../../../src/sim/measures';

/** A series of 1 s buckets from success rates in %, 100 requests each (null = no request). */
const timeline = (rates: Array<number | null>) => ({
  bucketMs: 1000,
  requests: rates.map((r) => (r === null ? 0 : 100)),
  successes: rates.map((r) => r ?? 0),
});

describe('metric definitions on hand-built traces', () => {
  it('success rate is successes / requests (1 with no request)', () => {
    expect(successRate(200, 150)).toBe(0.75);
    expect(successRate(0, 0)).toBe(1);
  });

  it('recovery time runs from the healing to the first bucket that starts 5 s at >= 95%', () => {
    //        0   1   2   3   4   5   6   7   8   9  10  11  12  13
    const t = timeline([100, 0, 0, 0, 40, 96, 97, 80, 95, 99, 100, 100, 100, 100]);
    // Healed at 3.5 s: bucket 5 starts a run but bucket 7 breaks it; bucket 8 starts 5 good buckets.
    expect(recoveryTime(t, 3500)).toBe(8000 - 3500);
    expect(recoveryTime(t, 3500, { sustainMs: 2000 })).toBe(5000 - 3500);
    expect(recoveryTime(t, 3500, { threshold: 0.5, sustainMs: 1000 })).toBe(5000 - 3500);
  });

  it('a recovery under way at the healing counts as 0, and a bucket without requests neither breaks nor makes the run', () => {
    expect(recoveryTime(timeline([100, 100, 100, 100, 100, 100]), 0)).toBe(0);
    const gaps = timeline([0, 100, null, 100, null, 100, 100, 100]);
    expect(recoveryTime(gaps, 1000)).toBe(0);
  });

  it('recovery time is null when the rate never holds for the sustain time within the trace', () => {
    expect(recoveryTime(timeline([0, 0, 100, 100, 100, 100]), 0)).toBeNull();
    expect(recoveryTime(timeline([0, 50, 90, 94]), 0)).toBeNull();
  });

  it('recovery success rate is the share of half-open rounds that closed the circuit', () => {
    const rounds = probeRounds([
      { at: 0, from: 'closed', to: 'open' },
      { at: 30, from: 'open', to: 'half-open' },
      { at: 31, from: 'half-open', to: 'open' },
      { at: 61, from: 'open', to: 'half-open' },
      { at: 62, from: 'half-open', to: 'open' },
      { at: 92, from: 'open', to: 'half-open' },
      { at: 93, from: 'half-open', to: 'closed' },
      { at: 100, from: 'closed', to: 'forced-open' },
    ]);
    expect(rounds).toEqual({ rounds: 3, closed: 1, rate: 1 / 3 });
    expect(probeRounds([{ at: 0, from: 'closed', to: 'open' }]).rate).toBeNull();
  });

  it('a service is pushed over when a sliding window with enough answers fails at or above the threshold', () => {
    const answered = [10, 10, 10, 10, 10];
    expect(pushedOver(answered, [0, 5, 5, 0, 0], { windowBuckets: 2, minAnswers: 20 })).toBe(true);
    expect(pushedOver(answered, [0, 5, 0, 5, 0], { windowBuckets: 2, minAnswers: 20 })).toBe(false);
    expect(pushedOver(answered, [0, 5, 0, 5, 0], { windowBuckets: 2, minAnswers: 20, threshold: 0.25 })).toBe(true);
    expect(pushedOver([1, 1], [1, 1], { windowBuckets: 2, minAnswers: 20 })).toBe(false);
  });

  it('merges the clients of a run bucket by bucket', () => {
    const merged = mergeSeries(1000, [
      { requests: [1, 2], successes: [1, 1] },
      { requests: [3], successes: [0] },
    ]);
    expect(merged).toEqual({ bucketMs: 1000, requests: [4, 2], successes: [1, 1] });
  });
});
