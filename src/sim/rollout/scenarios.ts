import type { RolloutScenario } from './run';
import type { RolloutScenarioDefinition, RunSize } from '../scenario';
import type { ServiceSpec } from '../service';

const MINUTE = 60_000;
/** Quick runs play a quarter of the timeline; the controller's timings stay (a good version still reaches FULL). */
const SCALE: Record<RunSize, number> = { quick: 0.25, full: 1 };

/** The version in production: 40 workers, 120 ms, no errors. */
const V1: ServiceSpec = { name: 'v1', capacity: 40, latencyMs: 120 };

/**
 * One endpoint in front of v1 and a new version, 50 requests/s from 20,000 users (seeded), a 1 s
 * timeout. `newVersion` gets the run's duration, for faults that last the whole run.
 */
function rollout(
  name: string,
  title: string,
  expected: RolloutScenario['expected'],
  newVersion: (durationMs: number) => ServiceSpec,
): RolloutScenarioDefinition {
  return {
    kind: 'rollout',
    name,
    title,
    build(size: RunSize): RolloutScenario {
      const durationMs = Math.round(60 * MINUTE * SCALE[size]);
      return {
        name,
        title,
        durationMs,
        users: 20_000,
        ratePerSecond: 50,
        concurrency: 200,
        timeoutMs: 1_000,
        oldVersion: V1,
        newVersion: newVersion(durationMs),
        expected,
      };
    },
  };
}

export const rolloutGood = rollout(
  'rollout-good',
  'rollout of a good version: v2 (90 ms, no errors) replaces v1 (120 ms); should reach FULL',
  'full',
  () => ({
    name: 'v2',
    capacity: 40,
    latencyMs: 90,
  }),
);

export const rolloutBad = rollout(
  'rollout-bad',
  'rollout of a bad version: v3 fails 40% of calls (150 ms); should be rolled back',
  'rolled back',
  (durationMs) => ({
    name: 'v3',
    capacity: 40,
    latencyMs: 150,
    faults: [{ type: 'reject', intensity: 'moderate', from: 0, to: durationMs }],
  }),
);

/** The rollout scenarios, in report order. */
export const ROLLOUT_SCENARIOS: readonly RolloutScenarioDefinition[] = [rolloutGood, rolloutBad];
