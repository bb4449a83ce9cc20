/**
 * The chance that a breaker's own rules trip within the early warning's horizon if its calls keep
 * failing as they do now. The breaker's mechanics (its window, thresholds and minimum calls) and the
 * binomial noise of the calls decide it, so it means the same on a service of 1 call per second as
 * on one of 1,000: a scale-free reading of "how close to tripping", where a rate ratio alone is not
 * (1 failure in 3 calls and 300 in 900 are the same ratio, and very different chances).
 */

/** What the window holds now and how calls arrive. */
export interface WindowNow {
  readonly windowType: 'time' | 'count';
  /** ms for a time window, calls for a count window. */
  readonly windowSize: number;
  /** The buckets the window is kept in: it drops its oldest bucket whole. */
  readonly buckets: number;
  /** ms since the window started filling (a breaker's window starts empty when it closes); Infinity when unknown. */
  readonly ageMs: number;
  readonly minimumCalls: number;
  /** Calls that succeeded or failed in the window, and the failures among them. */
  readonly decided: number;
  readonly failures: number;
  /** The same for the window's most recent quarter (its newest buckets): the rate calls fail at now. */
  readonly recentDecided: number;
  readonly recentFailures: number;
  /** Calls per second; NaN while unknown. */
  readonly callsPerSecond: number;
  /**
   * The share of calls that usually fail (a long-run average of the window's): what the rate now
   * is taken to be while few calls say otherwise. NaN or absent while unknown (then a half).
   */
  readonly usualShare?: number;
}

/** A WindowNow an extractor rewrites for each row. */
export type MutableWindowNow = { -readonly [K in keyof WindowNow]: WindowNow[K] };

/** The standard normal CDF (Abramowitz and Stegun 7.1.26 through erf; error under 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** The calls the rate now is read from: the recent quarter's, or the window's while the quarter is empty. */
function sampleOf(window: WindowNow): number {
  return window.recentDecided > 0 ? window.recentDecided : window.decided;
}

/** The failures among sampleOf(window)'s calls. */
function failuresOf(window: WindowNow): number {
  return window.recentDecided > 0 ? window.recentFailures : window.failures;
}

/**
 * The least share of calls taken to fail usually: a clean record is not proof that no call can
 * fail, and a rate taken as exactly 0 would read any failure to come as impossible.
 */
const CLEAN_RECORD_SHARE = 0.01;

/**
 * The rate now for its spread: the failing share with one call added that fails at the usual
 * share (half a failure while that is unknown, Jeffreys), so 1 failure in 1 call is not read as
 * certainty, nor 1 success as a quarter of calls failing. With Jeffreys' half alone, a breaker that
 * trips on one failure, at a call every 2 s (1 call in its recent quarter), read a 76% chance of a
 * failure within 10 s on a service that failed 0.2% of its calls (an outside evaluation).
 */
function spreadNow(window: WindowNow): number {
  return (failuresOf(window) + priorShare(window)) / (sampleOf(window) + 1);
}

/** The share the added call fails at: the usual share, at least CLEAN_RECORD_SHARE; a half while unknown. */
function priorShare(window: WindowNow): number {
  const usual = window.usualShare;
  return usual !== undefined && usual >= 0 ? Math.max(CLEAN_RECORD_SHARE, usual) : 0.5;
}

/** Calls expected in `horizonMs`: from the call rate, or while it is unknown, from a time window's own count. */
function callsIn(window: WindowNow, horizonMs: number): number {
  if (window.callsPerSecond >= 0) return (window.callsPerSecond * horizonMs) / 1000;
  if (window.windowType === 'time') return (window.decided * horizonMs) / window.windowSize;
  return 0;
}

/** How long a window spans in ms: a time window's size; a count window's calls at `callsPerSecond` (NaN while unknown). */
export function windowSpanMs(windowType: 'time' | 'count', windowSize: number, callsPerSecond: number): number {
  if (windowType === 'time') return windowSize;
  return callsPerSecond > 0 ? (windowSize * 1000) / callsPerSecond : NaN;
}

/**
 * The chance the failure-rate rule finds its window at or above `threshold` (a share) within the
 * horizon, its calls failing at the rate they fail now. A window that spans the horizon or more is
 * read once the horizon's calls have replaced its oldest. A shorter one renews itself
 * horizon / span times, each a fresh chance to trip: read at the horizon's end alone, a 1 s
 * window's chance was that of one second in ten (its rows ranked trips below the plain rule's).
 * Renewals are taken as independent in their calls' noise, which a sliding window's overlapping
 * readings are not, so the chance is a little low. The rate's own uncertainty is shared by every
 * renewal, so it is averaged over once (three-point Gauss-Hermite over the rate's normal
 * approximation), not compounded: compounded, 1 failure in a 1 s window's 5 recent calls read as
 * a 65% chance that 10 of 20 calls fail in one of ten seconds.
 */
export function rateRuleTripChance(window: WindowNow, threshold: number, horizonMs: number): number {
  const span = windowSpanMs(window.windowType, window.windowSize, window.callsPerSecond);
  if (!(span < horizonMs)) return chanceAtEnd(window, threshold, horizonMs, NaN);
  const renewals = horizonMs / span;
  const sample = Math.max(1, sampleOf(window));
  const spread = spreadNow(window);
  const rate = failuresOf(window) / sample;
  const sd = Math.sqrt((spread * (1 - spread)) / sample);
  // The rate stays a rate, off the extremes by the spread's added call.
  const prior = priorShare(window);
  const low = prior / (sample + 1);
  const high = (sample + prior) / (sample + 1);
  let chance = 0;
  for (let k = 0; k < 3; k++) {
    const at = Math.min(high, Math.max(low, rate + HERMITE_NODES[k] * sd));
    chance += HERMITE_WEIGHTS[k] * (1 - (1 - chanceAtEnd(window, threshold, span, at)) ** renewals);
  }
  return chance;
}

/** Three-point Gauss-Hermite quadrature for a standard normal: exact for polynomials up to degree 5. */
const HERMITE_NODES = [-Math.sqrt(3), 0, Math.sqrt(3)];
const HERMITE_WEIGHTS = [1 / 6, 2 / 3, 1 / 6];

/**
 * The failures among the `dropped` oldest of the window's calls. Its older buckets (the window
 * less its recent quarter) leave first, and within them the failing share is taken to run in a
 * straight line from the oldest calls to the recent quarter's share, with the older part's mean
 * (floored at 0 and capped at 1): flat on a steady service, failures crowded into the newest
 * calls on one that began to fail, into the oldest on one that recovers. Taken as the window's
 * average share instead, a window whose failures came in its last seconds (a service that failed
 * at once) lost them with its oldest calls, and read far from tripping until its rule tripped.
 */
function oldestFailures(window: WindowNow, dropped: number): number {
  const older = Math.max(0, window.decided - window.recentDecided);
  const olderFailures = Math.min(older, Math.max(0, window.failures - window.recentFailures));
  if (dropped <= older) {
    if (!(older > 0)) return 0;
    const mean = olderFailures / older;
    const recent = window.recentDecided > 0 ? Math.min(1, window.recentFailures / window.recentDecided) : mean;
    return older * leadingShare(mean, recent, dropped / older);
  }
  const newer = window.decided - older;
  return olderFailures + (newer > 0 ? ((window.failures - olderFailures) * (dropped - older)) / newer : 0);
}

/**
 * The integral over [0, upTo] of a share that runs in a straight line over [0, 1] to `end` with
 * mean `mean`, kept within [0, 1]: where the line would go below 0 it is 0 up to a point and then
 * rises to `end` (the same mean), and above 1 the mirror of that.
 */
function leadingShare(mean: number, end: number, upTo: number): number {
  const start = 2 * mean - end;
  if (start > 1) return upTo - leadingShare(1 - mean, 1 - end, upTo);
  if (start >= 0) return start * upTo + (end - start) * upTo * upTo * 0.5;
  const zeroUntil = 1 - (2 * mean) / end; // end > 2 * mean here
  if (upTo <= zeroUntil) return 0;
  return ((end / (1 - zeroUntil)) * (upTo - zeroUntil) ** 2) / 2;
}

/**
 * The chance the rule finds its window at or above `threshold` once `horizonMs` of calls arrived:
 * at the rate now with its uncertainty, or at `knownRate` (not NaN) with the calls' binomial noise
 * alone. The window drops its oldest bucket whole when a new one starts (a time window each
 * windowSize / buckets ms, a count window each windowSize / buckets calls), and how far its newest
 * bucket has filled, which the row does not say, decides how many leave within the horizon: the
 * chance is averaged over where that bucket's edge is (overBucketEdge). A 60 s window of 4 buckets
 * drops 15 s of calls at once, and its breaker tripped in the seconds after a bucket left (a
 * window taken to slide smoothly read those trips at 0.02 just before). A window that started
 * filling less than a window ago (its breaker closed then) has nothing in its oldest buckets to drop.
 */
function chanceAtEnd(window: WindowNow, threshold: number, horizonMs: number, knownRate: number): number {
  const buckets = Math.max(1, window.buckets);
  const { decided } = window;
  if (window.windowType === 'time') {
    const fresh = callsIn(window, Math.min(horizonMs, window.windowSize));
    if (horizonMs >= window.windowSize) return chanceWithDropped(window, threshold, fresh, decided, knownRate);
    const bucketMs = window.windowSize / buckets;
    return overBucketEdge(window, threshold, fresh, knownRate, bucketMs, horizonMs, bucketMs, afterTimeEdge);
  }
  const fresh = Math.min(window.windowSize, callsIn(window, horizonMs));
  const bucketCalls = Math.ceil(window.windowSize / buckets);
  const olderCalls = (buckets - 1) * bucketCalls;
  // A full window's newest bucket holds what its older ones do not; a younger one's edge is anywhere.
  if (decided >= olderCalls) {
    const filled = Math.min(bucketCalls, decided - olderCalls);
    return afterCountEdge(window, threshold, fresh, knownRate, filled, Math.floor((filled + fresh) / bucketCalls));
  }
  return overBucketEdge(
    window,
    threshold,
    fresh,
    knownRate,
    bucketCalls,
    fresh,
    Math.min(decided, bucketCalls),
    afterCountEdge,
  );
}

/**
 * chanceWithDropped for a newest bucket filled by `filled` (ms of a time window, calls of a count
 * window) with `leaving` buckets starting within the horizon. Functions of their own, not
 * closures: a trip chance is read for every breaker on every tick, up to four times a row.
 */
type AfterEdge = (
  window: WindowNow,
  threshold: number,
  fresh: number,
  knownRate: number,
  filled: number,
  leaving: number,
) => number;

const afterTimeEdge: AfterEdge = (window, threshold, fresh, knownRate, filledMs, leaving) => {
  const buckets = Math.max(1, window.buckets);
  const bucketMs = window.windowSize / buckets;
  // The window's calls came in the last `covered` ms; the buckets leaving span `start` ms ago to `start - leaving * bucketMs`.
  const start = (buckets - 1) * bucketMs + filledMs;
  const covered = Math.min(window.ageMs, start);
  const gone = Math.max(0, covered - Math.max(0, start - leaving * bucketMs));
  const dropped = covered > 0 ? (window.decided * gone) / covered : 0;
  return chanceWithDropped(window, threshold, fresh, dropped, knownRate);
};

const afterCountEdge: AfterEdge = (window, threshold, fresh, knownRate, filled, started) => {
  const buckets = Math.max(1, window.buckets);
  const bucketCalls = Math.ceil(window.windowSize / buckets);
  const leaving = Math.max(0, (window.decided - filled) / bucketCalls + 1 + started - buckets);
  return chanceWithDropped(window, threshold, fresh, Math.min(window.decided, leaving * bucketCalls), knownRate);
};

/**
 * The mean of `after(..., filled, leaving)` over the newest bucket filled by `filled`, uniform in
 * [0, limit), where `leaving` = floor((filled + coming) / bucket) buckets start within the
 * horizon: it takes two values, so each is weighted by the share of edges that give it exactly,
 * and read at the middle of its span.
 */
function overBucketEdge(
  window: WindowNow,
  threshold: number,
  fresh: number,
  knownRate: number,
  bucket: number,
  coming: number,
  limit: number,
  after: AfterEdge,
): number {
  const fewer = Math.floor(coming / bucket);
  if (!(limit > 0)) return after(window, threshold, fresh, knownRate, 0, fewer);
  const edge = Math.min(limit, Math.max(0, (fewer + 1) * bucket - coming)); // from here on one more starts
  let mean = 0;
  if (edge > 0) mean += (edge / limit) * after(window, threshold, fresh, knownRate, edge / 2, fewer);
  if (edge < limit)
    mean += ((limit - edge) / limit) * after(window, threshold, fresh, knownRate, (edge + limit) / 2, fewer + 1);
  return mean;
}

/** chanceAtEnd once the window dropped its `dropped` oldest calls and took `fresh` new ones. */
function chanceWithDropped(
  window: WindowNow,
  threshold: number,
  fresh: number,
  dropped: number,
  knownRate: number,
): number {
  const kept = window.decided - dropped;
  const total = kept + fresh;
  if (total < window.minimumCalls || total <= 0) return 0;
  const sample = sampleOf(window);
  const known = !Number.isNaN(knownRate);
  const rate = known ? knownRate : sample > 0 ? failuresOf(window) / sample : 0;
  const spread = known ? knownRate : spreadNow(window);
  const expectedFailures = window.failures - oldestFailures(window, dropped) + rate * fresh;
  const needed = threshold * total;
  // The fresh calls' binomial noise, and unless the rate is given, the rate's own: it was measured on `sample` calls.
  const variance = spread * (1 - spread) * fresh * (known ? 1 : 1 + fresh / Math.max(1, sample));
  if (variance < 1e-9) return expectedFailures >= needed - 1e-9 ? 1 : 0;
  // Failures come in whole calls: the rule needs ceil(needed) of them, less half a call of
  // continuity correction. Corrected from `needed` itself, a threshold under one call (a 2%
  // threshold over 20 calls) read a clean window as more likely than not to trip.
  return normalCdf((expectedFailures - Math.ceil(needed - 1e-9) + 0.5) / Math.sqrt(variance));
}

/** P(at least m calls arrive) when `expected` arrive on average (Poisson). */
function atLeastCalls(expected: number, m: number): number {
  if (m <= 0) return 1;
  if (!(expected > 0)) return 0;
  let term = Math.exp(-expected);
  let below = 0;
  for (let i = 0; i < m && term > 0; i++) {
    below += term;
    term *= expected / (i + 1);
  }
  return Math.max(0, 1 - below);
}

/**
 * The chance the consecutive-failure rule sees `threshold` failures in a row within the horizon:
 * the current run of `run` going on to the threshold once the calls it needs arrive (a breaker
 * with no call to come cannot trip), or a new run among the horizon's calls (expected runs:
 * calls x (1 - rate) x rate^threshold, as Poisson arrivals), at the rate now with its spread's half
 * failure (a rate measured on few calls is not taken at its extremes).
 */
export function consecutiveRuleTripChance(
  window: WindowNow,
  run: number,
  threshold: number,
  horizonMs: number,
): number {
  if (run >= threshold) return 1;
  const rate = spreadNow(window);
  const calls = callsIn(window, horizonMs);
  const continues = rate ** (threshold - run) * atLeastCalls(calls, threshold - run);
  const newRuns = calls * (1 - rate) * rate ** threshold;
  return 1 - (1 - continues) * Math.exp(-newRuns);
}

/** The window's rate once the `renewed` share of it is replaced by calls at the recent rate. */
export function projectedRate(windowRate: number, recentRate: number, renewed: number): number {
  return windowRate * (1 - renewed) + recentRate * renewed;
}

/**
 * The share of a window that the calls of the next `horizonMs` replace: of a time window, that
 * span over its span; of a count window, the calls expected at `callsPerSecond` over its size (all
 * of it while the call rate is not known yet: the recent quarter alone).
 */
export function renewedShare(
  options: { readonly slidingWindowType: 'time' | 'count'; readonly slidingWindowSize: number },
  callsPerSecond: number,
  horizonMs: number,
): number {
  if (options.slidingWindowType === 'time') return Math.min(1, horizonMs / options.slidingWindowSize);
  if (!(callsPerSecond >= 0)) return 1;
  return Math.min(1, (callsPerSecond * horizonMs) / 1000 / options.slidingWindowSize);
}

/**
 * The failure-rate rule's trip chance once `shareRise` more of the calls the rate now is read from
 * fail (the recent quarter's, or the window's while it is empty), capped at all of them; `asIs`,
 * the chance without them, when none would (most rows: a steady or falling share). Moves
 * `window`'s failures in place: the caller reads it again only after rewriting them.
 */
export function risenTripChance(
  window: MutableWindowNow,
  shareRise: number,
  threshold: number,
  horizonMs: number,
  asIs: number,
): number {
  const fromRecent = window.recentDecided > 0;
  const sample = fromRecent ? window.recentDecided : window.decided;
  const failing = fromRecent ? window.recentFailures : window.failures;
  const more = Math.min(sample - failing, shareRise * sample);
  if (!(more > 0)) return asIs;
  window.failures += more;
  if (fromRecent) window.recentFailures += more;
  return rateRuleTripChance(window, threshold, horizonMs);
}

/**
 * The fewest more calls, every one failing (or slow, for the slow-call rule), after which the
 * breaker's own rules trip: the failure-rate rule's (`rateThreshold` a share, 0 when off) over the
 * window's decided calls and minimumCalls, the slow-call rule's (`slowThreshold`, over `slowCalls`)
 * alike, and the consecutive rule's from the current `run` (`failureThreshold`, 0 when off).
 * Infinity when no rule can trip. The window's oldest calls, which may leave meanwhile, are kept:
 * it is what a warning can spare at most before the breaker acts by itself.
 */
export function fewestCallsToTrip(
  window: WindowNow,
  rateThreshold: number,
  slowCalls: number,
  slowThreshold: number,
  run: number,
  failureThreshold: number,
): number {
  const consecutive = failureThreshold > 0 ? Math.max(0, failureThreshold - run) : Number.POSITIVE_INFINITY;
  return Math.min(
    consecutive,
    callsToShare(window, window.failures, rateThreshold),
    callsToShare(window, slowCalls, slowThreshold),
  );
}

/** The fewest calls, all counting, that take `counted` of the window's calls to `threshold` with minimumCalls met. */
function callsToShare(window: WindowNow, counted: number, threshold: number): number {
  if (!(threshold > 0)) return Number.POSITIVE_INFINITY;
  const toMinimum = window.minimumCalls - window.decided;
  if (threshold >= 1) return counted >= window.decided ? Math.max(0, toMinimum) : Number.POSITIVE_INFINITY;
  const toShare = (threshold * window.decided - counted) / (1 - threshold);
  return Math.max(0, Math.ceil(toMinimum - 1e-9), Math.ceil(toShare - 1e-9));
}
