import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const example = join(root, 'examples', 'manual-clock.mjs');

/** examples/manual-clock.mjs on the built package (dist/), as `npm run example:manual-clock` runs it. */
function run(): string {
  // The timeout only guards against a hang; nothing here measures time.
  const child = spawnSync(process.execPath, [example], { encoding: 'utf8', timeout: 60_000 });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return child.stdout;
}

describe("the README's manual-clock example", () => {
  it('is the code the README shows', () => {
    const code = readFileSync(example, 'utf8').split('\n').slice(3).join('\n').trim();
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Testing with a manual clock'));
    const shown = /```js\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(shown).toBe(code);
  });

  it('runs on virtual time alone: the same output on every run, scoring rounds and transitions at virtual times', () => {
    const output = run();
    expect(run()).toBe(output);
    expect(output).toMatch(/^t=1000 ms {2}P=0\.\d\d {2}none$/m); // the first scoring round, one second in
    expect(output).toMatch(/closed -> open/);
    expect(output).toMatch(/^after 30 s of virtual time: (open|half-open), \d+ failures$/m);
  });
});
