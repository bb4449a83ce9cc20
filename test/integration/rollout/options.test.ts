import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { RolloutController, type RolloutOptions } from '../../../src/rollout/index';

const make = (options: unknown) => () =>
  new RolloutController({ clock: new ManualClock(0), ...(options as RolloutOptions) });

describe('bad config', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown option', { maxLatency: 5 }, /unknown option "maxLatency" \(known: name, phases, /],
    [
      'threshold above 1',
      { minTaskCompletionRate: 1.5 },
      /option "minTaskCompletionRate" must be a number from 0 to 1, got 1.5/,
    ],
    [
      'threshold as a string',
      { rollbackThreshold: '0.8' },
      /option "rollbackThreshold" must be a number from 0 to 1, got "0.8"/,
    ],
    ['NaN', { maxLatencyMs: NaN }, /option "maxLatencyMs" must be a number from 0 to 2147483647, got NaN/],
    [
      'negative latency',
      { maxP99LatencyMs: -1 },
      /option "maxP99LatencyMs" must be a number from 0 to 2147483647, got -1/,
    ],
    [
      'fractional samples',
      { minSamplesPerPhase: 2.5 },
      /option "minSamplesPerPhase" must be an integer from 1 to 1000000000, got 2.5/,
    ],
    [
      'zero samples',
      { minSamplesPerPhase: 0 },
      /option "minSamplesPerPhase" must be an integer from 1 to 1000000000, got 0/,
    ],
    [
      'window too long',
      { monitoringWindowMinutes: 2000 },
      /option "monitoringWindowMinutes" must be a number from 0.001 to 1440, got 2000/,
    ],
    [
      'zero streak',
      { consecutiveGoodEvaluations: 0 },
      /option "consecutiveGoodEvaluations" must be an integer from 1 to 1000000, got 0/,
    ],
    [
      'zero interval',
      { evaluationIntervalMs: 0 },
      /option "evaluationIntervalMs" must be a number from 1 to 2147483647, got 0/,
    ],
    [
      'retry delay too long for a timer',
      { autoRetryDelayMs: 2 ** 31 },
      /option "autoRetryDelayMs" must be a number from 0 to 2147483647, got 2147483648/,
    ],
    [
      'advancement below the SLO',
      { advancementThreshold: 0.8 },
      /option "advancementThreshold" must be a number from minTaskCompletionRate \(0.85\) to 1, got 0.8/,
    ],
    [
      'SLO below the rollback line',
      { minTaskCompletionRate: 0.7 },
      /option "minTaskCompletionRate" must be a number from rollbackThreshold \(0.8\) to 1, got 0.7/,
    ],
    [
      'empty phases',
      { phases: [] },
      /option "phases" must be a non-empty array of weights in \(0, 1\] or \{ name, weight \}, got \[\]/,
    ],
    ['phases not an array', { phases: 'PROBE' }, /option "phases" must be a non-empty array/],
    ['zero weight', { phases: [0, 1] }, /option "phases\[0\].weight" must be a number in \(0, 1\], got 0/],
    ['weight above 1', { phases: [0.5, 2] }, /option "phases\[1\].weight" must be a number in \(0, 1\], got 2/],
    [
      'shrinking phases',
      { phases: [0.2, 0.1, 1] },
      /option "phases\[1\].weight" must be greater than the previous phase's weight 0.2 \(phases only grow\), got 0.1/,
    ],
    [
      'duplicate phase names',
      {
        phases: [
          { name: 'A', weight: 0.1 },
          { name: 'A', weight: 1 },
        ],
      },
      /option "phases\[1\].name" must be a name not used before \(OFF is reserved\), got "A"/,
    ],
    [
      'phase named OFF',
      { phases: [{ name: 'OFF', weight: 0.1 }] },
      /option "phases\[0\].name" must be a name not used before \(OFF is reserved\)/,
    ],
    [
      'phase without a name',
      { phases: [{ weight: 0.1 }] },
      /option "phases\[0\].name" must be a non-empty string, got undefined/,
    ],
    [
      'comparison margin out of range',
      { compareWithOldVersion: { maxCompletionRateDrop: 2 } },
      /option "compareWithOldVersion.maxCompletionRateDrop" must be a number from 0 to 1, got 2/,
    ],
    [
      'comparison ratio below 1',
      { compareWithOldVersion: { maxLatencyRatio: 0.5 } },
      /option "compareWithOldVersion.maxLatencyRatio" must be a number from 1 to 1000, got 0.5/,
    ],
    ['comparison unknown key', { compareWithOldVersion: { ratio: 2 } }, /unknown option "compareWithOldVersion.ratio"/],
    [
      'immediateRollback not a boolean',
      { immediateRollback: 'yes' },
      /option "immediateRollback" must be a boolean, got "yes"/,
    ],
    ['empty name', { name: '' }, /option "name" must be a non-empty string, got ""/],
    ['empty state file', { stateFile: '' }, /option "stateFile" must be a non-empty file path, got ""/],
    [
      'a clock without timers',
      { clock: { now: () => 0 } },
      /option "clock" must be an object with now\(\), setTimeout\(\) and clearTimeout\(\)/,
    ],
  ];
  for (const [what, options, message] of cases) {
    it(`${what}: an error naming the option and the accepted range`, () => {
      expect(make(options)).toThrow(message);
    });
  }

  it('range errors are RangeErrors, wrong types TypeErrors', () => {
    expect(make({ minTaskCompletionRate: 1.5 })).toThrow(RangeError);
    expect(make({ minTaskCompletionRate: 'high' })).toThrow(TypeError);
    expect(make({ bogus: 1 })).toThrow(TypeError);
  });

  it('a virtual clock telling a negative time is refused', () => {
    const clock = { now: () => -5, setTimeout: () => 0, clearTimeout: () => {} };
    expect(() => new RolloutController({ clock })).toThrow(/option "clock" must tell a finite time >= 0 ms, got -5/);
  });

  it('the defaults are those of the issue', () => {
    const { options } = new RolloutController({ clock: new ManualClock(0) });
    expect(options).toMatchObject({
      phases: [
        { name: 'PROBE', weight: 0.01 },
        { name: 'SMALL', weight: 0.05 },
        { name: 'MEDIUM', weight: 0.2 },
        { name: 'FULL', weight: 1 },
      ],
      minTaskCompletionRate: 0.85,
      maxLatencyMs: 2000,
      minSamplesPerPhase: 10,
      advancementThreshold: 0.95,
      rollbackThreshold: 0.8,
      minPhaseDurationMs: 0,
      consecutiveGoodEvaluations: 1,
      compareWithOldVersion: null,
      immediateRollback: true,
      autoRetryDelayMs: 0,
    });
  });

  it('bad arguments to recordExecution are clear errors', () => {
    const rollout = make({})();
    expect(() => rollout.recordExecution('beta' as 'new', true, 1)).toThrow(
      'recordExecution(version) must be "new" or "old", got "beta"',
    );
    expect(() => rollout.recordExecution('new', 1 as unknown as boolean, 1)).toThrow(
      'recordExecution(success) must be a boolean, got 1',
    );
    // A string was shown bare: "got 5" read like a valid latency.
    expect(() => rollout.recordExecution('new', true, '5' as unknown as number)).toThrow(
      'recordExecution(latencyMs) must be a number of ms from 0 to 1073741823, got "5"',
    );
    expect(() => rollout.recordExecution('new', true, -3)).toThrow(
      'recordExecution(latencyMs) must be a number of ms from 0 to 1073741823, got -3',
    );
    // Refused by the breaker the window records in, in words that named neither the rollout nor the argument.
    expect(() => rollout.recordExecution('new', true, 1e12)).toThrow(
      'breakwater/rollout: recordExecution(latencyMs) must be a number of ms from 0 to 1073741823, got 1000000000000',
    );
  });
});
