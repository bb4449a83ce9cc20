import { describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { learningPolicy, SIMULATED_TUNER } from '../../../src/sim/learning-policies';
import { simulationTrainingData } from '../../../src/sim/scenario-training-data';
import { runScenario } from '../../../src/sim/run';
import { scenarioNamed } from '../../../src/sim/scenarios';
import type { Registry } from '../../../src/registry/registry';

describe('learning from the simulator', () => {
  it('labels each second of a closed breaker by whether it trips within the horizon, reproducibly', async () => {
    const options = {
      families: [scenarioNamed('hard-outage'), scenarioNamed('healthy')],
      seeds: [7],
      horizonMs: 10_000,
    };
    const data = await simulationTrainingData(options);
    expect(data.featureList).toBe(CORE_FEATURES);
    expect(data.features).toHaveLength(data.rowCount * CORE_FEATURE_COUNT);
    const positives = data.labels.reduce((sum, label) => sum + label, 0);
    expect(positives).toBeGreaterThan(0);
    expect(positives).toBeLessThan(data.rowCount);
    data.labels.forEach((label, i) => expect(label).toBe(data.secondsToTrip[i] <= 10 ? 1 : 0));
    // The healthy family never trips: every one of its rows is negative.
    const healthy = data.familyNames.indexOf('healthy');
    expect([...data.labels].filter((_, i) => data.family[i] === healthy).every((label) => label === 0)).toBe(true);
    const again = await simulationTrainingData(options);
    expect(again.features).toEqual(data.features);
    expect(again.labels).toEqual(data.labels);
    await expect(simulationTrainingData({ ...options, horizonMs: 0 })).rejects.toThrow(/"horizonMs"/);
    await expect(simulationTrainingData({ ...options, families: [] })).rejects.toThrow(/"families"/);
    // Bad seeds are refused before the first run, not by the run that meets one.
    let ran = 0;
    const counted = { ...options, onRun: () => ran++ };
    await expect(simulationTrainingData({ ...counted, seeds: [7, -1] })).rejects.toThrow(/"seeds".*\[7,-1\]/);
    await expect(simulationTrainingData({ ...counted, seeds: [7, 1.5] })).rejects.toThrow(/"seeds"/);
    await expect(
      simulationTrainingData({ ...counted, families: [scenarioNamed('healthy'), 'hard-outage' as never] }),
    ).rejects.toThrow(/"families" must hold families to play, got "hard-outage"/);
    expect(ran).toBe(0);
  });

  it('the adaptive policy tunes the breakers of a run on virtual time', async () => {
    let registry: Registry | undefined;
    const policy = learningPolicy('adaptive', 'test', { tuner: SIMULATED_TUNER, observe: (r) => (registry = r) });
    const result = await runScenario(scenarioNamed('hard-outage').build('quick'), policy, { seed: 3, size: 'quick' });
    expect(result.policy).toBe('adaptive');
    const tuning = registry!.recent({ event_type: 'tuning', limit: 1000 });
    expect(tuning.length).toBeGreaterThan(0);
    expect(tuning.every((event) => (event.detail as { source: string }).source === 'tuner')).toBe(true);
  });

  it('a run leaves its registry without breakers or tasks, so no tuning round runs on after it', async () => {
    let registry: Registry | undefined;
    const policy = learningPolicy('adaptive', 'test', { tuner: SIMULATED_TUNER, observe: (r) => (registry = r) });
    await runScenario(scenarioNamed('hard-outage').build('quick'), policy, { seed: 3, size: 'quick' });
    expect(registry!.size).toBe(0);
    await new Promise((resolve) => setImmediate(resolve)); // the shutdown's flush
    expect(registry!.tick()).toBe(false);
  });
});
