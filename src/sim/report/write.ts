import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolder } from '../../fs/make-folder';
import type { SuiteResult } from '../suite';
import { markdownReport, type ReportContext } from './markdown';
import { poolChart } from './pool-report';
import { rolloutChart } from './rollout-report';
import { recoveryChart, scenarioChart } from './svg';

/** The chart of a scenario of any kind. */
function chartOf(suite: SuiteResult, scenario: SuiteResult['scenarios'][number]): string {
  if (scenario.kind === 'rollout') return rolloutChart(suite, scenario.name);
  if (scenario.kind === 'pool') return poolChart(suite, scenario.name);
  return scenarioChart(suite, scenario.name);
}

/** Writes scenarios.json, scenarios.md, one SVG per scenario and (with breaker scenarios) recovery-time.svg into dir; returns the paths. */
export function writeReport(suite: SuiteResult, dir: string, context: ReportContext): string[] {
  makeFolder(dir);
  const files: Array<[string, string]> = [
    ['scenarios.json', `${JSON.stringify({ ...suite, report: context }, null, 1)}\n`],
    ['scenarios.md', markdownReport(suite, context)],
    ...suite.scenarios.map((s): [string, string] => [`${s.name}.svg`, chartOf(suite, s)]),
    ...(suite.runs.length > 0 ? [['recovery-time.svg', recoveryChart(suite)] as [string, string]] : []),
  ];
  return files.map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
}
