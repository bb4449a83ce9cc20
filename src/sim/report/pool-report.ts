import type { PoolRunResult } from '../pool/run';
import { LADDER } from '../../recovery/steps';
import type { SuiteResult } from '../suite';
import { clockTime, percentChange, textTable } from './format';
import { CIRCUIT_COLOURS, panelChart } from './svg';

const percent = (value: number, digits = 1) => `${(value * 100).toFixed(digits)}%`;
const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** When every task completed, or "never (completed/tasks)". */
function completionTime(run: PoolRunResult): string {
  const m = run.metrics;
  return m.timeToCompletionMs === null ? `never (${m.completed}/${m.tasks})` : clockTime(m.timeToCompletionMs);
}

/** The ladder's actions that happened, e.g. "switch-worker 7, reduce 4"; "none" without any. */
function actionsText(run: PoolRunResult): string {
  const used = LADDER.filter((step) => run.metrics.actions[step] > 0).map(
    (step) => `${step} ${run.metrics.actions[step]}`,
  );
  return used.length === 0 ? 'none' : used.join(', ');
}

/** The Markdown section of one pool scenario: each strategy against the first, then each fault's tasks. */
export function poolSection(suite: SuiteResult, scenario: { name: string; title: string }): string[] {
  const runs = (suite.pools ?? []).filter((r) => r.scenario === scenario.name);
  if (runs.length === 0) return [];
  const baseline = runs[0];
  const lines = [
    `## ${scenario.name}`,
    '',
    `${scenario.title}.`,
    '',
    `| strategy | completion rate | vs ${baseline.strategy} | all tasks done at | mean task time | work lost (items) | share of the work | abandoned in checkpoints | escalated | refused (no target) | ladder actions |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const run of runs) {
    const m = run.metrics;
    lines.push(
      `| ${[
        run.strategy,
        `${percent(m.completionRate, 2)} (${m.completed}/${m.tasks})`,
        run === baseline ? '' : percentChange(m.completionRate, baseline.metrics.completionRate),
        completionTime(run),
        seconds(m.meanTaskMs),
        String(m.workLostItems),
        percent(m.workLostShare, 2),
        String(m.abandonedItems),
        String(m.escalated),
        String(m.unavailable),
        actionsText(run),
      ].join(' | ')} |`,
    );
  }
  lines.push('', 'Tasks one of whose attempts each fault failed, and how many of them still completed:', '');
  lines.push(
    `| fault | from | to | ${runs.map((r) => `${r.strategy}: completed / hit`).join(' | ')} |`,
    `|---|---:|---:|${runs.map(() => '---:').join('|')}|`,
  );
  baseline.incidents.forEach((incident, i) => {
    const cells = runs.map((r) => {
      const { tasksHit, completedAfterHit } = r.incidents[i];
      return tasksHit === 0
        ? '0 / 0'
        : `${completedAfterHit} / ${tasksHit} (${percent(completedAfterHit / tasksHit, 0)})`;
    });
    lines.push(
      `| ${incident.label} | ${clockTime(incident.start)} | ${clockTime(incident.end)} | ${cells.join(' | ')} |`,
    );
  });
  lines.push('', `![task completion rate and the hardware class circuit](${scenario.name}.svg)`, '');
  return lines;
}

/** The CLI's table of the pool runs: one row per scenario and strategy. */
export function poolSummary(runs: readonly PoolRunResult[]): string {
  const header = [
    'scenario',
    'strategy',
    'completion',
    'all done at',
    'mean task',
    'work lost',
    'escalated',
    'refused',
  ];
  const rows = runs.map((r) => [
    r.scenario,
    r.strategy,
    `${percent(r.metrics.completionRate, 2)} (${r.metrics.completed}/${r.metrics.tasks})`,
    completionTime(r),
    seconds(r.metrics.meanTaskMs),
    `${r.metrics.workLostItems} items (${percent(r.metrics.workLostShare, 2)})`,
    String(r.metrics.escalated),
    String(r.metrics.unavailable),
  ]);
  return textTable(header, rows, 2);
}

/**
 * One pool scenario: per strategy, the task completion rate over time and the watched hardware
 * class's circuit. Faults are shaded over their window; a worker's death, which lasts to the end,
 * is a thin band at its moment so that it does not hide the faults after it.
 */
export function poolChart(suite: SuiteResult, scenario: string): string {
  const runs = (suite.pools ?? []).filter((r) => r.scenario === scenario);
  const panels = runs.map((run) => ({
    label: run.strategy,
    durationMs: run.durationMs,
    incidents: run.incidents.map((i) => {
      const end = i.fault === 'worker-dies' ? Math.min(i.end, i.start + run.durationMs / 200) : i.end;
      return { start: i.start, end, healedAt: end };
    }),
    timeline: run.timeline,
    strip: run.states,
    colours: CIRCUIT_COLOURS,
    noStrip: 'no circuit',
  }));
  return panelChart(
    `${scenario}: task completion rate and hardware class circuit (seed ${suite.seed}, ${suite.size})`,
    panels,
  );
}
