import type { RolloutRunResult } from '../rollout/run';
import type { SuiteResult } from '../suite';
import { clockTime, percentChange, textTable } from './format';
import { panelChart } from './svg';

/** Phase colours: light to dark blue as the new version's share grows, red once rolled back. */
const PHASE_COLOURS: Readonly<Record<string, string>> = {
  OFF: '#999999',
  PROBE: '#c6dbef',
  SMALL: '#6baed6',
  MEDIUM: '#2171b5',
  FULL: '#08306b',
  'rolled back': '#d64541',
};

/** Where a run ended, in words: "FULL", "rolled back", or the phase it was still in. */
function outcomeText(run: RolloutRunResult): string {
  if (run.outcome === 'full') return run.strategy === 'big-bang' ? 'FULL (switched)' : 'reached FULL';
  if (run.outcome === 'rolled back') return 'rolled back';
  return `still at ${run.finalPhase}`;
}

/** The Markdown section of one rollout scenario: each strategy against the first, then the phases. */
export function rolloutSection(suite: SuiteResult, scenario: { name: string; title: string }): string[] {
  const runs = (suite.rollouts ?? []).filter((r) => r.scenario === scenario.name);
  if (runs.length === 0) return [];
  const baseline = runs[0];
  const lines = [
    `## ${scenario.name}`,
    '',
    `${scenario.title}.`,
    '',
    `| strategy | outcome | at | success rate | vs ${baseline.strategy} | requests to new version | failed there | users on new version | share of users | exposure |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of runs) {
    const m = run.metrics;
    const share = m.users === 0 ? 0 : m.newVersion.users / m.users;
    lines.push(
      `| ${[
        run.strategy,
        outcomeText(run),
        run.outcomeAtMs === null ? '-' : clockTime(run.outcomeAtMs),
        `${(m.successRate * 100).toFixed(2)}%`,
        run === baseline ? '' : percentChange(m.successRate, baseline.metrics.successRate),
        String(m.newVersion.requests),
        String(m.newVersion.failures),
        String(m.newVersion.users),
        `${(share * 100).toFixed(2)}%`,
        clockTime(m.newVersion.exposureMs),
      ].join(' | ')} |`,
    );
  }
  lines.push('');
  for (const run of runs.filter((r) => r.phases.length > 1)) {
    lines.push(`Phases under \`${run.strategy}\`:`, '');
    for (const change of run.phases)
      lines.push(
        `- ${clockTime(change.at)} ${change.action} to ${change.phase} (${Math.round(change.weight * 100)}%): ${change.reason}`,
      );
    lines.push('');
  }
  lines.push(`![success rate and rollout phase](${scenario.name}.svg)`, '');
  return lines;
}

/** The CLI's table of the rollout runs: one row per scenario and strategy. */
export function rolloutSummary(runs: readonly RolloutRunResult[]): string {
  const header = ['scenario', 'strategy', 'outcome', 'at', 'success', 'to new version', 'users on new', 'exposure'];
  const rows = runs.map((r) => [
    r.scenario,
    r.strategy,
    outcomeText(r),
    r.outcomeAtMs === null ? '-' : clockTime(r.outcomeAtMs),
    `${(r.metrics.successRate * 100).toFixed(2)}%`,
    `${r.metrics.newVersion.requests} (${r.metrics.newVersion.failures} failed)`,
    `${r.metrics.newVersion.users} of ${r.metrics.users}`,
    clockTime(r.metrics.newVersion.exposureMs),
  ]);
  return textTable(header, rows, 3);
}

/** One rollout scenario: per strategy, the client success rate over time and the phase below it. */
export function rolloutChart(suite: SuiteResult, scenario: string): string {
  const runs = (suite.rollouts ?? []).filter((r) => r.scenario === scenario);
  const panels = runs.map((run) => {
    const strip = run.phases.map((c) => ({ at: c.at, state: c.action === 'rollback' ? 'rolled back' : c.phase }));
    // Phases named in the options rather than the defaults get the middle blue.
    const colours = Object.fromEntries(strip.map((s) => [s.state, PHASE_COLOURS[s.state] ?? PHASE_COLOURS.SMALL]));
    return {
      label: `${run.strategy} (phases: ${strip.map((s) => s.state).join(' > ')})`,
      durationMs: run.durationMs,
      incidents: [],
      timeline: run.timeline,
      strip,
      colours,
      noStrip: '',
    };
  });
  return panelChart(`${scenario}: client success rate and rollout phase (seed ${suite.seed}, ${suite.size})`, panels);
}
