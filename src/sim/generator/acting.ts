import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../features/core-features';
import type { RuleBaseline } from '../../adaptive/rule-baselines';
import { EarlyWarning, type EarlyWarningOptions, type ScoringModel } from '../../adaptive/early-warning';
import { Registry } from '../../registry/registry';
import type { CircuitBreaker } from '../../breaker';
import type { ManualClock } from '../../clock';
import type { CircuitBreakerOptions } from '../../options';
import type { Family } from './families';
import { playRun, type RunOutcome } from './run';

/** What the early warning did in one run, beside what the run measured. */
export interface WarnedRun extends RunOutcome {
  /** Times (ms) the warning pre-opened the breaker or started or raised its shedding. */
  readonly actions: readonly number[];
  /** Virtual seconds the breaker spent shedding. */
  readonly sheddingSeconds: number;
  /** Times the guard rails held back an action the probability called for. */
  readonly held: number;
}

/**
 * Plays a family's run with the early warning watching its breaker: the same service and options
 * as the static run of that seed, the breaker in a registry on the run's clock, scored once per
 * virtual second (the warning's own schedule is stopped, so the run stays deterministic).
 */
export async function playWithWarning(
  family: Family,
  seed: number,
  model: ScoringModel,
  options: EarlyWarningOptions = {},
): Promise<WarnedRun> {
  let watched: WatchedBreaker | undefined;
  let sheddingSeconds = 0;
  const outcome = await playRun(family, seed, {
    breaker: ({ clock, name, ...breakerOptions }) => {
      watched = watchedByWarning(clock, name, breakerOptions, model, options);
      return watched.breaker;
    },
    everySecond: async (now, breaker) => {
      await watched!.warning.step(now);
      if (breaker.sheddingShare > 0) sheddingSeconds++;
    },
  });
  return { ...outcome, actions: watched!.actions, sheddingSeconds, held: watched!.warning.held };
}

/** A breaker with an early warning acting on it, and the times it acted. */
export interface WatchedBreaker {
  readonly breaker: CircuitBreaker;
  /** Stopped: the caller steps it (`warning.step(now)`), so a run on virtual time stays deterministic. */
  readonly warning: EarlyWarning;
  /** Times (ms) the warning pre-opened the breaker or started or raised its shedding. */
  readonly actions: number[];
}

/**
 * A breaker in a registry of its own on `clock`, with an early warning whose own schedule is
 * stopped, and the times the warning acted on it: the one counting of actions the generator's
 * acting runs and the benchmarks share.
 */
export function watchedByWarning(
  clock: ManualClock,
  name: string,
  breakerOptions: CircuitBreakerOptions,
  model: ScoringModel,
  options: EarlyWarningOptions = {},
): WatchedBreaker {
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const breaker = registry.getOrCreate('endpoint', name, breakerOptions);
  const warning = new EarlyWarning(registry, model, options);
  warning.stop();
  const actions: number[] = [];
  let shedding = 0;
  registry.onEvent((event) => {
    if (event.event_type !== 'prediction') return;
    const detail = event.detail as { action?: string; shedding?: number } | null;
    // An action: a pre-open, or shedding started or raised (lowering it spares the service nothing).
    const share = detail?.shedding ?? 0;
    if (detail?.action === 'pre-open' || share > shedding) actions.push(event.timestamp);
    shedding = share;
  });
  return { breaker, warning, actions };
}

/** A rule baseline acting through the same early warning: its score scaled so the rule's 1 is the warning's threshold. */
export function ruleAsModel(rule: RuleBaseline, threshold: number): ScoringModel {
  return {
    featureList: CORE_FEATURES,
    score: async (rows) => {
      const rowCount = rows.length / CORE_FEATURE_COUNT;
      const scores = rule.scores({
        featureList: CORE_FEATURES,
        features: rows,
        labels: new Uint8Array(rowCount),
        rowCount,
      });
      return Float32Array.from(scores, (score) => Math.min(1, score * threshold));
    },
  };
}
