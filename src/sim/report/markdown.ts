import type { RunResult } from '../result';
import { runCount, type SuiteResult } from '../suite';
import { MEASURES, improvement, type Measure } from './measures';
import { poolSection, poolSummary } from './pool-report';
import { rolloutSection, rolloutSummary } from './rollout-report';

/** How the report was made, printed above the tables. */
export interface ReportContext {
  /** The command line that produced it. */
  command: string;
  /** Wall-clock seconds the suite took. */
  elapsedSeconds: number;
  /** e.g. the date, CPU and Node version. */
  environment: string;
}

/** A value in a table cell: '-' when not applicable, 'never' for a recovery that did not happen. */
function cell(measure: Measure, run: RunResult): string {
  const value = run.metrics[measure.key] as number | null;
  if (value !== null) return measure.format(value);
  if (measure.key === 'recoveryTimeMs' && run.metrics.incidents > 0)
    return `never (${run.metrics.recovered}/${run.metrics.incidents})`;
  return '-';
}

function change(measure: Measure, run: RunResult, baseline: RunResult): string {
  const value = run.metrics[measure.key] as number | null;
  const base = baseline.metrics[measure.key] as number | null;
  if (measure.key === 'recoveryTimeMs' && base === null && value !== null && baseline.metrics.incidents > 0)
    return 'recovers (baseline never)';
  if (measure.key === 'recoveryTimeMs' && value === null && base !== null && run.metrics.incidents > 0)
    return 'never recovers';
  const percent = improvement(measure, value, base);
  if (percent === null) return value === base || value === null ? '' : 'n/a';
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(1)}%`;
}

/** The measures that say something in this scenario (cascades only in the fan-out). */
function measuresFor(runs: readonly RunResult[]): Measure[] {
  return MEASURES.filter((m) => runs.some((r) => r.metrics[m.key] !== null));
}

/** One table per scenario: each policy against the baseline (the first), with the improvement in %. */
export function markdownReport(suite: SuiteResult, context: ReportContext): string {
  const baselineName = suite.policies[0];
  const lines: string[] = [
    '# Scenario benchmark: what a breaker buys',
    '',
    `\`${context.command}\`: seed ${suite.seed}, ${suite.size} runs, ${runCount(suite)} runs in ${context.elapsedSeconds.toFixed(1)} s (${context.environment}).`,
    '',
    `Each policy against \`${baselineName}\`; "vs ${baselineName}" is the improvement in % (positive = better). Definitions in docs/chaos.md.`,
    '',
  ];
  if (suite.rollouts !== undefined || suite.pools !== undefined) {
    lines.push(
      'Rollout scenarios compare the progressive rollout with a big-bang switch; pool scenarios compare the worker pool without and with recovery.',
      '',
    );
  }
  for (const scenario of suite.scenarios) {
    if (scenario.kind === 'rollout') {
      lines.push(...rolloutSection(suite, scenario));
      continue;
    }
    if (scenario.kind === 'pool') {
      lines.push(...poolSection(suite, scenario));
      continue;
    }
    const runs = suite.runs.filter((r) => r.scenario === scenario.name);
    const baseline = runs.find((r) => r.policy === baselineName);
    if (baseline === undefined) continue;
    const measures = measuresFor(runs);
    lines.push(`## ${scenario.name}`, '', scenario.title, '');
    const header = ['policy'];
    for (const m of measures) header.push(...(m.compared ? [m.label, `vs ${baselineName}`] : [m.label]));
    if (runs.some((r) => r.metrics.cascadesPrevented !== null)) header.push('cascades prevented');
    lines.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const run of runs) {
      const row = [run.policy];
      for (const m of measures) {
        row.push(cell(m, run));
        if (m.compared) row.push(run === baseline ? '' : change(m, run, baseline));
      }
      if (run.metrics.cascadesPrevented !== null)
        row.push(run === baseline ? '' : String(run.metrics.cascadesPrevented));
      lines.push(`| ${row.join(' | ')} |`);
    }
    lines.push('', `![success rate and circuit state](${scenario.name}.svg)`, '');
  }
  if (suite.runs.length > 0) lines.push('## Recovery time per policy', '', '![recovery time](recovery-time.svg)', '');
  return lines.join('\n');
}

/**
 * The compact tables printed by the CLI: one row per breaker scenario and policy, then (when they
 * ran) one per rollout scenario and strategy and one per pool scenario and strategy.
 */
export function summaryTable(suite: SuiteResult): string {
  const tables: string[] = [];
  if (suite.runs.length > 0 || (suite.rollouts === undefined && suite.pools === undefined))
    tables.push(breakerSummary(suite));
  if (suite.rollouts !== undefined) tables.push(rolloutSummary(suite.rollouts));
  if (suite.pools !== undefined) tables.push(poolSummary(suite.pools));
  return tables.join('\n\n');
}

function breakerSummary(suite: SuiteResult): string {
  const header = [
    'scenario',
    'policy',
    'success',
    'recovery',
    'probes closing',
    'wasted',
    'sick load/s',
    'false rej.',
    'cascades (prevented)',
  ];
  const rows = suite.runs.map((r) => {
    const m = r.metrics;
    return [
      r.scenario,
      r.policy,
      `${(m.successRate * 100).toFixed(2)}%`,
      m.recoveryTimeMs !== null
        ? `${(m.recoveryTimeMs / 1000).toFixed(1)} s`
        : m.incidents > 0
          ? `never (${m.recovered}/${m.incidents})`
          : '-',
      m.recoverySuccessRate !== null ? `${(m.recoverySuccessRate * 100).toFixed(0)}% of ${m.probeRounds}` : '-',
      String(m.wastedCalls),
      m.sickLoadPerSecond.toFixed(1),
      String(m.falseRejections),
      m.cascades === null ? '-' : `${m.cascades} (${m.cascadesPrevented ?? 0})`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
