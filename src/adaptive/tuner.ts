import type { Disposer } from '../events';
import type { BreakerEvent } from '../registry/event';
import { Registry, type RegisteredBreaker } from '../registry/registry';
import { breakerKey } from '../registry/breaker-key';
import { kindsOption } from './kinds-option';
import { FailureBaseline } from './failure-baseline';
import { show } from '../error-message';
import { TIMER_MAX_MS } from '../options';
import { knownOptions } from '../options-object';

/** [min, max] a tuned value stays within. */
export type Bounds = readonly [number, number];

export interface TunerOptions {
  /** Share of the distance to the learned target a value moves per round, (0, 1]. Default 0.3. */
  learningRate?: number;
  /** Milliseconds between tuning rounds (on the registry's clock). Default 60000. */
  retrainingInterval?: number;
  /** Observations a breaker (or its hardware profile) needs before a value moves. Default 5. */
  minDataPoints?: number;
  /** Limits of the tuned values; defaults in DEFAULT_BOUNDS. A breaker's starting value wins over them. */
  bounds?: Partial<Record<TunedOption, Bounds>>;
  /**
   * Kinds to tune, a non-empty list; default every kind. Names are not checked against the registry
   * (any string is a kind for getOrCreate), so a misspelt kind tunes nothing.
   */
  kinds?: readonly string[];
  /**
   * Share of a breaker's normal call rate that half-open probes may cost while it is open, (0, 1]:
   * a quieter breaker's open period grows to keep them within it. Default off: on a quiet service
   * the longer period only delays recovery (2 calls/s at 0.02: recovery +24%, no call spared, in
   * `npm run bench:tuner -- --probe-share 0.02`), where a probe every open period is no load to speak of.
   */
  probeShare?: number;
}

export type TunedOption = 'failureThreshold' | 'failureRateThreshold' | 'recoveryTimeout' | 'halfOpenTimeout';

export const DEFAULT_BOUNDS: Readonly<Record<TunedOption, Bounds>> = Object.freeze({
  failureThreshold: [3, 50],
  failureRateThreshold: [5, 90],
  recoveryTimeout: [1000, 300_000],
  halfOpenTimeout: [1000, 120_000],
});

/** One change the tuner made. */
export interface TuningChange {
  kind: string;
  name: string;
  option: TunedOption;
  before: number;
  after: number;
  reason: string;
}

/** What a breaker, or the profile of its hardware label, has shown so far. */
class History {
  /** The window failure rate while closed with enough calls. */
  readonly failures = new FailureBaseline();
  /** Exponential mean of the window p99 latency (ms) while closed. */
  p99Mean = NaN;
  p99Samples = 0;
  /** Exponential mean of the calls per second while closed (time windows only). */
  callRateMean = 0;
  callRateSamples = 0;
  /** Trip-to-close durations (ms) and the probe rounds each took, newest last, at most 32. */
  recoveries: { durationMs: number; rounds: number }[] = [];

  addCallRate(perSecond: number): void {
    this.callRateMean =
      this.callRateSamples === 0 ? perSecond : this.callRateMean + 0.1 * (perSecond - this.callRateMean);
    this.callRateSamples++;
  }

  addP99(ms: number): void {
    this.p99Mean = this.p99Samples === 0 ? ms : this.p99Mean + 0.1 * (ms - this.p99Mean);
    this.p99Samples++;
  }

  addRecovery(durationMs: number, rounds: number): void {
    this.recoveries.push({ durationMs, rounds });
    if (this.recoveries.length > 32) this.recoveries.shift();
  }
}

/** An open episode: when the circuit tripped and how many times it reopened since. */
interface Episode {
  trippedAt: number;
  rounds: number;
}

/**
 * Moves each breaker's failureThreshold / failureRateThreshold, recoveryTimeout and
 * halfOpenTimeout toward values learned from its own history, a learning-rate step per round,
 * within bounds, once it has minDataPoints observations. Breakers with too little history learn
 * from the profile of their hardware label. Every change is a 'tuning' event (source 'tuner',
 * with the reason) in the registry's history.
 *
 * What it learns:
 * - failureRateThreshold (when the rule is on): raised to the baseline failure rate + 4 spreads
 *   when the breaker's normal noise comes near it (a breaker must not trip on its own baseline);
 *   never below the value the breaker started with, whatever the bounds. The baseline is the
 *   median of the last 32 windows learnt, a window far above it is a failure starting and is not
 *   learned, so a failure that grows slowly cannot walk it up (FailureBaseline).
 * - failureThreshold (when the rule is on): raised to the run length that healthy traffic reaches
 *   with probability below 1e-4 at the baseline failure rate, ceil(log(1e-4) / log(baseline)); never
 *   below the starting value, whatever the bounds.
 * - recoveryTimeout (time windows, with `probeShare` set): probe no more often than `probeShare` of
 *   the breaker's normal call rate allows, 1000 / (probeShare x calls per second), and never more
 *   often than the breaker started with: a quiet breaker's open period grows, none shrinks.
 * - halfOpenTimeout: 5 x the baseline p99 latency (probes get time to finish, no more), never below
 *   the call timeout (or the starting value, if lower).
 *
 * The probe budget: once tripped, a tuned breaker never sends more probes to a failing service than
 * it would with its starting settings. Open periods never shorten, and a probe round never ends
 * before its probe would have (a round cut short by halfOpenTimeout sends the next probe sooner);
 * the tuner does not touch halfOpenMaxCalls or backoffFactor, and raises maxRecoveryTimeout only.
 * The budget does not cover the calls before the trip: a failureThreshold or failureRateThreshold
 * raised over the breaker's baseline noise lets a few more calls reach a failing service before it
 * trips, by design (that is what stops trips on the noise): failureThreshold 3 raised to 6 on a 20%
 * baseline sent 8 calls into a 20 s outage at 50 calls/s, where the starting settings sent 5.
 */
export class AdaptiveTuner {
  readonly options: Required<Omit<TunerOptions, 'bounds' | 'kinds' | 'probeShare'>> & {
    bounds: Record<TunedOption, Bounds>;
    kinds: readonly string[] | undefined;
    probeShare: number | undefined;
  };
  /**
   * Each breaker's own settings when first seen, or as an operator last set them with reconfigure():
   * the tuned values never go below them (see the probe budget).
   */
  private readonly floors = new Map<string, Floors>();
  private readonly histories = new Map<string, History>();
  private readonly profiles = new Map<string, History>();
  private readonly episodes = new Map<string, Episode>();
  private readonly stopEvents: Disposer;
  private readonly stopForgetting: Disposer;
  private readonly stopTask: Disposer;

  constructor(
    private readonly registry: Registry,
    given?: TunerOptions,
  ) {
    if (!(registry instanceof Registry))
      throw new TypeError(
        `breakwater/adaptive: AdaptiveTuner needs a Registry as its first argument, got ${show(registry)}`,
      );
    const options = knownOptions(given, 'breakwater/adaptive: AdaptiveTuner options', {
      learningRate: true,
      retrainingInterval: true,
      minDataPoints: true,
      bounds: true,
      kinds: true,
      probeShare: true,
    });
    const learningRate = options.learningRate ?? 0.3;
    if (typeof learningRate !== 'number' || !(learningRate > 0 && learningRate <= 1)) {
      throw new RangeError(
        `breakwater/adaptive: option "learningRate" must be a number in (0, 1], got ${String(learningRate)}`,
      );
    }
    const retrainingInterval = options.retrainingInterval ?? 60_000;
    if (!Number.isInteger(retrainingInterval) || retrainingInterval < 1 || retrainingInterval > TIMER_MAX_MS) {
      throw new RangeError(
        `breakwater/adaptive: option "retrainingInterval" must be an integer number of ms from 1 to ${TIMER_MAX_MS}, got ${show(retrainingInterval)}`,
      );
    }
    const minDataPoints = options.minDataPoints ?? 5;
    if (!Number.isInteger(minDataPoints) || minDataPoints < 1) {
      throw new RangeError(
        `breakwater/adaptive: option "minDataPoints" must be an integer >= 1, got ${String(minDataPoints)}`,
      );
    }
    const bounds = { ...DEFAULT_BOUNDS } as Record<TunedOption, Bounds>;
    for (const [option, value] of Object.entries(options.bounds ?? {})) {
      if (!(option in DEFAULT_BOUNDS))
        throw new TypeError(
          `breakwater/adaptive: option "bounds.${option}" is not a tuned option (${Object.keys(DEFAULT_BOUNDS).join(', ')})`,
        );
      if (!Array.isArray(value) || value.length !== 2 || !(value[0] >= 0) || !(value[1] >= value[0])) {
        throw new RangeError(
          `breakwater/adaptive: option "bounds.${option}" must be [min, max] with 0 <= min <= max, got ${show(value)}`,
        );
      }
      bounds[option as TunedOption] = [value[0], value[1]];
    }
    const probeShare = options.probeShare;
    if (probeShare !== undefined && (typeof probeShare !== 'number' || !(probeShare > 0 && probeShare <= 1))) {
      throw new RangeError(
        `breakwater/adaptive: option "probeShare" must be a number in (0, 1], got ${String(probeShare)}`,
      );
    }
    this.options = {
      learningRate,
      retrainingInterval,
      minDataPoints,
      bounds,
      kinds: kindsOption(options.kinds),
      probeShare,
    };
    // Scheduled first: a registry that was shut down refuses it before anything else is hooked.
    this.stopTask = registry.schedule('adaptive-tuner', retrainingInterval, () => void this.step());
    this.stopEvents = registry.onEvent((event) => this.observe(event));
    this.stopForgetting = registry.onRemoved(({ kind, name }) => {
      const key = breakerKey(kind, name);
      this.histories.delete(key);
      this.floors.delete(key);
      this.episodes.delete(key);
    });
  }

  /**
   * One tuning round now: samples every breaker's window, then moves what has enough history. In
   * a host registry the breakers are the host's: every process samples them, and one process of
   * the host (the holder of the arena's lease, which a cluster connection syncs through too) moves
   * them, so a host of N processes takes one step a round, not N.
   */
  step(): TuningChange[] {
    const moves =
      this.registry.hostArena === undefined || this.registry.holdsHostControl(3 * this.options.retrainingInterval);
    const changes: TuningChange[] = [];
    for (const entry of this.registry.entries()) {
      if (!this.tunes(entry) || !entry.breaker.active) continue;
      this.sample(entry);
      if (moves) changes.push(...this.tune(entry));
    }
    return changes;
  }

  /** What the tuner has learned for a hardware label (breakers without one share 'default'). */
  profile(hardware: string): { failureRate: number; p99Ms: number; recoveries: number; samples: number } | undefined {
    const history = this.profiles.get(hardware);
    if (history === undefined) return undefined;
    return {
      failureRate: history.failures.median,
      p99Ms: history.p99Mean,
      recoveries: history.recoveries.length,
      samples: history.failures.samples,
    };
  }

  /** Stops tuning (values already changed stay). */
  stop(): void {
    this.stopEvents();
    this.stopTask();
    this.stopForgetting();
  }

  private tunes(entry: RegisteredBreaker): boolean {
    return this.options.kinds === undefined || this.options.kinds.includes(entry.kind);
  }

  /** Follows transitions to measure recovery episodes: trip -> (reopens) -> close. */
  private observe(event: BreakerEvent): void {
    if (event.event_type === 'tuning') return this.followOperator(event);
    if (event.event_type !== 'transition' || event.detail === null) return;
    const key = breakerKey(event.kind, event.breaker);
    const { from, to } = event.detail as { from: string; to: string };
    if (from === 'closed' && to === 'open') this.episodes.set(key, { trippedAt: event.timestamp, rounds: 1 });
    else if (from === 'half-open' && to === 'open') {
      const episode = this.episodes.get(key);
      if (episode !== undefined) episode.rounds++;
    } else if (to === 'closed' && from === 'half-open') {
      const episode = this.episodes.get(key);
      if (episode === undefined) return;
      this.episodes.delete(key);
      const hardware = event.labels.hardware ?? 'default';
      for (const history of [this.historyOf(key), this.profileOf(hardware)])
        history.addRecovery(event.timestamp - episode.trippedAt, episode.rounds);
    }
  }

  /** An operator's reconfigure() of a tuned option sets its new floor, so the tuner does not walk it back. */
  private followOperator(event: BreakerEvent): void {
    const { source, changed } = event.detail as { source: string; changed: Record<string, { after: number }> };
    const floor = this.floors.get(breakerKey(event.kind, event.breaker));
    if (source !== 'user' || floor === undefined) return; // no floor yet: it is read from the options when sampled
    for (const option of Object.keys(floor) as TunedOption[])
      if (changed[option] !== undefined) floor[option] = changed[option].after;
  }

  private sample(entry: RegisteredBreaker): void {
    const metrics = entry.breaker.getMetrics();
    if (metrics.state !== 'closed') return;
    const options = entry.breaker.options;
    const histories = [this.historyOf(keyOf(entry)), this.profileOf(entry.breaker.labels.hardware ?? 'default')];
    const decided = metrics.window.successes + metrics.window.failures;
    if (decided >= options.minimumCalls)
      for (const history of histories) history.failures.add(metrics.failureRate, decided);
    if (metrics.latency.p99 !== null) for (const history of histories) history.addP99(metrics.latency.p99);
    if (options.slidingWindowType === 'time')
      for (const history of histories) history.addCallRate(metrics.window.calls / (options.slidingWindowSize / 1000));
    if (!this.floors.has(keyOf(entry))) this.floors.set(keyOf(entry), floorsOf(options));
  }

  private tune(entry: RegisteredBreaker): TuningChange[] {
    const options = entry.breaker.options;
    const own = this.historyOf(keyOf(entry));
    const profile = this.profileOf(entry.breaker.labels.hardware ?? 'default');
    const enough = (count: (h: History) => number): History | undefined =>
      count(own) >= this.options.minDataPoints
        ? own
        : count(profile) >= this.options.minDataPoints
          ? profile
          : undefined;
    // `floor`: the breaker's starting value (the probe budget's lower limit), which wins over the bounds.
    const targets: { option: TunedOption; target: number; reason: string; floor?: number }[] = [];

    const rates = enough((h) => h.failures.samples)?.failures;
    const floor = this.floors.get(keyOf(entry)) ?? floorsOf(options);
    if (rates !== undefined) {
      if (options.failureRateThreshold > 0) {
        const learned = 100 * (rates.median + 4 * rates.spread);
        const why = `baseline failure rate ${pct(rates.median)} ± ${pct(rates.spread)}`;
        targets.push(overFloor('failureRateThreshold', learned, floor.failureRateThreshold, why));
      }
      if (options.failureThreshold > 0) {
        const p = Math.min(Math.max(rates.median, 1e-3), 0.9);
        const learned = Math.ceil(Math.log(1e-4) / Math.log(p));
        const why = `runs of failures at a ${pct(rates.median)} baseline`;
        targets.push(overFloor('failureThreshold', learned, floor.failureThreshold, why));
      }
    }
    const probeShare = this.options.probeShare;
    const traffic = probeShare === undefined ? undefined : enough((h) => h.callRateSamples);
    if (probeShare !== undefined && traffic !== undefined && traffic.callRateMean > 0) {
      const share = 1000 / (probeShare * traffic.callRateMean);
      const target = Math.max(floor.recoveryTimeout, share);
      targets.push({
        option: 'recoveryTimeout',
        target,
        floor: floor.recoveryTimeout,
        reason:
          share >= floor.recoveryTimeout
            ? `one probe per ${Math.round(target)} ms costs ${pct(probeShare)} of the normal ${traffic.callRateMean.toFixed(1)} calls/s`
            : `no more probes than the starting ${floor.recoveryTimeout} ms allows`,
      });
    }
    const latencies = enough((h) => h.p99Samples);
    if (latencies !== undefined && options.halfOpenTimeout > 0) {
      const halfOpenFloor =
        options.timeout > 0 ? Math.min(floor.halfOpenTimeout, options.timeout) : floor.halfOpenTimeout;
      const target = Math.max(halfOpenFloor, 5 * latencies.p99Mean);
      targets.push({
        option: 'halfOpenTimeout',
        target,
        floor: halfOpenFloor,
        reason: `p99 latency ${latencies.p99Mean.toFixed(1)} ms, no shorter than a probe may take (${halfOpenFloor} ms)`,
      });
    }

    const changes: TuningChange[] = [];
    const update: Record<string, number> = {};
    for (const { option, target, reason, floor: budget = -Infinity } of targets) {
      const before = options[option];
      const [min, max] = this.options.bounds[option];
      const stepped = before + this.options.learningRate * (Math.max(budget, clamp(target, min, max)) - before);
      const after = Math.max(
        budget,
        clamp(option === 'failureRateThreshold' ? Math.round(stepped * 100) / 100 : Math.round(stepped), min, max),
      );
      if (Math.abs(after - before) < Math.max(1e-9, 0.01 * before)) continue; // no churn for tiny moves
      update[option] = after;
      changes.push({ kind: entry.kind, name: entry.name, option, before, after, reason });
    }
    if (changes.length > 0) {
      if (update.recoveryTimeout !== undefined && update.recoveryTimeout > options.maxRecoveryTimeout)
        update.maxRecoveryTimeout = update.recoveryTimeout;
      this.registry.reconfigure(entry.kind, entry.name, update, {
        source: 'tuner',
        reason: changes.map((c) => `${c.option}: ${c.reason}`).join('; '),
      });
    }
    return changes;
  }

  private historyOf(key: string): History {
    let history = this.histories.get(key);
    if (history === undefined) this.histories.set(key, (history = new History()));
    return history;
  }

  private profileOf(hardware: string): History {
    let history = this.profiles.get(hardware);
    if (history === undefined) this.profiles.set(hardware, (history = new History()));
    return history;
  }
}

/** A breaker's settings the tuner never goes below. */
interface Floors {
  failureRateThreshold: number;
  failureThreshold: number;
  recoveryTimeout: number;
  halfOpenTimeout: number;
}

function floorsOf(options: Floors): Floors {
  const { failureRateThreshold, failureThreshold, recoveryTimeout, halfOpenTimeout } = options;
  return { failureRateThreshold, failureThreshold, recoveryTimeout, halfOpenTimeout };
}

/** A threshold's target: what was learned, or the floor when that is higher, and the reason names which. */
function overFloor(
  option: TunedOption,
  learned: number,
  floor: number,
  why: string,
): { option: TunedOption; target: number; reason: string; floor: number } {
  if (learned >= floor) return { option, target: learned, reason: why, floor };
  const reason = `no lower than ${floor}, its starting or operator-set value (${why} gives ${+learned.toFixed(2)})`;
  return { option, target: floor, reason, floor };
}

const keyOf = (entry: RegisteredBreaker): string => breakerKey(entry.kind, entry.name);

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
const pct = (rate: number): string => `${(100 * rate).toFixed(2)}%`;
