import type { SuiteResult } from '../suite';
import type { Regression } from './regression';

/** A measure of a rollout or pool run: how to read it, which way is better, what change is tolerated. */
interface RunMeasure<R> {
  readonly label: string;
  /** The value, or null when the run did not reach it (a lost value is always a regression). */
  read(run: R): number | null;
  /** Whether the measure applies to this run at all. */
  applies?(run: R): boolean;
  readonly better: 'higher' | 'lower';
  readonly absolute: number;
  readonly relative: number;
  readonly tolerance: string;
}

type RolloutRun = NonNullable<SuiteResult['rollouts']>[number];
type PoolRun = NonNullable<SuiteResult['pools']>[number];

/**
 * Rollout runs: success rate 1 point; the time to the expected outcome (FULL for a good version,
 * the rollback for a bad one) 10% and 2 s, and never reaching it is a regression; users on a bad
 * version 10% and 10.
 */
const ROLLOUT_MEASURES: ReadonlyArray<RunMeasure<RolloutRun>> = [
  {
    label: 'success rate',
    read: (r) => r.metrics.successRate,
    better: 'higher',
    absolute: 0.01,
    relative: 0,
    tolerance: '1 points',
  },
  {
    label: 'time to expected outcome',
    read: (r) => (r.outcome === r.expected ? r.outcomeAtMs : null),
    better: 'lower',
    absolute: 2_000,
    relative: 0.1,
    tolerance: '10% or 2000',
  },
  {
    label: 'users on the bad version',
    read: (r) => r.metrics.newVersion.users,
    applies: (r) => r.expected === 'rolled back',
    better: 'lower',
    absolute: 10,
    relative: 0.1,
    tolerance: '10% or 10',
  },
];

/** Pool runs: completion rate 1 point; time to complete every task 10% and 2 s (never completing is a regression); work lost 10% and 50 items. */
const POOL_MEASURES: ReadonlyArray<RunMeasure<PoolRun>> = [
  {
    label: 'completion rate',
    read: (r) => r.metrics.completionRate,
    better: 'higher',
    absolute: 0.01,
    relative: 0,
    tolerance: '1 points',
  },
  {
    label: 'time to completion',
    read: (r) => r.metrics.timeToCompletionMs,
    better: 'lower',
    absolute: 2_000,
    relative: 0.1,
    tolerance: '10% or 2000',
  },
  {
    label: 'work lost (items)',
    read: (r) => r.metrics.workLostItems,
    better: 'lower',
    absolute: 50,
    relative: 0.1,
    tolerance: '10% or 50',
  },
];

function worse<R>(measure: RunMeasure<R>, before: number | null, after: number | null): boolean {
  if (before !== null && after === null) return true;
  if (before === null || after === null) return false;
  const change = measure.better === 'higher' ? before - after : after - before;
  return change > measure.absolute && change > Math.abs(before) * measure.relative;
}

function compareRuns<R extends { scenario: string; strategy: string }>(
  before: readonly R[],
  after: readonly R[],
  measures: ReadonlyArray<RunMeasure<R>>,
): Regression[] {
  const regressions: Regression[] = [];
  for (const run of after) {
    const old = before.find((r) => r.scenario === run.scenario && r.strategy === run.strategy);
    if (old === undefined) continue;
    for (const measure of measures) {
      if (measure.applies !== undefined && !measure.applies(run)) continue;
      const a = measure.read(old);
      const b = measure.read(run);
      if (worse(measure, a, b))
        regressions.push({
          scenario: run.scenario,
          policy: run.strategy,
          measure: measure.label,
          before: a,
          after: b,
          tolerance: measure.tolerance,
        });
    }
  }
  return regressions;
}

/** The rollout and pool runs of `after` that got worse than `before` beyond their tolerance (matched by scenario and strategy). */
export function findExperimentRegressions(before: SuiteResult, after: SuiteResult): Regression[] {
  return [
    ...compareRuns(before.rollouts ?? [], after.rollouts ?? [], ROLLOUT_MEASURES),
    ...compareRuns(before.pools ?? [], after.pools ?? [], POOL_MEASURES),
  ];
}
