import { describe, expect, it } from 'vitest';
import {
  consecutiveRuleTripChance,
  fewestCallsToTrip,
  normalCdf,
  rateRuleTripChance,
  type WindowNow,
} from '../../src/features/trip-chance';

/** P(X >= k) for X ~ Binomial(n, p), summed exactly. */
function binomialTail(n: number, p: number, k: number): number {
  let term = (1 - p) ** n;
  let tail = 0;
  for (let i = 0; i <= n; i++) {
    if (i >= k) tail += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return tail;
}

/** P(a run of at least k successes in n Bernoulli(p) trials), by dynamic programming over the current run. */
function runProbability(n: number, p: number, k: number): number {
  let byRun = new Float64Array(k).fill(0);
  byRun[0] = 1;
  let reached = 0;
  for (let trial = 0; trial < n; trial++) {
    const next = new Float64Array(k);
    for (let run = 0; run < k; run++) {
      next[0] += byRun[run] * (1 - p);
      if (run + 1 === k) reached += byRun[run] * p;
      else next[run + 1] += byRun[run] * p;
    }
    byRun = next;
  }
  return reached;
}

/** An empty count window of 100 calls fed at `callsPerSecond`, failing at `rate` measured on many calls. */
function emptyWindow(callsPerSecond: number, rate: number, sample = 1e6): WindowNow {
  return {
    windowType: 'count',
    windowSize: 100,
    buckets: 100,
    ageMs: Infinity,
    minimumCalls: 10,
    decided: 0,
    failures: 0,
    recentDecided: sample,
    recentFailures: rate * sample,
    callsPerSecond,
  };
}

describe('trip chances', () => {
  it('normalCdf matches the table', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975002, 5);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
  });

  it("the failure-rate rule's chance is the binomial tail of the calls to come", () => {
    // 100 calls in the next 10 s fill the window; the rule trips at 50 failures or more.
    for (const rate of [0.3, 0.45, 0.5, 0.6]) {
      const chance = rateRuleTripChance(emptyWindow(10, rate), 0.5, 10_000);
      expect(Math.abs(chance - binomialTail(100, rate, 50))).toBeLessThan(0.02);
    }
  });

  it('a rate ratio means different chances at different scales: noise decides at few calls', () => {
    const few = (rate: number) => rateRuleTripChance(emptyWindow(2, rate), 0.5, 10_000);
    const many = (rate: number) => rateRuleTripChance(emptyWindow(10, rate), 0.5, 10_000);
    expect(few(0.35)).toBeGreaterThan(many(0.35) + 0.05);
    expect(many(0.6)).toBeGreaterThan(few(0.6) + 0.05);
  });

  it('a rate measured on few calls is uncertain, and the window below minimumCalls cannot trip', () => {
    const sure = rateRuleTripChance(emptyWindow(10, 0.6), 0.5, 10_000);
    const unsure = rateRuleTripChance(emptyWindow(10, 0.6, 5), 0.5, 10_000);
    expect(unsure).toBeLessThan(sure - 0.1);
    expect(rateRuleTripChance({ ...emptyWindow(0.5, 1), minimumCalls: 10 }, 0.5, 10_000)).toBe(0);
  });

  it('a window shorter than the horizon renews itself, each time a fresh chance to trip', () => {
    // 10 calls a second into a 10-call window: ten whole windows in 10 s, each tripping at 5 failures.
    const short: WindowNow = { ...emptyWindow(10, 0.3), windowSize: 10, minimumCalls: 5 };
    const once = binomialTail(10, 0.3, 5);
    expect(rateRuleTripChance(short, 0.5, 10_000)).toBeCloseTo(1 - (1 - once) ** 10, 1);
    expect(rateRuleTripChance(short, 0.5, 10_000)).toBeGreaterThan(once + 0.3);
    // A 1 s time window likewise.
    const second: WindowNow = { ...short, windowType: 'time', windowSize: 1000 };
    expect(rateRuleTripChance(second, 0.5, 10_000)).toBeCloseTo(1 - (1 - once) ** 10, 1);
    // A rate read on few calls is uncertain once, not once per renewal: 1 failure in the 5 recent
    // calls of a 1 s window of 20 calls, averaged over that rate's uncertainty.
    const fewCalls: WindowNow = { ...second, recentDecided: 5, recentFailures: 1, callsPerSecond: 20 };
    const chance = rateRuleTripChance(fewCalls, 0.5, 10_000);
    const rateKnown = 1 - (1 - binomialTail(20, 0.2, 10)) ** 10; // 1 in 5 taken as certain: 0.026
    expect(chance).toBeGreaterThan(rateKnown + 0.05);
    expect(chance).toBeLessThan(0.35); // the uncertainty compounded per renewal: 0.65
  });

  it('a time window keeps its older calls: failures already in it count toward the threshold', () => {
    const window: WindowNow = {
      windowType: 'time',
      windowSize: 60_000,
      buckets: 60,
      ageMs: Infinity,
      minimumCalls: 10,
      decided: 600,
      failures: 0,
      recentDecided: 1e6,
      recentFailures: 0.9e6,
      callsPerSecond: 10,
    };
    // 500 healthy calls stay, 100 new ones fail at 90%: far below 50%.
    expect(rateRuleTripChance(window, 0.5, 10_000)).toBeLessThan(0.001);
    expect(rateRuleTripChance({ ...window, failures: 400 }, 0.5, 10_000)).toBeGreaterThan(0.99);
  });

  it('a window drops its oldest calls, a whole bucket at a time', () => {
    // A service that failed at once 15 s ago: a 60 s window of 600 calls at 10 a second, its
    // newest 150 calls all failures, its older 450 with 45. In 10 s, 100 more calls fail.
    const cliff: WindowNow = {
      windowType: 'time',
      windowSize: 60_000,
      buckets: 4,
      ageMs: Infinity,
      minimumCalls: 10,
      decided: 600,
      failures: 195,
      recentDecided: 150,
      recentFailures: 150,
      callsPerSecond: 10,
    };
    // In two cases of three a 15 s bucket of the oldest calls leaves within 10 s. The older calls'
    // failures are taken to crowd towards the failing ones (a share rising from 0 to the recent
    // 100%), so it takes none: 295 failures in 550 calls, over 50%; in the third, 295 of 700.
    // Before, the window slid smoothly and kept its average share: 246 of 600, a chance under 0.001.
    const chance = rateRuleTripChance(cliff, 0.5, 10_000);
    expect(chance).toBeGreaterThan(0.6);
    expect(chance).toBeLessThan(2 / 3 + 0.01);
    // In 1 s buckets, 100 of the oldest calls leave as the 100 new ones come: 295 of 600, under 50%.
    expect(rateRuleTripChance({ ...cliff, buckets: 60 }, 0.5, 10_000)).toBeLessThan(0.01);
  });

  it("a young window's oldest buckets are empty: it grows before it drops calls", () => {
    // A breaker closed 10 s ago: its 60 s window holds 100 calls, half of them failing.
    const young: WindowNow = {
      windowType: 'time',
      windowSize: 60_000,
      buckets: 10,
      ageMs: 10_000,
      minimumCalls: 190,
      decided: 100,
      failures: 50,
      recentDecided: 100,
      recentFailures: 50,
      callsPerSecond: 10,
    };
    // In 10 s it holds 200 calls, enough for the rule, at about even odds. Before, a sixth of the
    // calls it held left as if it were full: 183 calls, under minimumCalls, a chance of 0.
    expect(rateRuleTripChance(young, 0.5, 10_000)).toBeGreaterThan(0.3);
  });

  it("the consecutive rule's chance follows the exact run probability", () => {
    for (const [rate, threshold] of [
      [0.5, 5],
      [0.3, 3],
      [0.7, 10],
    ]) {
      const chance = consecutiveRuleTripChance(emptyWindow(10, rate), 0, threshold, 10_000);
      expect(Math.abs(chance - runProbability(100, rate, threshold))).toBeLessThan(0.04);
    }
  });

  it('a run under way needs only the rest of it, once the calls it needs arrive', () => {
    // Calls certain to come (1,000 in the horizon), failing at a rate measured on a million.
    const busy = { ...emptyWindow(100, 0.5), windowSize: 10_000 };
    const almost = consecutiveRuleTripChance(busy, 4, 5, 10_000);
    expect(almost).toBeGreaterThanOrEqual(0.5); // the next call fails half the time
    expect(consecutiveRuleTripChance(busy, 3, 5, 10_000)).toBeGreaterThanOrEqual(0.25);
    expect(consecutiveRuleTripChance(busy, 3, 5, 10_000)).toBeLessThan(almost);
    expect(consecutiveRuleTripChance(busy, 5, 5, 10_000)).toBe(1);
    // No call to come: a run cannot go on (it read 0.5 before: a breaker gone idle after four failures).
    expect(consecutiveRuleTripChance({ ...busy, callsPerSecond: 0 }, 4, 5, 10_000)).toBe(0);
    // One call expected: the last failure of the run needs it (P(at least one) = 1 - 1/e).
    expect(consecutiveRuleTripChance({ ...busy, callsPerSecond: 0.1 }, 4, 5, 10_000)).toBeCloseTo(
      0.5 * (1 - Math.exp(-1)) + (1 - 0.5 * (1 - Math.exp(-1))) * (1 - Math.exp(-1 * 0.5 * 0.5 ** 5)),
      6,
    );
  });

  it('a rate read on few calls leans on the share that usually fails, not on a half', () => {
    // A breaker that trips on one failure, a call every 2 s: its recent quarter holds one success.
    const sparse: WindowNow = {
      ...emptyWindow(0.5, 0),
      windowType: 'time',
      windowSize: 10_000,
      buckets: 10,
      decided: 5,
      recentDecided: 1,
      recentFailures: 0,
    };
    // Unknown usual share (Jeffreys' half a failure): a quarter of calls taken to fail, and a
    // failure among the next 5 calls likely. It read so on a service that failed 0.2% of its calls.
    expect(consecutiveRuleTripChance(sparse, 0, 1, 10_000)).toBeGreaterThan(0.6);
    const usuallyClean = { ...sparse, usualShare: 0.002 };
    expect(consecutiveRuleTripChance(usuallyClean, 0, 1, 10_000)).toBeLessThan(0.05);
    // Never below the clean-record share: a service with no failure yet can still fail.
    expect(consecutiveRuleTripChance({ ...sparse, usualShare: 0 }, 0, 1, 10_000)).toBeGreaterThan(0.01);
    // A service that usually fails a third of its calls reads as one.
    expect(consecutiveRuleTripChance({ ...sparse, usualShare: 0.3 }, 0, 1, 10_000)).toBeGreaterThan(0.5);
    // Many calls outweigh the usual share: a failing recent quarter reads as failing.
    const failingNow = { ...usuallyClean, recentDecided: 200, recentFailures: 100, callsPerSecond: 20 };
    expect(consecutiveRuleTripChance(failingNow, 0, 3, 10_000)).toBeGreaterThan(0.99);
  });

  it('a threshold under one call still needs a whole failing call', () => {
    // A 2% threshold over 20 calls: one failure trips it; a clean window, a call to come, none failing.
    const clean: WindowNow = {
      ...emptyWindow(0.1, 0, 5),
      windowSize: 20,
      buckets: 20,
      minimumCalls: 5,
      decided: 20,
      usualShare: 0.002,
    };
    expect(rateRuleTripChance(clean, 0.02, 10_000)).toBeLessThan(0.05);
    // With one failure the window is over it already: the rule reads near certain (unless its bucket leaves first).
    expect(rateRuleTripChance({ ...clean, failures: 1, recentFailures: 1 }, 0.02, 10_000)).toBeGreaterThan(0.9);
  });

  it('a newest bucket just begun reads the usual share, not a half, across every renewal', () => {
    // 50 calls in 4 buckets at 253 calls/s (the window renews 50 times in 10 s), none failing; the
    // recent quarter is the newest bucket, one call into it.
    const fresh: WindowNow = {
      ...emptyWindow(253, 0, 1),
      windowSize: 50,
      buckets: 4,
      minimumCalls: 20,
      decided: 40,
    };
    // Held off the extremes by Jeffreys' half, its rate read at least a quarter: 1.00 on a healthy service.
    expect(rateRuleTripChance(fresh, 0.3, 10_000)).toBeGreaterThan(0.99);
    expect(rateRuleTripChance({ ...fresh, usualShare: 0.001 }, 0.3, 10_000)).toBeLessThan(0.05);
  });
});

describe('the fewest calls to trip', () => {
  /** A time window holding `decided` calls, `failures` of them failing, minimumCalls `minimum`. */
  const holding = (decided: number, failures: number, minimum = 10): WindowNow => ({
    windowType: 'time',
    windowSize: 10_000,
    buckets: 10,
    ageMs: Infinity,
    minimumCalls: minimum,
    decided,
    failures,
    recentDecided: decided,
    recentFailures: failures,
    callsPerSecond: 10,
  });

  it('counts the calls, all failing, that take each rule to its threshold, and takes the nearest', () => {
    // 40 of 100 failing against 50%: 20 more failing calls make 60 of 120.
    expect(fewestCallsToTrip(holding(100, 40), 0.5, 0, 0, 0, 0)).toBe(20);
    expect(fewestCallsToTrip(holding(100, 40), 0.5, 0, 0, 3, 5)).toBe(2); // a run of 3 of 5 is nearer
    expect(fewestCallsToTrip(holding(100, 40), 0.5, 70, 0.8, 0, 0)).toBe(20); // 70 slow of 100 against 80%: 50 more
    expect(fewestCallsToTrip(holding(100, 10), 0, 90, 0.95, 0, 0)).toBe(100);
    expect(fewestCallsToTrip(holding(4, 4), 0.5, 0, 0, 0, 0)).toBe(6); // at the threshold, short of minimumCalls
    expect(fewestCallsToTrip(holding(100, 60), 0.5, 0, 0, 0, 0)).toBe(0);
    expect(fewestCallsToTrip(holding(100, 40), 0, 0, 0, 0, 0)).toBe(Number.POSITIVE_INFINITY); // no rule
    expect(fewestCallsToTrip(holding(100, 99), 1, 0, 0, 0, 0)).toBe(Number.POSITIVE_INFINITY); // 100% needs every call
  });
});
