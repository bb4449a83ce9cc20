import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm start`'s demo (examples/inference-demo.mjs) on the built package (`npm run build:ts`). */
const demo = resolve(__dirname, '../../../examples/inference-demo.mjs');
const run = (seconds: string) =>
  spawnSync(process.execPath, [demo], {
    env: { ...process.env, DEMO_SECONDS: seconds },
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('the inference demo', () => {
  it('refuses a DEMO_SECONDS that is not a whole number of seconds, before starting anything', () => {
    for (const bad of ['abc', '0', '-5', '1.5', '1e3']) {
      const child = run(bad);
      expect(child.status).toBe(2);
      expect(child.stderr.trim()).toBe(
        `DEMO_SECONDS must be a whole number of seconds from 1 to 86400, got ${JSON.stringify(bad)}`,
      );
      expect(child.stdout).toBe('');
    }
  });

  it('announces only the troubles its run will reach', () => {
    const child = run('1');
    expect(child.status).toBe(0);
    const banner = child.stdout.split('\n').slice(0, 3).join('\n');
    expect(banner).toMatch(/: 1 s of 40 requests\/s/);
    expect(banner).toContain(
      'the GPU replica stays healthy in this 1 s run (its troubles start at 12 s; DEMO_SECONDS=60 shows them all)',
    );
  });
});
