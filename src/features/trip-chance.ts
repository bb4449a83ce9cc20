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
  readonly minimumCalls: number;
  /** Calls that succeeded or failed in the window, and the failures among them. */
  readonly decided: number;
  readonly failures: number;
  /** The same for the window's most recent quarter: the rate calls fail at now. */
  readonly recentDecided: number;
  readonly recentFailures: number;
  /** Calls per second; NaN while unknown. */
  readonly callsPerSecond: number;
}

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
 * The rate now for its spread: the failing share with half a failure in a call added (Jeffreys),
 * so 1 failure in 1 call is not read as certainty.
 */
function spreadNow(window: WindowNow): number {
  return (failuresOf(window) + 0.5) / (sampleOf(window) + 1);
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
  // The rate stays a rate, off the extremes by the spread's half failure.
  const low = 0.5 / (sample + 1);
  let chance = 0;
  for (let k = 0; k < 3; k++) {
    const at = Math.min(1 - low, Math.max(low, rate + HERMITE_NODES[k] * sd));
    chance += HERMITE_WEIGHTS[k] * (1 - (1 - chanceAtEnd(window, threshold, span, at)) ** renewals);
  }
  return chance;
}

/** Three-point Gauss-Hermite quadrature for a standard normal: exact for polynomials up to degree 5. */
const HERMITE_NODES = [-Math.sqrt(3), 0, Math.sqrt(3)];
const HERMITE_WEIGHTS = [1 / 6, 2 / 3, 1 / 6];

/**
 * The chance the rule finds its window at or above `threshold` once `horizonMs` of calls replaced
 * its oldest: at the rate now with its uncertainty, or at `knownRate` (not NaN) with the calls'
 * binomial noise alone.
 */
function chanceAtEnd(window: WindowNow, threshold: number, horizonMs: number, knownRate: number): number {
  let fresh: number;
  let kept: number;
  if (window.windowType === 'time') {
    const renewed = Math.min(1, horizonMs / window.windowSize);
    fresh = callsIn(window, Math.min(horizonMs, window.windowSize));
    kept = window.decided * (1 - renewed);
  } else {
    fresh = Math.min(window.windowSize, callsIn(window, horizonMs));
    kept = Math.max(0, Math.min(window.decided, window.windowSize - fresh));
  }
  const total = kept + fresh;
  if (total < window.minimumCalls || total <= 0) return 0;
  const sample = sampleOf(window);
  const known = !Number.isNaN(knownRate);
  const rate = known ? knownRate : sample > 0 ? failuresOf(window) / sample : 0;
  const spread = known ? knownRate : spreadNow(window);
  const expectedFailures = (window.decided > 0 ? (window.failures * kept) / window.decided : 0) + rate * fresh;
  const needed = threshold * total;
  // The fresh calls' binomial noise, and unless the rate is given, the rate's own: it was measured on `sample` calls.
  const variance = spread * (1 - spread) * fresh * (known ? 1 : 1 + fresh / Math.max(1, sample));
  if (variance < 1e-9) return expectedFailures >= needed - 1e-9 ? 1 : 0;
  // Half a call of continuity correction: failures come in whole calls.
  return normalCdf((expectedFailures - needed + 0.5) / Math.sqrt(variance));
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
