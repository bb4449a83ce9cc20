import type { Disposer } from '../events';
import { Registry, type RegisteredBreaker } from '../registry/registry';
import { breakerKey } from '../registry/breaker-key';
import { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor, coreColumn } from '../features/core-features';
import { featureListMismatch, type FeatureList } from '../features/feature-list';
import { FeatureListMismatchError } from '../errors/FeatureListMismatchError';
import { allowance, preOpenCost, recentEvidence, shownEvidence, windowEvidence } from './guard-rails';
import { UsualFailures } from './usual-failures';
import { tripsCountingShed } from './shed-dilution';
import { ScoringDeadline } from './scoring-deadline';
import { kindsOption } from './kinds-option';
import { show } from '../error-message';
import { knownOptions } from '../options-object';

const WINDOW_FAILURE_SHARE = coreColumn('failure_rate');
const WINDOW_CALLS_TO_MINIMUM = coreColumn('window_calls_to_minimum');
const RECENT_FAILURE_SHARE = coreColumn('failure_rate_recent');

/** What scores feature rows: a Predictor, or anything with the same two members. */
export interface ScoringModel {
  readonly featureList: FeatureList;
  /** P(trip within the model's horizon) for each row of CORE_FEATURE_COUNT floats. */
  score(rows: Float32Array): Promise<Float32Array>;
}

export interface EarlyWarningOptions {
  /** Open a CLOSED breaker pre-emptively at or above this probability, (0, 1]. Default 0.7. */
  predictionThreshold?: number;
  /** After a pre-open, the breaker is not pre-opened again until its probability fell below this. Default predictionThreshold - 0.2. */
  releaseThreshold?: number;
  /** Milliseconds between scoring rounds (registry clock). Default 1000. */
  everyMs?: number;
  /**
   * 'shed' (the default) refuses a share of a CLOSED breaker's calls at or above the threshold:
   * the probability, but never more than a quarter of the share of its recent calls that failed,
   * until the probability falls below releaseThreshold; 'open' pre-opens; 'observe' only records
   * probabilities. Either action needs the guard rails' evidence (see guard-rails.ts): at least
   * minimumCalls in the window, recent failures or timeouts of half the breaker's threshold in two
   * rounds in a row, and the whole window at 60% of it.
   */
  mode?: 'open' | 'shed' | 'observe';
  /**
   * How long a pre-open lasts; default each breaker's recoveryTimeout. A pre-open is taken only
   * where it pays (guard-rails.ts preOpenCost): a shorter one refuses fewer calls should no trip
   * come, so it pays at a lower probability.
   */
  preOpenMs?: number;
  /**
   * A move of the probability's log-odds, ln(p / (1 - p)), this large since a breaker's last
   * recorded 'prediction' event records another (crossings and actions always do); 0 records
   * every round. Default 1: the odds moved by a factor of e (0.02 to 0.053, 0.5 to 0.73).
   */
  recordChange?: number;
  /**
   * Kinds to score, a non-empty list; default every kind. One registry takes one acting early
   * warning (mode 'open' or 'shed') per kind: two would both shed and pre-open the same breakers.
   * Any number in mode 'observe' may run beside it (a candidate model, say).
   */
  kinds?: readonly string[];
  /**
   * How long a round waits for the model's scores, in ms of real time. Default 5 x everyMs, at
   * least 1000. A round past it fails with a registry task warning and the next round asks again;
   * while 3 calls are unanswered past it, rounds are skipped.
   */
  scoreTimeoutMs?: number;
}

/** One breaker's score in a round. */
export interface Prediction {
  kind: string;
  name: string;
  probability: number;
  preOpened: boolean;
  /** The share of calls the breaker sheds after this round (mode 'shed'). */
  shedding: number;
}

/**
 * The early-warning loop: every `everyMs` it reads every used breaker's features (one core
 * crossing per arena), scores them in one batch, stores each probability in the registry, and
 * opens a CLOSED breaker whose probability reaches `predictionThreshold` (reason 'predicted'),
 * with hysteresis: that breaker is not pre-opened again until its probability falls below
 * `releaseThreshold`.
 */
export class EarlyWarning {
  readonly options: Required<Omit<EarlyWarningOptions, 'preOpenMs' | 'kinds'>> &
    Pick<EarlyWarningOptions, 'preOpenMs' | 'kinds'>;
  /** Times the guard rails held back an action the model's probability called for. */
  held = 0;
  private readonly extractor = new CoreFeatureExtractor();
  /** Breakers pre-opened and not yet released (by registry key). */
  private readonly latched = new Set<string>();
  private readonly recorded = new Map<string, number>();
  /** Each breaker's recent failure evidence in the round before (the guard rails want it twice in a row). */
  private readonly evidenceBefore = new Map<string, number>();
  /** Each breaker's usual failure share: failures near it are the service's normal, not trouble. */
  private readonly usualFailures = new UsualFailures();
  private readonly deadline: ScoringDeadline;
  private readonly stopTask: Disposer;
  private readonly stopForgetting: Disposer;
  /** Rounds scored, breakers pre-opened: for reports. */
  rounds = 0;
  preOpens = 0;

  constructor(
    private readonly registry: Registry,
    private readonly model: ScoringModel,
    given?: EarlyWarningOptions,
  ) {
    const options = knownOptions(given, 'breakwater/adaptive: EarlyWarning options', {
      predictionThreshold: true,
      releaseThreshold: true,
      everyMs: true,
      mode: true,
      preOpenMs: true,
      recordChange: true,
      kinds: true,
      scoreTimeoutMs: true,
    });
    if (!(registry instanceof Registry))
      throw new TypeError(
        `breakwater/adaptive: EarlyWarning needs a Registry as its first argument, got ${show(registry)}`,
      );
    if (
      model === null ||
      typeof model !== 'object' ||
      typeof model.score !== 'function' ||
      model.featureList === null ||
      typeof model.featureList !== 'object' ||
      !Array.isArray(model.featureList.features)
    ) {
      throw new TypeError(
        'breakwater/adaptive: EarlyWarning needs a model with featureList and score(rows) (a Predictor)',
      );
    }
    const mismatch = featureListMismatch(model.featureList, CORE_FEATURES);
    if (mismatch)
      throw new FeatureListMismatchError(
        model.featureList,
        CORE_FEATURES,
        `${mismatch}; retrain it with \`breakwater train\``,
      );
    const predictionThreshold = probabilityOption('predictionThreshold', options.predictionThreshold, 0.7);
    if (predictionThreshold === 0)
      throw new RangeError(
        'breakwater/adaptive: option "predictionThreshold" must be above 0 (at 0 every breaker is warned every round), got 0',
      );
    const releaseThreshold = probabilityOption(
      'releaseThreshold',
      options.releaseThreshold,
      Math.max(0, +(predictionThreshold - 0.2).toFixed(12)),
    );
    if (releaseThreshold > predictionThreshold) {
      throw new RangeError(
        `breakwater/adaptive: option "releaseThreshold" (${releaseThreshold}) must be at most predictionThreshold (${predictionThreshold})`,
      );
    }
    const mode = options.mode ?? 'shed';
    if (mode !== 'open' && mode !== 'shed' && mode !== 'observe')
      throw new RangeError(`breakwater/adaptive: option "mode" must be "open", "shed" or "observe", got ${show(mode)}`);
    const everyMs = integerOption('everyMs', options.everyMs, 1000, 1);
    this.options = {
      predictionThreshold,
      releaseThreshold,
      everyMs,
      mode,
      recordChange: nonNegativeOption('recordChange', options.recordChange, DEFAULT_RECORD_CHANGE),
      preOpenMs: options.preOpenMs === undefined ? undefined : integerOption('preOpenMs', options.preOpenMs, 0, 1),
      kinds: kindsOption(options.kinds),
      scoreTimeoutMs: integerOption(
        'scoreTimeoutMs',
        options.scoreTimeoutMs,
        Math.max(1000, SCORE_TIMEOUT_ROUNDS * everyMs),
        1,
      ),
    };
    this.deadline = new ScoringDeadline(this.options.scoreTimeoutMs);
    // Scheduled first: a registry that was shut down refuses it, whatever else is wrong.
    this.stopTask = registry.schedule(
      'early-warning',
      this.options.everyMs,
      (now) => this.step(now).then(() => undefined),
      () => this.end('the registry was shut down'), // its breakers stay usable: none may go on shedding
    );
    try {
      if (mode !== 'observe') claimKinds(registry, this, this.options.kinds);
    } catch (error) {
      this.stopTask();
      throw error;
    }
    this.stopForgetting = registry.onRemoved(({ kind, name }) => {
      const key = breakerKey(kind, name);
      this.latched.delete(key);
      this.recorded.delete(key);
      this.evidenceBefore.delete(key);
      this.usualFailures.forget(key);
    });
  }

  /** One scoring round now. */
  async step(nowMs: number): Promise<Prediction[]> {
    const entries = this.scored().filter((e) => e.breaker.active);
    if (entries.length === 0) return [];
    const rows = this.extractor.extract(
      entries.map((e) => e.breaker),
      nowMs,
    );
    let probabilities: Float32Array;
    try {
      probabilities = await this.scores(rows, entries);
    } catch (error) {
      // No score is no warning: shedding stops, and no stale probability stands for a current one.
      this.standDown(`the scoring round failed (${error instanceof Error ? error.message : String(error)})`);
      throw error;
    }
    this.rounds++;
    // Scoring may take a thread's while (onnxruntime): a breaker removed meanwhile, or removed and
    // made again under its name, is skipped, never acted on or given another breaker's score.
    return entries.flatMap((entry, i) =>
      this.registry.holds(entry.kind, entry.name, entry.breaker)
        ? [this.act(entry, probabilities[i], rows, i, nowMs)]
        : [],
    );
  }

  /** Stops scoring: shedding stops with it; breakers already pre-opened recover as usual. */
  stop(): void {
    this.end('the early warning stopped');
  }

  private scored(): RegisteredBreaker[] {
    const { kinds } = this.options;
    return [...this.registry.entries()].filter((e) => kinds === undefined || kinds.includes(e.kind));
  }

  private async scores(rows: Float32Array, entries: readonly RegisteredBreaker[]): Promise<Float32Array> {
    const probabilities = await this.deadline.answer(() => this.model.score(rows));
    if (probabilities?.length !== entries.length)
      throw new RangeError(
        `breakwater/adaptive: the model gave ${String(probabilities?.length)} scores for ${entries.length} rows; score(rows) must give one per row`,
      );
    // A broken model must not pass for a calm one: NaN read as 0 would say "healthy" of every breaker.
    const bad = probabilities.findIndex((p) => !(p >= 0 && p <= 1));
    if (bad >= 0)
      throw new RangeError(
        `breakwater/adaptive: the model scored breaker ${entries[bad].kind}/"${entries[bad].name}" ${show(probabilities[bad])}; score(rows) must give probabilities from 0 to 1 (the round is dropped)`,
      );
    return probabilities;
  }

  private end(why: string): void {
    this.stopTask();
    this.stopForgetting();
    actingOn.get(this.registry)?.delete(this);
    this.standDown(why);
  }

  /** Ends every breaker's shedding (each a 'prediction' event saying why) and clears their probabilities. */
  private standDown(why: string): void {
    for (const { kind, name, breaker } of this.scored()) {
      this.registry.setProbability(kind, name, null);
      this.recorded.delete(breakerKey(kind, name));
      if (breaker.sheddingShare === 0) continue;
      breaker.shed(0);
      const detail = { threshold: this.options.predictionThreshold, action: 'none', reason: `released: ${why}` };
      this.registry.recordUncheckedEvent(kind, name, 'prediction', detail);
    }
  }

  private act(
    entry: RegisteredBreaker,
    probability: number,
    rows: Float32Array,
    row: number,
    nowMs: number,
  ): Prediction {
    const { predictionThreshold, releaseThreshold, mode } = this.options;
    const key = breakerKey(entry.kind, entry.name);
    const breaker = entry.breaker;
    const p = probability;
    // Stored before acting: a pre-open's 'transition' event carries the probability that caused it.
    this.registry.setProbability(entry.kind, entry.name, p, { record: false });
    const at = row * CORE_FEATURE_COUNT;
    const allowed = allowance(
      rows,
      at,
      this.evidenceBefore.get(key),
      this.usualFailures.usual(key) ?? NaN,
      this.extractor.recentCallsOf(row),
    );
    this.evidenceBefore.set(key, recentEvidence(rows, at));
    const closed = breaker.getState() === 'closed';
    // What the service fails at while nothing is wrong: a closed circuit, a full window under the threshold.
    this.usualFailures.observe(
      key,
      rows[at + WINDOW_FAILURE_SHARE],
      closed && rows[at + WINDOW_CALLS_TO_MINIMUM] >= 1 && windowEvidence(rows, at) < 1,
      nowMs,
    );
    const sheddingBefore = breaker.sheddingShare;
    let reason: string | undefined;
    if (p < releaseThreshold) {
      this.latched.delete(key);
      if (sheddingBefore > 0) {
        breaker.shed(0);
        reason = 'released: the probability fell below releaseThreshold';
      }
    }
    let preOpened = false;
    const warned = p >= predictionThreshold && closed;
    if (warned && mode === 'shed') {
      // The share follows the evidence both ways: a model that never calms down cannot keep it up.
      const share = Math.min(p, allowed.shedShare, allowed.raise ? 1 : sheddingBefore);
      if (share !== sheddingBefore) {
        breaker.shed(share);
        reason =
          share === 0
            ? `released: ${allowed.refusal}`
            : `shedding ${share.toFixed(2)}: the probability, capped at the recent failure share`;
      } else if (share === 0) reason = allowed.refusal;
    } else if (mode === 'shed' && sheddingBefore > 0 && p >= releaseThreshold) {
      // Between the release and the warning thresholds shedding goes on, but never past what the
      // evidence allows now: a model hovering there cannot keep shedding a window gone quiet.
      const share = Math.min(sheddingBefore, allowed.shedShare);
      if (share !== sheddingBefore) {
        breaker.shed(share);
        reason =
          share === 0
            ? `released: ${allowed.refusal}`
            : `shedding ${share.toFixed(2)}: capped at the recent failure share`;
      }
    }
    if (sheddingBefore > 0 && closed) {
      // The trip shedding held back (shed-dilution.ts): the breaker's own rule, not a prediction.
      const { failureRateThreshold, minimumCalls, recoveryTimeout } = breaker.options;
      const recent = rows[at + RECENT_FAILURE_SHARE];
      if (tripsCountingShed(breaker.getMetrics().window, recent, failureRateThreshold, minimumCalls)) {
        preOpened = breaker.preOpen(recoveryTimeout);
        if (preOpened) {
          this.preOpens++;
          reason = `tripped by failureRateThreshold ${failureRateThreshold}%: its window crosses it once the calls shed count as sent, failing at the recent ${(100 * recent).toFixed(0)}%`;
        }
      }
    }
    if (warned && mode === 'open' && !this.latched.has(key)) {
      const openMs = this.options.preOpenMs ?? breaker.options.recoveryTimeout;
      // Weighed only where the rails allow a pre-open: read from the extractor, no object per round.
      const costly = allowed.preOpen
        ? preOpenCost(p, this.extractor.callsToTripOf(row), this.extractor.callsPerSecondOf(row), openMs)
        : allowed.refusal;
      if (costly === undefined) {
        preOpened = breaker.preOpen(openMs);
        if (preOpened) {
          this.latched.add(key);
          this.preOpens++;
          reason = 'pre-open: the probability reached predictionThreshold with failure evidence';
        }
      } else reason = costly;
    }
    const heldBack = warned && mode !== 'observe' && !preOpened && breaker.sheddingShare === 0;
    if (heldBack) this.held++;
    const acted = preOpened || breaker.sheddingShare !== sheddingBefore;
    const record = recordsPrediction(
      this.recorded.get(key),
      p,
      predictionThreshold,
      this.options.recordChange,
      acted || heldBack,
    );
    if (record) this.recorded.set(key, p);
    const shedding = breaker.sheddingShare;
    // The round's decision: shedding that goes on unchanged is in `shedding`, not a new action.
    const action = preOpened ? 'pre-open' : acted && shedding > 0 ? 'shed' : heldBack ? 'held' : 'none';
    const detail = {
      threshold: predictionThreshold,
      action,
      ...(shedding > 0 && { shedding }),
      ...(reason !== undefined && { reason }),
      ...((acted || heldBack) && { features: shownEvidence(rows, at) }),
    };
    if (record) this.registry.recordUncheckedEvent(entry.kind, entry.name, 'prediction', detail);
    return { kind: entry.kind, name: entry.name, probability: p, preOpened, shedding };
  }
}

/** The acting early warnings of each registry (mode 'open' or 'shed'). */
const actingOn = new WeakMap<Registry, Set<EarlyWarning>>();

/** Refuses a second acting early warning over a kind an acting one of the registry already scores. */
function claimKinds(registry: Registry, warning: EarlyWarning, kinds: readonly string[] | undefined): void {
  const acting = actingOn.get(registry) ?? new Set<EarlyWarning>();
  for (const other of acting) {
    const theirs = other.options.kinds;
    const shared =
      kinds === undefined ? theirs : theirs === undefined ? kinds : kinds.filter((k) => theirs.includes(k));
    if (shared === undefined || shared.length > 0)
      throw new RangeError(
        `breakwater/adaptive: this registry already has an EarlyWarning in mode '${other.options.mode}' acting on ${shared === undefined ? 'every kind' : `kinds ${shared.join(', ')}`}; two would both shed and pre-open the same breakers (stop() it first, give them kinds apart, or use mode 'observe')`,
      );
  }
  actingOn.set(registry, acting.add(warning));
}

/**
 * The move of log-odds that records a 'prediction' event by default (EarlyWarningOptions.recordChange).
 * In log-odds, not probability: most rounds score below 0.1, where a fixed step of probability
 * hid the moves that rank a breaker (0.02 to 0.11 went unrecorded) and recorded noise near 0.5.
 * Against a step of 0.1, it records fewer events and the last recorded probability follows the
 * score more closely (npm run bench:early-warning-unseen).
 */
export const DEFAULT_RECORD_CHANGE = 1;

/** How many rounds' time a round waits for the model by default (EarlyWarningOptions.scoreTimeoutMs). */
const SCORE_TIMEOUT_ROUNDS = 5;

/**
 * Whether a round's probability is recorded as a 'prediction' event: a breaker's first, one that
 * crossed `threshold` or whose log-odds moved by `recordChange` since the `last` recorded, or one
 * with an action taken or held back. (bench/early-warning-unseen.mjs reads it to measure what
 * events show.)
 */
export function recordsPrediction(
  last: number | undefined,
  probability: number,
  threshold: number,
  recordChange: number,
  acted: boolean,
): boolean {
  return (
    acted ||
    last === undefined ||
    last < threshold !== probability < threshold ||
    Math.abs(logOdds(probability) - logOdds(last)) >= recordChange
  );
}

/** ln(p / (1 - p)), with p held within [1e-6, 1 - 1e-6] so that 0 and 1 stay finite. */
function logOdds(probability: number): number {
  const p = Math.min(Math.max(probability, 1e-6), 1 - 1e-6);
  return Math.log(p / (1 - p));
}

function probabilityOption(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new RangeError(`breakwater/adaptive: option "${option}" must be a number from 0 to 1, got ${String(value)}`);
  return value;
}

function nonNegativeOption(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < Infinity))
    throw new RangeError(`breakwater/adaptive: option "${option}" must be a finite number >= 0, got ${show(value)}`);
  return value;
}

function integerOption(option: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`breakwater/adaptive: option "${option}" must be an integer >= ${min}, got ${String(value)}`);
  return value;
}
