import { describe, expect, it } from 'vitest';
import { RolloutController } from '../../../src/rollout/controller';
import {
  ROLLOUT_STRATEGIES,
  SIMULATED_ROLLOUT_OPTIONS,
  SimulationClock,
  bigBang,
  progressiveRollout,
  runRollout,
  simulationNamed,
  type RolloutRunResult,
  type RolloutScenario,
  type RolloutScenarioDefinition,
} from '../../../src/sim/index';

const rolloutScenario = (name: string) => (simulationNamed(name) as RolloutScenarioDefinition).build('quick');

/** Both strategies on one scenario, quick, seed 1. */
async function both(name: string): Promise<Record<string, RolloutRunResult>> {
  const scenario = rolloutScenario(name);
  const runs: Record<string, RolloutRunResult> = {};
  for (const strategy of ROLLOUT_STRATEGIES)
    runs[strategy.name] = await runRollout(scenario, strategy, { seed: 1, size: 'quick' });
  return runs;
}

describe('rollout scenarios: a good version', () => {
  it('the progressive rollout walks PROBE, SMALL, MEDIUM to FULL within the quick run, no phase shorter than the minimum', async () => {
    const { progressive, 'big-bang': switched } = await both('rollout-good');
    expect(progressive.outcome).toBe('full');
    expect(progressive.phases.map((p) => p.phase)).toEqual(['PROBE', 'SMALL', 'MEDIUM', 'FULL']);
    expect(progressive.phases.map((p) => p.weight)).toEqual([0.01, 0.05, 0.2, 1]);
    for (let i = 1; i < progressive.phases.length; i++) {
      expect(progressive.phases[i].at - progressive.phases[i - 1].at).toBeGreaterThanOrEqual(
        SIMULATED_ROLLOUT_OPTIONS.minPhaseDurationMs!,
      );
    }
    expect(progressive.outcomeAtMs).toBe(progressive.phases[3].at);
    expect(progressive.outcomeAtMs!).toBeLessThan(progressive.durationMs);
    expect(progressive.metrics.successRate).toBe(1);
    // The big-bang switch puts every user on the new version at once; the rollout only part of them.
    expect(switched.outcomeAtMs).toBe(0);
    expect(switched.metrics.newVersion.users).toBe(switched.metrics.users);
    expect(progressive.metrics.newVersion.users).toBeLessThan(switched.metrics.users);
  });
});

describe('rollout scenarios: a bad version', () => {
  it('is rolled back by the controller in the probe phase, having reached a few dozen users; big-bang serves it to everyone', async () => {
    const { progressive, 'big-bang': switched } = await both('rollout-bad');
    expect(progressive.outcome).toBe('rolled back');
    expect(progressive.finalPhase).toBe('OFF');
    expect(progressive.phases.map((p) => `${p.action}:${p.phase}`)).toEqual(['advance:PROBE', 'rollback:OFF']);
    expect(progressive.phases[1].reason).toMatch(/rollbackThreshold 0\.8/);
    // The reason is the controller's own: the early-rollback rule over minSamplesPerPhase calls.
    expect(progressive.phases[1].reason).toMatch(/over 50 calls/);
    const { newVersion, users } = progressive.metrics;
    expect(newVersion.users).toBeGreaterThan(0);
    expect(newVersion.users / users).toBeLessThan(0.01);
    expect(newVersion.failures).toBeGreaterThanOrEqual(11);
    expect(newVersion.exposureMs).toBeLessThanOrEqual(progressive.outcomeAtMs!);
    expect(switched.outcome).toBe('full');
    expect(switched.metrics.newVersion.users).toBe(switched.metrics.users);
    expect(switched.metrics.successRate).toBeLessThan(0.7);
    expect(progressive.metrics.successRate).toBeGreaterThan(0.99);
  });
});

describe('rollout simulation', () => {
  it('is deterministic per seed, and another seed sends other users to the new version', async () => {
    const scenario = rolloutScenario('rollout-bad');
    const a = await runRollout(scenario, progressiveRollout, { seed: 4, size: 'quick' });
    const b = await runRollout(scenario, progressiveRollout, { seed: 4, size: 'quick' });
    const c = await runRollout(scenario, progressiveRollout, { seed: 5, size: 'quick' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('the progressive strategy is the real RolloutController on the simulation clock, sticky per user', () => {
    const clock = new SimulationClock(0);
    const router = progressiveRollout.router({ clock, name: 'r', seed: 's' });
    const twin = new RolloutController({ ...SIMULATED_ROLLOUT_OPTIONS, name: 'r', seed: 's', clock });
    twin.evaluateAndDecide();
    const ids = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    // Same seed, same phase: the same users, as any process running the controller would pick.
    expect(ids.map((id) => router.useNew(id))).toEqual(ids.map((id) => twin.shouldUseNewVersion(id)));
    expect(router.changes).toEqual([
      {
        at: 0,
        phase: 'PROBE',
        weight: 0.01,
        action: 'advance',
        reason: 'rollout started: OFF has no new-version traffic to judge',
      },
    ]);
    router.dispose();
    twin.dispose();
  });

  it('a scenario of its own: a version that is only slower passes when within maxLatencyMs', async () => {
    const scenario: RolloutScenario = {
      ...rolloutScenario('rollout-good'),
      name: 'slower',
      newVersion: { name: 'v2-slow', capacity: 40, latencyMs: 400 },
    };
    const run = await runRollout(scenario, progressiveRollout, { seed: 2, size: 'quick' });
    expect(run.outcome).toBe('full');
    expect((await runRollout(scenario, bigBang, { seed: 2, size: 'quick' })).outcome).toBe('full');
  });

  it('a strategy that reports no split is an error naming it', async () => {
    const silent = {
      name: 'silent',
      description: 'never says where users go',
      router: () => ({ useNew: () => false, record: () => undefined, changes: [], dispose: () => undefined }),
    };
    const scenario = { ...rolloutScenario('rollout-good'), durationMs: 10_000 };
    await expect(runRollout(scenario, silent, { seed: 1, size: 'quick' })).rejects.toThrow(
      /rollout strategy "silent" reported no phase change/,
    );
  });
});
