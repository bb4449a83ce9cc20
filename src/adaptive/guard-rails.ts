import { USUAL_FAILURE_RATE_THRESHOLD, coreColumn as column } from '../features/core-features';
import { standsOut } from './usual-failures';

const RECENT_FAILURES = column('failure_rate_recent');
const RECENT_TO_THRESHOLD = column('failure_rate_recent_to_threshold');
const WINDOW_FAILURES = column('failure_rate');
const WINDOW_TO_THRESHOLD = column('failure_rate_to_threshold');
const CALLS_TO_MINIMUM = column('window_calls_to_minimum');
const RATE_TRIP_CHANCE = column('failure_rate_trip_chance');
const CONSECUTIVE_TRIP_CHANCE = column('consecutive_trip_chance');
const SLOW_RECENT = column('slow_call_rate_recent');
const SLOW_RECENT_TO_THRESHOLD = column('slow_call_rate_recent_to_threshold');
const SLOW_WINDOW_TO_THRESHOLD = column('slow_call_rate_to_threshold');
const TRIP_CHANCE_COLUMNS = [RATE_TRIP_CHANCE, CONSECUTIVE_TRIP_CHANCE, column('slow_call_trip_chance')];

/** The columns an action's event shows: the evidence the guard rails weigh and the model's strongest signals. */
export const EVIDENCE_SHOWN: readonly string[] = [
  'failure_rate_recent',
  'failure_rate_trip_chance',
  'consecutive_trip_chance',
  'slow_call_trip_chance',
  'failure_rate_recent_to_threshold',
  'slow_call_rate_recent_to_threshold',
  'timeout_rate_recent',
  'latency_p90_to_baseline',
  'latency_p99_to_timeout',
  'in_flight_to_expected',
  'consecutive_failures_to_threshold',
  'window_calls_to_minimum',
];
const SHOWN_COLUMNS = EVIDENCE_SHOWN.map(column);

/** Evidence, as a share of the breaker's failure-rate threshold, that lets a warning shed calls. */
const SHED_EVIDENCE = 0.5;
/**
 * Any action also needs the whole window at 60% of the threshold: a stop-the-world pause or a
 * latency spike fills the recent quarter with timeouts but not the window, and the breaker's own
 * rule never comes close. With the recent quarter alone, the default mode shed on healthy services
 * 5 times in `npm run bench:early-warning -- --seeds 16` (2026-12-05: latency spikes 3, a 1.5 s
 * pause 1, failures below the threshold 1); a scratch replay of those sheds put their windows at
 * 36-67% of the threshold.
 */
const WINDOW_EVIDENCE = 0.6;
/**
 * A pre-open refuses every call for a whole open period, so it needs more: the recent quarter and
 * the whole window both at 80% of the threshold, where the breaker's own rule is close. With the
 * window at half of it, mode 'open' pre-opened services whose bursts never fill a window (a
 * healthy one with failures just below the threshold, escalating bursts: 0.34 and 2.26 points of
 * client success in `npm run bench:early-warning-unseen -- --runs 20`, 2026-12-04; at 80%, none and 0.63).
 */
const PRE_OPEN_EVIDENCE = 0.8;
/**
 * The shed share is at most this share of the recent failure share: the recent quarter lags the
 * service, so shedding goes on a little after a pause or burst ends, refusing calls that would
 * have succeeded. Half (0.5) cost a relapsing service 2.7 points of client success in
 * `npm run bench:early-warning -- --seeds 4` (2026-12-04); a quarter cost 0.12.
 */
const SHED_PER_FAILURE = 0.25;

/**
 * A pre-open also needs the breaker's own rules likely to trip within the horizon at the rate calls
 * fail now (failure_rate_trip_chance or consecutive_trip_chance): failures at 80% of the threshold
 * in a window of many calls stay there, and opening refuses a service the breaker never would.
 * Without it, mode 'open' pre-opened a healthy service whose calls failed a steady 36-42% against
 * a 50% threshold in an outside evaluation.
 */
const PRE_OPEN_TRIP_CHANCE = 0.5;
/**
 * A pre-open refuses every call for a whole open period, so it also needs most calls failing now
 * (the recent failure share, timeouts counted, or the slow share when slow calls lead): below
 * that, most of what it refuses would have succeeded. A breaker with a 25% threshold reaches 80%
 * of it with three calls in four succeeding; in an outside evaluation, mode 'open' pre-opened such
 * a healthy service (12.5% errors, a 10 s window at 5 calls/s) twice in one run, for 11.8 points
 * of client success, where the plain breaker never tripped. Shedding refuses a share of calls,
 * so it stays allowed.
 */
const PRE_OPEN_FAILING_SHARE = 0.5;
/**
 * Most calls failing must hold beyond the noise of the few calls it was read on: the lower end of
 * the share's one-sided 95% Wilson interval over the recent quarter's calls. Read on its own, half
 * of a recent quarter of some 10-15 calls failing pre-opened a service failing 12.5% of its calls
 * against a 25% threshold in an outside evaluation (a 10 s window at 5 calls/s: 6.9 points of
 * client success lost where the plain breaker never tripped); at this bound 11 of 14 are needed,
 * and 59 of 100. The same lower end must reach the breaker's own threshold when that is above
 * half: calls failing below it never trip the breaker, whatever the noise of a few says. A service
 * failing 50% of its calls against a 60% threshold, at 3 calls/s, was pre-opened on 6 of 7 recent
 * calls failing by chance in a second outside evaluation (8.2 points lost, no trip after it).
 */
const FAILING_SHARE_Z = 1.645;
/** Shedding starts or grows only with the breaker's own trip chance at this much (see PRE_OPEN_TRIP_CHANCE). */
const SHED_TRIP_CHANCE = 0.1;

const percent = (share: number): string => `${(share * 100).toFixed(0)}%`;

/** The lower end of the one-sided Wilson interval of a share read on `calls` calls (0 on none). */
function wilsonLower(share: number, calls: number): number {
  if (!(calls > 0)) return 0;
  const z2 = FAILING_SHARE_Z * FAILING_SHARE_Z;
  const centre = share + z2 / (2 * calls);
  const spread = FAILING_SHARE_Z * Math.sqrt((share * (1 - share)) / calls + z2 / (4 * calls * calls));
  return (centre - spread) / (1 + z2 / calls);
}

/** What the guard rails allow a warning to do with one breaker. */
export interface Allowance {
  /** Whether a pre-open is allowed (see PRE_OPEN_EVIDENCE). */
  readonly preOpen: boolean;
  /** The largest share of calls that may be shed: a quarter of the recent failure share, 0 below the evidence floor. */
  readonly shedShare: number;
  /**
   * Whether shedding may start or grow: not while the recent failure share falls from the round
   * before. A pause or spike that is ending still fills the recent quarter (it lags the service),
   * so a warning acting then refuses calls that would succeed: before this rail, the one false
   * action of `npm run bench:early-warning -- --seeds 16` (2026-12-06, latency spikes) was a shed
   * as a spike ended, with no trip after it; with it, none.
   */
  readonly raise: boolean;
  /** Why an action is refused (undefined when both are allowed). */
  readonly refusal: string | undefined;
}

const refused = (refusal: string): Allowance => ({ preOpen: false, shedShare: 0, raise: false, refusal });

/** A failure share over the breaker's failure-rate threshold, or over the usual 50% for a breaker without that rule. */
function toThreshold(row: Float32Array, at: number, ratioColumn: number, shareColumn: number): number {
  const ratio = row[at + ratioColumn];
  return Number.isNaN(ratio) ? row[at + shareColumn] / USUAL_FAILURE_RATE_THRESHOLD : ratio;
}

/**
 * The larger of failure evidence and, for a breaker with the slow-call rule, slow calls over that
 * rule's threshold: slow calls trip such a breaker as failures do (NaN, the rule off, counts none).
 */
const withSlowCalls = (failureEvidence: number, slowToThreshold: number): number =>
  slowToThreshold > failureEvidence ? slowToThreshold : failureEvidence;

/** The whole window's failures (or slow calls) against the threshold. */
export function windowEvidence(row: Float32Array, at: number): number {
  return withSlowCalls(toThreshold(row, at, WINDOW_TO_THRESHOLD, WINDOW_FAILURES), row[at + SLOW_WINDOW_TO_THRESHOLD]);
}

/** The recent quarter's failures (timeouts count) against the threshold, or its slow calls against theirs: the evidence every action needs. */
export function recentEvidence(row: Float32Array, at: number): number {
  return withSlowCalls(toThreshold(row, at, RECENT_TO_THRESHOLD, RECENT_FAILURES), row[at + SLOW_RECENT_TO_THRESHOLD]);
}

/**
 * Guard rails that hold whatever the model says: no action on a breaker whose window has fewer
 * calls than its minimumCalls; none without recent failure or timeout evidence of at least half
 * its failure-rate threshold (or slow calls at half the slow-call rule's) in this round and the
 * one before (`evidenceBefore`, that round's recentEvidence: a burst that one round saw is not yet
 * a trend); none with the whole window under 60% of the threshold; no new or larger action while
 * the recent evidence falls from the round before, or while failures do not stand out from the
 * breaker's `usualShare` of failures (UsualFailures; NaN while unknown, when half the threshold stands in) over the `recentCalls` they
 * were read on; a shed share of at most a quarter of the share of recent calls that failed (or
 * were slow, when slow calls lead); a pre-open only with the evidence at 80% of the threshold in
 * the recent quarter and over the whole window, and most recent calls failing (or slow), at the
 * breaker's threshold or above, beyond the noise of their count (FAILING_SHARE_Z).
 */
export function allowance(
  row: Float32Array,
  at: number,
  evidenceBefore: number | undefined,
  usualShare: number,
  recentCalls: number,
): Allowance {
  const recentFailures = toThreshold(row, at, RECENT_TO_THRESHOLD, RECENT_FAILURES);
  // Slow calls lead the evidence: the breaker's usual failure share then says nothing.
  const slowLead = row[at + SLOW_RECENT_TO_THRESHOLD] > recentFailures;
  const recentToThreshold = withSlowCalls(recentFailures, row[at + SLOW_RECENT_TO_THRESHOLD]);
  const windowToThreshold = windowEvidence(row, at);
  if (!(row[at + CALLS_TO_MINIMUM] >= 1)) return refused('fewer calls than minimumCalls in the window');
  if (!(recentToThreshold >= SHED_EVIDENCE))
    return refused('no recent failure, timeout or slow-call evidence (under half the threshold)');
  if (!(evidenceBefore !== undefined && evidenceBefore >= SHED_EVIDENCE))
    return refused('failure evidence in one round only (it must hold two rounds in a row)');
  if (!(windowToThreshold >= WINDOW_EVIDENCE))
    return refused('failures in the recent quarter, not the window (under 60% of the threshold there)');
  const failingShare = row[at + (slowLead ? SLOW_RECENT : RECENT_FAILURES)];
  const shedShare = Math.min(1, SHED_PER_FAILURE * failingShare);
  if (recentToThreshold < evidenceBefore)
    return {
      preOpen: false,
      shedShare,
      raise: false,
      refusal: 'failures receding (fewer in the recent quarter than the round before)',
    };
  const recentShare = row[at + RECENT_FAILURES];
  // Failures at the service's usual share are its normal: shedding under way ends too. Until that
  // share is learnt, half the threshold stands in for it: a new breaker has no normal to go by.
  const usual = Number.isNaN(usualShare) ? recentShare / recentFailures / 2 : usualShare;
  if (!slowLead && !standsOut(recentShare, recentCalls, usual))
    return refused(
      `failures within the breaker's usual share (recent ${percent(recentShare)} against a usual ${percent(usual)}${Number.isNaN(usualShare) ? ', half the threshold until learnt' : ''})`,
    );
  const tripChance = ownTripChance(row, at); // NaN (no rule of its own) passes both checks below
  if (tripChance < SHED_TRIP_CHANCE)
    return {
      preOpen: false,
      shedShare,
      raise: false,
      refusal: `the breaker's own rules are unlikely to trip at the rate calls fail now (trip chance ${tripChance.toFixed(2)})`,
    };
  const failingAtLeast = wilsonLower(failingShare, recentCalls);
  const mostFail = failingAtLeast >= PRE_OPEN_FAILING_SHARE;
  // The share the evidence is measured against: the breaker's threshold (or the usual 50%).
  const thresholdShare = failingShare / recentToThreshold;
  const atThreshold = failingAtLeast >= thresholdShare;
  const preOpen =
    recentToThreshold >= PRE_OPEN_EVIDENCE &&
    windowToThreshold >= PRE_OPEN_EVIDENCE &&
    mostFail &&
    atThreshold &&
    !(tripChance < PRE_OPEN_TRIP_CHANCE);
  const failing = `${percent(failingShare)} of ${recentCalls} fail`;
  return {
    preOpen,
    shedShare,
    raise: true,
    refusal: preOpen
      ? undefined
      : !mostFail
        ? `most calls may succeed now (${failing}): too costly for a pre-open (shedding is allowed)`
        : !atThreshold
          ? `calls may fail below the breaker's threshold now (${failing}, against ${percent(thresholdShare)}), where it never trips: too costly for a pre-open (shedding is allowed)`
          : 'failures too recent, too few or too unlikely to trip for a pre-open (shedding is allowed)',
  };
}

/**
 * Why a pre-open would cost more than it spares, at a chance `p` of a trip within the horizon, or
 * undefined when it pays: should the trip come, it spares at most the calls the breaker sends
 * before its own rules trip it (`callsToTrip`, all failing); should it not, it refuses every call of
 * its open period (`callsPerSecond` x `openMs`), calls that would mostly have succeeded. It pays when
 * p x callsToTrip >= (1 - p) x the calls refused. Weighed by the rails above alone, mode 'open'
 * pre-opened a breaker of 0.5 calls per second, 3 failures short of tripping, for its 60 s open
 * period (30 calls) at a chance of 0.85, as an outage ended: 28 points of client success in that
 * run of an outside evaluation, where the plain breaker never tripped.
 */
export function preOpenCost(
  p: number,
  callsToTrip: number,
  callsPerSecond: number,
  openMs: number,
): string | undefined {
  // A breaker whose own rules never trip spares, by a pre-open, every failing call it would send.
  if (callsToTrip === Number.POSITIVE_INFINITY) return undefined;
  if (!(callsPerSecond > 0)) return 'the call rate is not known yet: what a pre-open would refuse cannot be weighed';
  const refused = (callsPerSecond * openMs) / 1000;
  if (p * callsToTrip >= (1 - p) * refused) return undefined;
  return `a pre-open would spare at most ${callsToTrip} failing calls at a ${percent(p)} chance of a trip, and refuse about ${Math.round(refused)} calls of its ${openMs} ms otherwise: too costly (shedding is allowed)`;
}

/**
 * The chance the breaker's own rules trip within the horizon at the rate calls fail now: the larger
 * of its rules' (a rule that is off has none), NaN for a breaker with none, which these rails
 * then leave to the others (its failures are weighed against the usual 50%).
 */
function ownTripChance(row: Float32Array, at: number): number {
  let chance = NaN;
  for (const column of TRIP_CHANCE_COLUMNS) {
    const ruleChance = row[at + column];
    if (Number.isNaN(chance) || ruleChance > chance) chance = ruleChance;
  }
  return chance;
}

/** The shown columns of a row, by name (NaN, a rule that is off, as null). */
export function shownEvidence(row: Float32Array, at: number): Record<string, number | null> {
  const shown: Record<string, number | null> = {};
  EVIDENCE_SHOWN.forEach((name, k) => {
    const value = row[at + SHOWN_COLUMNS[k]];
    shown[name] = Number.isNaN(value) ? null : Math.round(value * 1000) / 1000;
  });
  return shown;
}
