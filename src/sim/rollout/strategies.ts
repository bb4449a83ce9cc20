import type { SimulationClock } from '../simulation-clock';
import { RolloutController } from '../../rollout/controller';
import type { RolloutOptions } from '../../rollout/options';
import type { RolloutVersion } from '../../rollout/version-window';

/** What a rollout strategy is told about the simulated run it routes. */
export interface RolloutContext {
  /** The run's virtual clock: a controller must run on it. */
  readonly clock: SimulationClock;
  /** Names the rollout in events. */
  readonly name: string;
  /** Seeds the user split, so each run seed picks its own users for the first phases. */
  readonly seed: string;
}

/** A change of the share of users on the new version, on virtual time. */
export interface PhaseChange {
  readonly at: number;
  /** The phase entered: OFF, PROBE, ..., FULL. */
  readonly phase: string;
  /** Share of users on the new version from then on, 0..1. */
  readonly weight: number;
  /** What caused it: `switch` (big-bang), or the controller's action (advance, rollback, ...). */
  readonly action: string;
  readonly reason: string;
}

/** One run's routing: which version serves each request, and what it learns from the answers. */
export interface VersionRouter {
  /** Whether this user's request goes to the new version. */
  useNew(userId: string): boolean;
  /** The outcome of a request on the version that served it. */
  record(version: RolloutVersion, success: boolean, latencyMs: number): void;
  /** Every change of the split so far, oldest first; the first is at the start of the run. */
  readonly changes: readonly PhaseChange[];
  /** Stops timers and frees what the router holds. */
  dispose(): void;
}

/**
 * A way of putting a new version in front of users: the rollout scenarios' counterpart of a
 * breaker Policy. A new strategy (a canary with a fixed share, blue-green) is a new object here.
 */
export interface RolloutStrategy {
  /** A short identifier, used in reports. */
  readonly name: string;
  /** One line for reports. */
  readonly description: string;
  router(context: RolloutContext): VersionRouter;
}

/**
 * The controller's settings in the simulator: judged over a 2-minute window, at least 50 calls and
 * 3 minutes per phase, three good evaluations (one every 30 s) in a row before advancing, as
 * Argo Rollouts' and Flagger's canary analyses do. At 50 requests/s the 1% probe gathers its 50
 * calls in about 100 s, so a good version reaches FULL in about 10 minutes: within a quick run.
 */
export const SIMULATED_ROLLOUT_OPTIONS: Readonly<RolloutOptions> = Object.freeze({
  monitoringWindowMinutes: 2,
  minSamplesPerPhase: 50,
  minPhaseDurationMs: 3 * 60_000,
  consecutiveGoodEvaluations: 3,
  evaluationIntervalMs: 30_000,
});

/** All users on the new version at t0, nothing watching: what a rollout is compared with. */
export const bigBang: RolloutStrategy = {
  name: 'big-bang',
  description: 'every user on the new version at t0, no watchdog',
  router: () => ({
    useNew: () => true,
    record: () => undefined,
    changes: [{ at: 0, phase: 'FULL', weight: 1, action: 'switch', reason: 'all traffic on the new version at t0' }],
    dispose: () => undefined,
  }),
};

/** The real RolloutController on the run's clock, started at t0 (OFF -> PROBE at once). */
export const progressiveRollout: RolloutStrategy = {
  name: 'progressive',
  description: 'RolloutController: 1% -> 5% -> 20% -> 100%, 3 min and 3 good evaluations per phase, rollback at once',
  router(context) {
    const controller = new RolloutController({
      ...SIMULATED_ROLLOUT_OPTIONS,
      name: context.name,
      seed: context.seed,
      clock: context.clock,
    });
    const changes: PhaseChange[] = [];
    controller.on('transition', (t) =>
      changes.push({ at: t.at, phase: t.to, weight: controller.phase.weight, action: t.action, reason: t.reason }),
    );
    // The rollout starts with the run (OFF -> PROBE, the first change) rather than at the first
    // scheduled evaluation.
    controller.evaluateAndDecide();
    controller.start();
    return {
      useNew: (userId) => controller.shouldUseNewVersion(userId),
      record: (version, success, latencyMs) => controller.recordExecution(version, success, latencyMs),
      changes,
      dispose: () => controller.dispose(),
    };
  },
};

/** The strategies every rollout scenario runs under, baseline first. */
export const ROLLOUT_STRATEGIES: readonly RolloutStrategy[] = [bigBang, progressiveRollout];
