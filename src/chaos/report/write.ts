import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiteResult } from '../sim/suite';
import { markdownReport, type ReportContext } from './markdown';
import { recoveryChart, scenarioChart } from './svg';

/** Writes scenarios.json, scenarios.md, one SVG per scenario and recovery-time.svg into dir; returns the paths. */
export function writeReport(suite: SuiteResult, dir: string, context: ReportContext): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['scenarios.json', `${JSON.stringify({ ...suite, report: context }, null, 1)}\n`],
    ['scenarios.md', markdownReport(suite, context)],
    ...suite.scenarios.map((s): [string, string] => [`${s.name}.svg`, scenarioChart(suite, s.name)]),
    ['recovery-time.svg', recoveryChart(suite)],
  ];
  return files.map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
}
