import type { RunResult } from '../result';
import type { SuiteResult } from '../suite';
import { findExperimentRegressions } from './experiment-compare';
import { MEASURES, type Measure } from './measures';
import type { Regression } from './regression';

export type { Regression } from './regression';

/** Checks that a parsed JSON file is a suite result; the error names the file. */
export function checkSuiteFile(value: unknown, file: string): SuiteResult {
  const suite = value as SuiteResult;
  if (
    suite === null ||
    typeof suite !== 'object' ||
    suite.kind !== 'breakwater.scenarios' ||
    !Array.isArray(suite.runs)
  ) {
    throw new TypeError(
      `breakwater/chaos: ${file} is not a scenario result (expected the JSON written by \`breakwater simulate\`, with kind "breakwater.scenarios")`,
    );
  }
  if (suite.version !== 1)
    throw new TypeError(
      `breakwater/chaos: ${file} has result version ${String(suite.version)}; this breakwater reads version 1`,
    );
  return suite;
}

function describe(measure: Measure): string {
  const { absolute, relative } = measure.tolerance;
  if (measure.key === 'successRate' || measure.key === 'recoverySuccessRate') return `${absolute * 100} points`;
  return relative > 0 ? `${relative * 100}% or ${absolute}` : `${absolute}`;
}

/** Whether moving from before to after is worse than the measure tolerates. A recovery lost is always a regression. */
function regressed(measure: Measure, before: number | null, after: number | null, run: RunResult): boolean {
  if (measure.key === 'recoveryTimeMs' && before !== null && after === null && run.metrics.incidents > 0) return true;
  if (before === null || after === null) return false;
  const worse = measure.better === 'higher' ? before - after : after - before;
  return worse > measure.tolerance.absolute && worse > Math.abs(before) * measure.tolerance.relative;
}

/**
 * Compares a suite with an earlier one, run by run (matched by scenario and policy, or strategy
 * for rollout and pool runs; runs in only one of them are skipped): the measures that got worse
 * beyond their tolerance.
 */
export function findRegressions(before: SuiteResult, after: SuiteResult): Regression[] {
  const regressions: Regression[] = [];
  for (const run of after.runs) {
    const old = before.runs.find((r) => r.scenario === run.scenario && r.policy === run.policy);
    if (old === undefined) continue;
    for (const measure of MEASURES) {
      const a = old.metrics[measure.key] as number | null;
      const b = run.metrics[measure.key] as number | null;
      if (regressed(measure, a, b, run)) {
        regressions.push({
          scenario: run.scenario,
          policy: run.policy,
          measure: measure.label,
          before: a,
          after: b,
          tolerance: describe(measure),
        });
      }
    }
  }
  return [...regressions, ...findExperimentRegressions(before, after)];
}
