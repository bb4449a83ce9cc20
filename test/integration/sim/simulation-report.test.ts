import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summaryTable } from '../../../src/sim/report/markdown';
import {
  ALL_SCENARIOS,
  POOL_SCENARIOS,
  ROLLOUT_SCENARIOS,
  SCENARIOS,
  findRegressions,
  runCount,
  runSuite,
  scenarioNamed,
  simulationNamed,
  writeReport,
  type SuiteResult,
} from '../../../src/sim/index';

let suite: SuiteResult;
let dir: string;
const progress: Array<[number, string, string]> = [];

beforeAll(async () => {
  suite = await runSuite({
    seed: 1,
    size: 'quick',
    scenarios: [simulationNamed('rollout-bad'), simulationNamed('pool-failover')],
    onProgress: (done, scenario, name) => progress.push([done, scenario, name]),
  });
  dir = mkdtempSync(join(tmpdir(), 'breakwater-experiments-'));
  writeReport(suite, dir, { command: 'test', elapsedSeconds: 1, environment: 'test' });
});

describe('runSuite with rollout and pool scenarios', () => {
  it('runs each under its own strategies, baseline first, and marks their kind', () => {
    expect(suite.runs).toEqual([]);
    expect(suite.rollouts!.map((r) => `${r.scenario}/${r.strategy}`)).toEqual([
      'rollout-bad/big-bang',
      'rollout-bad/progressive',
    ]);
    expect(suite.pools!.map((r) => `${r.scenario}/${r.strategy}`)).toEqual([
      'pool-failover/no-recovery',
      'pool-failover/recovery',
    ]);
    expect(suite.scenarios.map((s) => s.kind)).toEqual(['rollout', 'pool']);
    expect(runCount(suite)).toBe(4);
    // Each run starts at its share of the four, and the shares only grow.
    for (const start of [
      [0, 'rollout-bad', 'big-bang'],
      [0.25, 'rollout-bad', 'progressive'],
      [0.5, 'pool-failover', 'no-recovery'],
      [0.75, 'pool-failover', 'recovery'],
    ])
      expect(progress).toContainEqual(start);
    expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual([1, '', '']);
  });

  it('a suite of breaker scenarios only has the JSON shape it always had (no rollouts, no pools, no kind)', async () => {
    const breaker = await runSuite({ seed: 1, size: 'quick', scenarios: [scenarioNamed('healthy')] });
    expect(Object.keys(breaker)).toEqual(['kind', 'version', 'seed', 'size', 'policies', 'scenarios', 'runs']);
    expect(breaker.scenarios).toEqual([{ name: 'healthy', title: 'healthy baseline: no fault' }]);
  });

  it('ALL_SCENARIOS is the breaker scenarios, then the rollout and pool ones; SCENARIOS stays the breaker ones', () => {
    expect(ALL_SCENARIOS.map((s) => s.name)).toEqual(
      [...SCENARIOS, ...ROLLOUT_SCENARIOS, ...POOL_SCENARIOS].map((s) => s.name),
    );
    expect(ALL_SCENARIOS.slice(-3).map((s) => s.name)).toEqual(['rollout-good', 'rollout-bad', 'pool-failover']);
    expect(SCENARIOS.every((s) => !('kind' in s))).toBe(true);
    expect(() => simulationNamed('meteor')).toThrow(
      /unknown scenario "meteor" \(known: healthy, .*rollout-good, rollout-bad, pool-failover\)/,
    );
  });
});

describe('the report of rollout and pool scenarios', () => {
  it('writes a Markdown section per scenario with its table, and a chart each; no recovery-time chart without breaker runs', () => {
    const markdown = readFileSync(join(dir, 'scenarios.md'), 'utf8');
    expect(markdown).toContain('## rollout-bad');
    expect(markdown).toMatch(
      /\| strategy \| outcome \| at \| success rate \| vs big-bang \| requests to new version \| failed there \| users on new version \| share of users \| exposure \|/,
    );
    expect(markdown).toMatch(
      /\| progressive \| rolled back \| \d+:\d\d \| 99\.\d\d% \| \+\d+\.\d% \| \d+ \| \d+ \| \d+ \| 0\.\d\d% \| \d+:\d\d \|/,
    );
    expect(markdown).toMatch(/- 0:00 advance to PROBE \(1%\)/);
    expect(markdown).toContain('## pool-failover');
    expect(markdown).toMatch(/\| recovery \| [\d.]+% \(\d+\/\d+\) \| [+-][\d.]+% \|/);
    expect(markdown).toMatch(/\| gpu-1 dies \| 2:15 \| 15:00 \| 0 \/ \d+ \(0%\) \| \d+ \/ \d+ \(\d+%\) \|/);
    expect(markdown).not.toContain('Recovery time per policy');
    expect(existsSync(join(dir, 'recovery-time.svg'))).toBe(false);
    const rolloutSvg = readFileSync(join(dir, 'rollout-bad.svg'), 'utf8');
    expect(rolloutSvg).toContain('client success rate and rollout phase');
    expect(rolloutSvg).toContain('fill="#d64541"'); // the rollback
    const poolSvg = readFileSync(join(dir, 'pool-failover.svg'), 'utf8');
    expect(poolSvg).toContain('fill="#f3d0cf"'); // the faults shaded
    expect(poolSvg).toContain('<title>open from');
    const json = JSON.parse(readFileSync(join(dir, 'scenarios.json'), 'utf8'));
    expect(json.rollouts).toHaveLength(2);
    expect(json.pools).toHaveLength(2);
  });

  it('prints a table per kind', () => {
    const table = summaryTable(suite);
    expect(table).toMatch(/^scenario +strategy +outcome/m);
    expect(table).toMatch(/^rollout-bad +progressive +rolled back/m);
    expect(table).toMatch(/^scenario +strategy +completion/m);
    expect(table).toMatch(/^pool-failover +recovery +[\d.]+% \(\d+\/\d+\)/m);
    expect(table).not.toContain('probes closing');
  });
});

describe('--compare-with on rollout and pool runs', () => {
  it('no regression against itself', () => {
    expect(findRegressions(suite, suite)).toEqual([]);
  });

  it('flags more users on a bad version, a rollback that no longer happens, and a lower completion rate', () => {
    const after: SuiteResult = JSON.parse(JSON.stringify(suite));
    const progressive = after.rollouts!.find((r) => r.strategy === 'progressive')!;
    progressive.metrics.newVersion.users += 50;
    progressive.outcome = 'rolling';
    progressive.outcomeAtMs = null;
    after.pools!.find((r) => r.strategy === 'recovery')!.metrics.completionRate -= 0.05;
    const found = findRegressions(suite, after).map((r) => `${r.scenario}/${r.policy}: ${r.measure}`);
    expect(found).toEqual([
      'rollout-bad/progressive: time to expected outcome',
      'rollout-bad/progressive: users on the bad version',
      'pool-failover/recovery: completion rate',
    ]);
  });
});
