import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');

/** examples/rollout.mjs imports `breakwater` and `breakwater/rollout` (the built dist/, `npm run build:ts`), on the reference core. */
function run(args: string[]): string {
  // The timeout only guards against a hang; nothing here measures time.
  const child = spawnSync(process.execPath, [join(root, 'examples', 'rollout.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, BREAKWATER_NATIVE: '0' },
  });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return child.stdout;
}

describe('examples/rollout.mjs', () => {
  it('virtual time: the good version reaches FULL, the bad one rolls back at PROBE, the same way on every run', () => {
    const output = run(['--scenarios']);
    expect(run(['--scenarios'])).toBe(output);
    const [good, bad] = output.split('\nscenario: ').slice(1);
    expect(good).toMatch(/MEDIUM\s+-> FULL \(100%\)/);
    expect(good).toMatch(/-> complete at FULL after/);
    expect(bad).toMatch(/rollback PROBE\s+-> OFF/);
    expect(bad).toMatch(/ALERT {4}model-v3 rolled back/);
    const exposure =
      /-> rolledBack at OFF after (\d+):(\d\d) min; v3 served (\d+) requests \((\d+) failed\) to (\d+) users over (\d+):(\d\d) min/.exec(
        bad,
      );
    expect(exposure).not.toBeNull();
    const users = Number(exposure![5]);
    // 1% of 100,000 users is the most PROBE can expose; the watchdog stops it far sooner.
    expect(users).toBeGreaterThan(0);
    expect(users).toBeLessThan(100);
    expect(Number(exposure![6]) * 60 + Number(exposure![7])).toBeLessThan(10 * 60);
  });

  it('live: a real HTTP endpoint on 127.0.0.1 takes v2 to FULL and rolls v3 back', () => {
    const output = run([]);
    expect(output).toMatch(/live: model v1 -> v2 behind http:\/\/127\.0\.0\.1:\d+\/predict/);
    expect(output).toMatch(/-> complete at FULL; served v1 \d+, v2 \d+/);
    expect(output).toMatch(/-> rolledBack at OFF; served v1 \d+, v3 \d+ \(\d+ users\), errors [1-9]/);
  });
});
