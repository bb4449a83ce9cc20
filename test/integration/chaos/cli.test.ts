import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, parseSimulateArgs } from '../../../src/cli/index';

/** An in-memory io for main(). */
function capture(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      isTTY,
      cwd: dir,
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

let dir: string;
let baseline: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'breakwater-simulate-'));
  const run = capture();
  expect(
    await main(['simulate', '--scenario', 'hard-outage', '--quick', '--seed', '3', '--out', 'first'], run.io),
  ).toBe(0);
  baseline = join(dir, 'first', 'scenarios.json');
});

describe('breakwater simulate: the report', () => {
  it('writes JSON, Markdown and SVG charts, and prints the table', () => {
    for (const file of ['scenarios.json', 'scenarios.md', 'hard-outage.svg', 'recovery-time.svg'])
      expect(existsSync(join(dir, 'first', file))).toBe(true);
    const suite = JSON.parse(readFileSync(baseline, 'utf8'));
    expect(suite).toMatchObject({
      kind: 'breakwater.scenarios',
      version: 1,
      seed: 3,
      size: 'quick',
      policies: ['none', 'static', 'backoff'],
    });
    expect(suite.runs.map((r: { policy: string }) => r.policy)).toEqual(['none', 'static', 'backoff']);
    expect(suite.report.command).toBe('breakwater simulate --scenario hard-outage --quick --seed 3 --out first');
    const markdown = readFileSync(join(dir, 'first', 'scenarios.md'), 'utf8');
    expect(markdown).toContain('## hard-outage');
    expect(markdown).toMatch(/\| policy \| success rate \| vs none \| recovery time \| vs none \|/);
    expect(markdown).toMatch(/\| static \| [\d.]+% \| [+-][\d.]+% \|/);
    const svg = readFileSync(join(dir, 'first', 'hard-outage.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('fill="#d64541"'); // the breaker's open periods are drawn
    expect(readFileSync(join(dir, 'first', 'recovery-time.svg'), 'utf8')).toContain('hard-outage');
  });

  it('prints plain progress lines when not on a terminal, and a redrawn bar on one', async () => {
    const plain = capture(false);
    await main(['simulate', '--scenario', 'healthy', '--out', 'plain'], plain.io);
    expect(plain.stdout()).toContain('simulating healthy / static');
    expect(plain.stdout()).not.toContain('\r');
    const tty = capture(true);
    await main(['simulate', '--scenario', 'healthy', '--out', 'tty'], tty.io);
    expect(tty.stdout()).toMatch(/\r\[#+-*\] +\d+% healthy/);
    const ci = capture(true);
    await main(
      ['simulate', '--scenario', 'healthy', '--out', 'ci', '--ci', '--compare-with', 'tty/scenarios.json'],
      ci.io,
    );
    expect(ci.stdout()).not.toContain('\r');
  });

  it('the same seed writes the same results', async () => {
    const again = capture();
    await main(['simulate', '--scenario', 'hard-outage', '--seed', '3', '--out', 'again'], again.io);
    const strip = (file: string) => {
      const { report: _report, ...suite } = JSON.parse(readFileSync(file, 'utf8'));
      return suite;
    };
    expect(strip(join(dir, 'again', 'scenarios.json'))).toEqual(strip(baseline));
  });
});

describe('breakwater simulate --compare-with / --ci', () => {
  it('finds no regression against its own results, and exits 0 under --ci', async () => {
    const run = capture();
    expect(
      await main(
        ['simulate', '--scenario', 'hard-outage', '--seed', '3', '--out', 'same', '--compare-with', baseline, '--ci'],
        run.io,
      ),
    ).toBe(0);
    expect(run.stdout()).toContain('no regression against');
  });

  it('flags measures worse than the tolerance; --ci exits 1, without --ci it only reports', async () => {
    const better = JSON.parse(readFileSync(baseline, 'utf8'));
    const staticRun = better.runs.find((r: { policy: string }) => r.policy === 'static');
    staticRun.metrics.wastedCalls = Math.round(staticRun.metrics.wastedCalls / 2) - 20;
    staticRun.metrics.successRate += 0.05;
    const file = join(dir, 'better.json');
    writeFileSync(file, JSON.stringify(better));
    const ci = capture();
    expect(
      await main(
        [
          'simulate',
          '--scenario',
          'hard-outage',
          '--seed',
          '3',
          '--out',
          'worse',
          '--compare-with',
          'better.json',
          '--ci',
        ],
        ci.io,
      ),
    ).toBe(1);
    expect(ci.stdout()).toContain('2 regression(s) against better.json');
    expect(ci.stdout()).toMatch(/REGRESSION hard-outage \/ static: wasted calls \d+ -> \d+ \(tolerance 10% or 10\)/);
    expect(ci.stdout()).toMatch(/REGRESSION hard-outage \/ static: success rate .* \(tolerance 1 points\)/);
    const report = capture();
    expect(
      await main(
        ['simulate', '--scenario', 'hard-outage', '--seed', '3', '--out', 'worse', '--compare-with', 'better.json'],
        report.io,
      ),
    ).toBe(0);
    expect(report.stdout()).toContain('2 regression(s)');
  });

  it('a recovery slower than 10% or 2 s is a regression', async () => {
    const recovered = JSON.parse(readFileSync(baseline, 'utf8'));
    const run = capture();
    // Pretend the baseline of "none" recovered in 1 s where it now takes longer: beyond 10% or 2 s.
    recovered.runs[0].metrics.recoveryTimeMs = 1000;
    writeFileSync(join(dir, 'recovered.json'), JSON.stringify(recovered));
    expect(
      await main(
        [
          'simulate',
          '--scenario',
          'hard-outage',
          '--seed',
          '3',
          '--out',
          'rec',
          '--compare-with',
          'recovered.json',
          '--ci',
        ],
        run.io,
      ),
    ).toBe(1);
    expect(run.stdout()).toContain('REGRESSION hard-outage / none: recovery time 1000 ->');
  });
});

describe('breakwater simulate: bad input', () => {
  const bad: Array<[string[], RegExp]> = [
    [['simulate', '--seed', 'abc'], /--seed must be an integer from 0 to 4294967295, got "abc"/],
    [['simulate', '--seed', '-4'], /--seed must be an integer/],
    [['simulate', '--seed'], /--seed needs a value/],
    [['simulate', '--scenario', 'meteor'], /--scenario: unknown scenario "meteor" \(known: healthy, hard-outage/],
    [['simulate', '--quick', '--full'], /--quick and --full exclude each other/],
    [['simulate', '--ci'], /--ci needs --compare-with FILE/],
    [['simulate', '--fast'], /unknown flag "--fast"/],
    [['simulate', 'extra'], /unknown argument "extra"/],
    [['launch'], /unknown command "launch" \(known: simulate, dashboard, train\)/],
    [['simulate', '--compare-with', 'missing.json'], /--compare-with: cannot read missing.json: ENOENT/],
  ];
  it.each(bad)('%j exits 2 naming the problem', async (argv, message) => {
    const run = capture();
    expect(await main(argv, run.io)).toBe(2);
    expect(run.stderr()).toMatch(message);
    expect(run.stderr()).toContain(argv[0] === 'simulate' ? 'breakwater simulate --help' : 'breakwater --help');
  });

  it('a compare file that is not JSON, or not a scenario result, is named', async () => {
    writeFileSync(join(dir, 'junk.json'), '{ not json');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ kind: 'something-else' }));
    const junk = capture();
    expect(await main(['simulate', '--compare-with', 'junk.json'], junk.io)).toBe(2);
    expect(junk.stderr()).toMatch(/junk.json is not JSON/);
    const other = capture();
    expect(await main(['simulate', '--compare-with', 'other.json'], other.io)).toBe(2);
    expect(other.stderr()).toMatch(/other.json is not a scenario result/);
  });

  it('--help prints the usage', async () => {
    const run = capture();
    expect(await main(['simulate', '--help'], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/breakwater simulate \[--scenario/);
  });

  it('parses --flag=value and several scenarios', () => {
    expect(parseSimulateArgs(['--seed=9', '--scenario=brownout,fan-out', '--full'])).toMatchObject({
      seed: 9,
      scenarios: ['brownout', 'fan-out'],
      size: 'full',
    });
  });
});
