import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import type { ScoringModel } from '../../../src/adaptive/early-warning';
import { playWithWarning } from '../../../src/sim/generator/acting';
import { FAMILIES, HELD_OUT_FAMILIES, familyNamed } from '../../../src/sim/generator/families';
import { playRun, setupRun } from '../../../src/sim/generator/run';
import { generateTrainingData } from '../../../src/sim/generator/training-data';
import { HEALTHY } from '../../../src/sim/generator/service';
import { SeededRandom } from '../../../src/random';

const isHealthy = (condition: typeof HEALTHY): boolean => JSON.stringify(condition) === JSON.stringify(HEALTHY);

/** A model that always predicts a trip. */
const panicking: ScoringModel = {
  featureList: CORE_FEATURES,
  score: async (rows) => new Float32Array(rows.length / CORE_FEATURE_COUNT).fill(1),
};

describe('the wide generator', () => {
  it('draws services and breaker options across the ranges a user meets', () => {
    const setups = Array.from({ length: 60 }, (_, seed) => setupRun(familyNamed('healthy'), seed + 1));
    const rates = setups.map((s) => s.traits.callRate);
    const medians = setups.map((s) => s.traits.medianMs);
    expect(Math.min(...rates)).toBeLessThan(5);
    expect(Math.max(...rates)).toBeGreaterThan(200);
    expect(Math.min(...medians)).toBeLessThan(5);
    expect(Math.max(...medians)).toBeGreaterThan(300);
    const options = setups.map((s) => s.options);
    expect(new Set(options.map((o) => o.slidingWindowType))).toEqual(new Set(['time', 'count']));
    expect(options.some((o) => o.failureRateThreshold === 0)).toBe(true); // the consecutive rule alone
    expect(options.some((o) => o.failureThreshold === 0)).toBe(true); // the rate rule alone
    expect(options.some((o) => o.timeout === 0)).toBe(true);
    // Every breaker has a rule to trip by; some trip on slow calls alone.
    const rules = (o: (typeof options)[number]): number[] =>
      [o.failureRateThreshold, o.failureThreshold, o.slowCallRateThreshold].map((value) => value ?? 0);
    expect(options.every((o) => rules(o).some((value) => value > 0))).toBe(true);
    expect(options.some((o) => rules(o)[0] === 0 && rules(o)[1] === 0 && rules(o)[2] > 0)).toBe(true);
    // A count window's minimumCalls is at most its size; windows come in 2 to 20 buckets.
    for (const o of options.filter((o) => o.slidingWindowType === 'count'))
      expect(o.minimumCalls).toBeLessThanOrEqual(o.slidingWindowSize ?? Infinity);
    expect(Math.min(...options.map((o) => o.slidingWindowBuckets ?? 10))).toBe(2);
    expect(HELD_OUT_FAMILIES.every((name) => FAMILIES.some((f) => f.name === name))).toBe(true);
  });

  it('labels each closed second by whether the reactive breaker trips within the horizon, reproducibly', async () => {
    const options = { families: [familyNamed('cliff'), familyNamed('healthy')], seeds: [7, 12], horizonMs: 10_000 };
    const data = await generateTrainingData(options);
    expect(data.featureList).toBe(CORE_FEATURES);
    expect(data.features).toHaveLength(data.rowCount * CORE_FEATURE_COUNT);
    data.labels.forEach((label, i) => expect(label).toBe(data.secondsToTrip[i] <= 10 ? 1 : 0));
    const cliff = data.labels.filter((_, i) => data.family[i] === 0);
    expect(cliff.some((label) => label === 1)).toBe(true);
    expect(data.familyHealthy).toEqual([false, true]);
    const again = await generateTrainingData(options);
    expect(again.features).toEqual(data.features);
    expect(again.labels).toEqual(data.labels);
    await expect(generateTrainingData({ ...options, horizonMs: 0 })).rejects.toThrow(/"horizonMs"/);
    await expect(generateTrainingData({ ...options, families: [] })).rejects.toThrow(/"families"/);
    // A bad seed is refused before the first run plays, not by the run that meets it.
    let ran = 0;
    const counted = { ...options, onRun: () => ran++ };
    await expect(generateTrainingData({ ...counted, seeds: [7, 2 ** 32] })).rejects.toThrow(/"seeds".*4294967296/);
    await expect(
      generateTrainingData({ ...counted, families: [familyNamed('cliff'), undefined as never] }),
    ).rejects.toThrow(/"families" must hold families to play, got undefined/);
    expect(ran).toBe(0);
  });

  it('a cliff trips the static breaker only after its onset; a healthy service never does', async () => {
    const cliff = await playRun(familyNamed('cliff'), 5);
    expect(cliff.trips.length).toBeGreaterThan(0);
    expect(Math.min(...cliff.trips)).toBeGreaterThanOrEqual(cliff.setup.onsetMs);
    expect(cliff.sentWhileSick).toBeGreaterThan(0);
    // A cliff's calls fail: few of those sent while it is sick succeed.
    expect(cliff.succeededWhileSick).toBeLessThan(cliff.sentWhileSick / 2);
    const healthy = await playRun(familyNamed('healthy'), 5);
    expect(healthy.trips).toEqual([]);
    expect(healthy.sentWhileSick).toBe(0);
    expect(healthy.succeededWhileSick).toBe(0);
    expect(healthy.successes / healthy.calls).toBeGreaterThan(0.95);
  });

  it('trouble that ends leaves a healthy service after it: trips during the trouble, none once it has passed', async () => {
    const family = familyNamed('trouble-ends');
    const onset = 50_000;
    let tripped = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const shape = family.shape(new SeededRandom(seed), onset, 180_000, setupRun(family, seed));
      expect(shape(onset - 1)).toEqual(HEALTHY);
      expect(shape(onset + 1000)).not.toEqual(HEALTHY); // every kind is under way a second in (it lasts 10 s or more)
      for (const after of [60_000, 90_000, 130_000]) expect(shape(onset + after)).toEqual(HEALTHY);
      const run = await playRun(family, seed);
      tripped += run.trips.length > 0 ? 1 : 0;
      // The trouble lasts at most 60 s; a hung call's timeout and a window's turn may trip a little after it.
      for (const trip of run.trips) expect(trip).toBeLessThan(run.setup.onsetMs + 60_000 + 30_000);
    }
    expect(tripped).toBeGreaterThan(0);
  });

  it('failure bursts run from a blip to an incident, each followed by a healthy gap of 10 s or more', () => {
    const family = familyNamed('failure-bursts');
    const onset = 20_000;
    const lengths: number[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const shape = family.shape(new SeededRandom(seed), onset, 240_000, setupRun(family, seed));
      expect(shape(onset - 1)).toEqual(HEALTHY);
      let length = 0;
      while (!isHealthy(shape(onset + length))) length += 100;
      let gap = 0;
      while (isHealthy(shape(onset + length + gap)) && gap < 60_000) gap += 100;
      expect(gap).toBeGreaterThanOrEqual(10_000);
      expect(isHealthy(shape(onset + length + gap))).toBe(false); // it comes back
      lengths.push(length);
    }
    // Drawn from 2-8 s alone, most onsets ended before a breaker tripped, and a model learnt to doubt every onset.
    expect(Math.min(...lengths)).toBeLessThan(2_000);
    expect(Math.max(...lengths)).toBeGreaterThan(15_000);
  });

  it("partial failures come as close to the breaker's threshold as its noise allows, and never trip it", async () => {
    const family = familyNamed('partial-below');
    const toThreshold: number[] = [];
    for (const seed of [1, 10, 13, 15, 17]) {
      const setup = setupRun(family, seed);
      const share = family.shape(new SeededRandom(seed), setup.onsetMs, 180_000, setup)(179_000).errorRate;
      toThreshold.push(share / ((setup.options.failureRateThreshold || 50) / 100));
      expect((await playRun(family, seed)).trips).toEqual([]);
    }
    // Before, 3-15% of calls failed whatever the threshold: none of these came past 0.3 of it.
    expect(Math.max(...toThreshold)).toBeGreaterThan(0.65);
    expect(Math.max(...toThreshold)).toBeLessThanOrEqual(0.95);
  });

  it('the guard rails hold a model that always predicts a trip: no pre-open on healthy families, shedding that costs no successes', async () => {
    // Seeds of modest call rates, so the test stays quick.
    for (const [name, seed] of [
      ['healthy', 1],
      ['gc-pauses', 1],
      ['slow-healthy', 9],
      ['rate-swings', 2],
    ] as const) {
      for (const mode of ['open', 'shed'] as const) {
        const warned = await playWithWarning(familyNamed(name), seed, panicking, { mode });
        const alone = await playRun(familyNamed(name), seed);
        if (alone.trips.length > 0) continue; // the service did fail the breaker's own rules: not a healthy run
        if (mode === 'open') expect(warned.actions, name).toEqual([]);
        // Shedding follows the recent failures (at half their share) and stops with them: even a model
        // that never calms down costs at most a point of client success on a healthy service.
        expect(warned.successes / warned.calls, `${name}, mode ${mode}`).toBeGreaterThanOrEqual(
          alone.successes / alone.calls - 0.01,
        );
      }
    }
  });
});
