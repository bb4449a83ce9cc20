import { describe, expect, it } from 'vitest';
import { findRegressions } from '../../../src/sim/index';
import type { RunMetrics, RunResult, SuiteResult } from '../../../src/sim/index';

const metrics = (overrides: Partial<RunMetrics>): RunMetrics => ({
  requests: 1000,
  successRate: 0.9,
  recoveryTimeMs: 10_000,
  incidents: 1,
  recovered: 1,
  recoverySuccessRate: 0.5,
  probeRounds: 4,
  wastedCalls: 100,
  rejections: 50,
  falseRejections: 20,
  sickLoadPerSecond: 5,
  sickUtilisation: 0.2,
  cascades: null,
  cascadesPrevented: null,
  ...overrides,
});

const suite = (runMetrics: RunMetrics): SuiteResult => ({
  kind: 'breakwater.scenarios',
  version: 1,
  seed: 1,
  size: 'quick',
  policies: ['static'],
  scenarios: [{ name: 's', title: 's' }],
  runs: [{ scenario: 's', policy: 'static', metrics: runMetrics } as RunResult],
});

describe('findRegressions (the --compare-with tolerances)', () => {
  it('tolerates changes within each measure tolerance, in both directions', () => {
    const before = suite(metrics({}));
    const after = suite(
      metrics({
        successRate: 0.891,
        recoveryTimeMs: 11_900,
        wastedCalls: 110,
        falseRejections: 30,
        sickLoadPerSecond: 5.5,
        recoverySuccessRate: 0.41,
      }),
    );
    expect(findRegressions(before, after)).toEqual([]);
    expect(findRegressions(after, before)).toEqual([]);
  });

  it('flags a change beyond both bounds of a tolerance', () => {
    const before = suite(metrics({}));
    const after = suite(
      metrics({ successRate: 0.88, recoveryTimeMs: 12_100, wastedCalls: 111, sickLoadPerSecond: 5.6 }),
    );
    expect(findRegressions(before, after).map((r) => r.measure)).toEqual([
      'success rate',
      'recovery time',
      'wasted calls',
      'load on sick service (req/s)',
    ]);
  });

  it('a recovery lost is a regression; one gained is not', () => {
    const recovered = suite(metrics({}));
    const lost = suite(metrics({ recoveryTimeMs: null, recovered: 0 }));
    expect(findRegressions(recovered, lost)).toMatchObject([{ measure: 'recovery time', before: 10_000, after: null }]);
    expect(findRegressions(lost, recovered)).toEqual([]);
  });

  it('any extra cascade is a regression', () => {
    expect(findRegressions(suite(metrics({ cascades: 0 })), suite(metrics({ cascades: 1 })))).toMatchObject([
      { measure: 'cascades' },
    ]);
  });
});
