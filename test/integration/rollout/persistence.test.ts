import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { RolloutController, RolloutStateError } from '../../../src/rollout/index';
import { parseStateDocument } from '../../../src/rollout/persisted-state';
import { feed, tempDir } from './helpers';

const dirs: string[] = [];
function stateFileIn(): string {
  const dir = tempDir();
  dirs.push(dir);
  return join(dir, 'rollout.json');
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs fn with process warnings captured (they are emitted on the next tick). */
async function withWarnings<T>(fn: () => T): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const listener = (w: Error) => warnings.push(w.message);
  process.on('warning', listener);
  try {
    const value = fn();
    await new Promise((r) => setImmediate(r));
    return { value, warnings };
  } finally {
    process.off('warning', listener);
  }
}

describe('persistence across a restart', () => {
  it('phase, status, history, attempt and config survive; the split is the same after the restart', () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(1_000_000);
    const phases = [
      { name: 'canary', weight: 0.02 },
      { name: 'half', weight: 0.5 },
      { name: 'all', weight: 1 },
    ];
    const first = new RolloutController({
      name: 'model-v2',
      phases,
      minPhaseDurationMs: 60_000,
      stateFile,
      clock,
      seed: 's1',
    });
    first.evaluateAndDecide();
    feed(first, 'new', 10, 10);
    first.evaluateAndDecide(); // rollback
    first.retry();
    first.promote();
    first.pause('holiday freeze');
    const ids = Array.from({ length: 2000 }, (_, i) => `u${i}`);
    const before = ids.filter((id) => first.shouldUseNewVersion(id));
    first.dispose();

    clock.advance(30_000);
    const second = new RolloutController({ stateFile, clock }); // no options: the file's config is used
    expect(second.stateError).toBeUndefined();
    expect(second.options).toMatchObject({ name: 'model-v2', phases, minPhaseDurationMs: 60_000, seed: 's1' });
    expect(second).toMatchObject({ status: 'paused', phase: { name: 'half', weight: 0.5 }, attempt: 2 });
    expect(second.getHistory().map((h) => `${h.action}:${h.from}->${h.to}`)).toEqual([
      'advance:OFF->canary',
      'rollback:canary->OFF',
      'retry:OFF->canary',
      'promote:canary->half',
      'pause:half->half',
    ]);
    expect(ids.filter((id) => second.shouldUseNewVersion(id))).toEqual(before);

    // The time spent in the phase before the restart counts towards minPhaseDurationMs.
    second.resume();
    feed(second, 'new', 10);
    expect(second.evaluateAndDecide().reason).toBe('healthy, phase has lasted 30000 of minPhaseDurationMs 60000 ms');
    clock.advance(30_000);
    expect(second.evaluateAndDecide()).toMatchObject({ action: 'advance', phase: { name: 'all' }, status: 'complete' });
  });

  it('refuses a reason that is not a string, so the state file stays readable at the next start', () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(1_000_000);
    const first = new RolloutController({ name: 'model-v3', stateFile, clock });
    first.evaluateAndDecide(); // OFF -> the first phase
    expect(() => first.pause(123 as never)).toThrow(/pause\(reason\) needs a string reason, got 123/);
    expect(() => first.promote(null as never)).toThrow(
      /promote\(options\) needs an object \{ full\?, reason\? \}, got null/,
    );
    expect(() => first.promote({ reason: {} } as never)).toThrow(
      /promote\(\) option "reason" must be a string, got \{\}/,
    );
    expect(() => first.abort(['x'] as never)).toThrow(/abort\(reason\) needs a string reason/);
    expect(first.status).toBe('rolling'); // nothing refused moved it
    first.pause('freeze');
    first.dispose();

    const second = new RolloutController({ stateFile, clock });
    expect(second.stateError).toBeUndefined();
    expect(second.status).toBe('paused');
    expect(second.getHistory().at(-1)).toMatchObject({ action: 'pause', reason: 'freeze' });
    second.dispose();
  });

  it('options given at the restart override the saved config', () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(0);
    new RolloutController({ stateFile, clock, advancementThreshold: 0.99 }).evaluateAndDecide();
    const restarted = new RolloutController({ stateFile, clock, advancementThreshold: 0.9 });
    expect(restarted.options.advancementThreshold).toBe(0.9);
    expect(restarted.phase.name).toBe('PROBE');
    feed(restarted, 'new', 10, 1);
    expect(restarted.evaluateAndDecide().action).toBe('advance');
    expect(parseStateDocument(stateFile, readFileSync(stateFile, 'utf8')).config.advancementThreshold).toBe(0.9);
  });

  it('a rolled-back rollout restarted before its retry time retries when the rest of the delay has passed', () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(0);
    const first = new RolloutController({ stateFile, clock, autoRetryDelayMs: 60_000 });
    first.evaluateAndDecide();
    feed(first, 'new', 10, 10);
    first.evaluateAndDecide();
    first.dispose();
    clock.advance(40_000);
    const second = new RolloutController({ stateFile, clock });
    expect(second.status).toBe('rolledBack');
    clock.advance(19_999);
    expect(second.status).toBe('rolledBack');
    clock.advance(1);
    expect(second).toMatchObject({ status: 'rolling', phase: { name: 'PROBE' }, attempt: 2 });
  });

  it('the state file is readable JSON and writing leaves no temp files behind', () => {
    const stateFile = stateFileIn();
    const rollout = new RolloutController({ stateFile, clock: new ManualClock(0) });
    for (let i = 0; i < 3; i++) rollout.promote();
    const document = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(document).toMatchObject({
      kind: 'breakwater.rollout',
      version: 1,
      progress: { phase: 'MEDIUM', status: 'rolling' },
    });
    expect(readdirSync(join(stateFile, '..'))).toEqual(['rollout.json']);
  });

  it('a write that fails (directory gone) is reported as a stateError event; the rollout goes on in memory', () => {
    const dir = tempDir();
    const stateFile = join(dir, 'nested', 'rollout.json');
    mkdirSync(join(dir, 'nested'));
    const rollout = new RolloutController({ stateFile, clock: new ManualClock(0) });
    const errors: RolloutStateError[] = [];
    rollout.on('stateError', (e) => errors.push(e));
    rmSync(dir, { recursive: true });
    rollout.promote();
    expect(rollout.phase.name).toBe('PROBE');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RolloutStateError);
    expect(errors[0].file).toBe(stateFile);
    expect(errors[0].message).toContain(`cannot write state file ${stateFile}`);
  });
});

describe('a crash while writing', () => {
  it('a process killed mid-write leaves the previous or the next state, never a torn or empty file', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // The child runs the real controller from a bundle of src/rollout (the breaker core included).
    const bundle = join(dir, 'rollout.cjs');
    buildSync({
      entryPoints: [resolve(__dirname, '../../../src/rollout/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      logLevel: 'silent',
    });
    const stateFile = join(dir, 'rollout.json');
    // A long history makes each write big (~100 KB), so kills land inside writes.
    const script = `
      const { RolloutController } = require(${JSON.stringify(bundle)});
      let t = 0;
      const clock = { now: () => t, setTimeout: () => 0, clearTimeout: () => {} };
      const rollout = new RolloutController({ stateFile: ${JSON.stringify(stateFile)}, clock, historyLimit: 1000 });
      const reason = 'x'.repeat(80);
      for (let i = 0; ; i++) {
        t++;
        if (rollout.status === 'complete') rollout.abort(reason);
        else if (rollout.status === 'aborted') rollout.retry(reason);
        else rollout.promote({ reason });
        if (i === 200) process.stdout.write('writing\\n');
      }
    `;
    // Kill until three kills have landed inside a write (a temp file was left), or 40 rounds.
    let killedMidWrite = 0;
    for (let round = 0; round < 40 && killedMidWrite < 3; round++) {
      const child = spawn(process.execPath, ['-e', script], {
        env: { ...process.env, BREAKWATER_NATIVE: '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolveStarted) => child.stdout.once('data', () => resolveStarted()));
      // Let it write for a while (a different number of writes each round), then kill it hard.
      await new Promise((r) => setTimeout(r, 20 + (round % 8) * 15));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      if (readdirSync(dir).some((name) => name.endsWith('.tmp'))) killedMidWrite++;
      const text = readFileSync(stateFile, 'utf8');
      const document = parseStateDocument(stateFile, text); // throws on a torn file
      expect(document.history.length).toBeGreaterThan(200);
      const restarted = new RolloutController({ stateFile, clock: new ManualClock(0) });
      expect(restarted.stateError).toBeUndefined();
      expect(restarted.phase.name).toBe(document.progress.phase);
      restarted.dispose();
    }
    expect(killedMidWrite).toBeGreaterThanOrEqual(1);
  });

  it('a half-written temp file from a crashed writer is ignored and removed; the state file is used', () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(0);
    new RolloutController({ stateFile, clock }).promote();
    const good = readFileSync(stateFile, 'utf8');
    const temp = join(stateFile, '..', '.rollout.json.4242.7.tmp');
    writeFileSync(temp, good.slice(0, good.length / 2));
    const restarted = new RolloutController({ stateFile, clock });
    expect(restarted.stateError).toBeUndefined();
    expect(restarted.phase.name).toBe('PROBE');
    expect(existsSync(temp)).toBe(false);
  });
});

describe('a corrupt state file', () => {
  const FULL_ROLLING = (text: string) => text.replace('"status": "complete"', '"status": "rolling"');
  const cases: Array<[string, (good: string) => string, RegExp]> = [
    ['empty', () => '', /is corrupt: it is empty/],
    ['truncated', (good) => good.slice(0, 120), /is corrupt: not valid JSON/],
    ['binary garbage', () => '\u0000\u00ff\u0001garbage', /is corrupt: not valid JSON/],
    ['another kind of file', () => JSON.stringify({ kind: 'something-else' }), /"kind" must be "breakwater.rollout"/],
    ['a newer version', (good) => good.replace('"version": 1', '"version": 2'), /"version" 2 is not supported/],
    [
      'an unknown phase',
      (good) => good.replace('"phase": "FULL"', '"phase": "EVERYONE"'),
      /"progress.phase" "EVERYONE" is not among the configured phases/,
    ],
    [
      'FULL with a contradictory status',
      FULL_ROLLING,
      /status "rolling" needs a phase between the first and the last but one/,
    ],
    [
      'an invalid config',
      (good) => good.replace('"advancementThreshold": 0.95', '"advancementThreshold": 7'),
      /"config" is invalid: .*option "advancementThreshold" must be a number from 0 to 1, got 7/,
    ],
    [
      'an unknown config key',
      (good) => good.replace('"advancementThreshold": 0.95', '"advancementThreshold": 0.95, "skipWatchdog": true'),
      /"config.skipWatchdog" is not a field of a state file \(expected name, phases, .*historyLimit\)/,
    ],
    [
      'an unknown progress key',
      (good) => good.replace('"goodStreak": 0', '"goodStreak": 0, "forced": true'),
      /"progress.forced" is not a field of a state file \(expected phase, status, phaseEnteredAt, goodStreak, rolledBackAt, attempt\)/,
    ],
    [
      'a phase entered in 3 billion years',
      (good) => good.replace(/"phaseEnteredAt": \d+/, '"phaseEnteredAt": 1e20'),
      /"progress.phaseEnteredAt" must be a time \(ms, 0 to 8640000000000000\), got 100000000000000000000/,
    ],
    [
      'a phase entered after the file was saved',
      (good) => good.replace(/"phaseEnteredAt": \d+/, '"phaseEnteredAt": 5000'),
      /"progress.phaseEnteredAt" 5000 is after "savedAt" 0/,
    ],
  ];

  for (const [what, corrupt, message] of cases) {
    it(`${what}: a RolloutStateError naming the file, the rollout starts OFF and paused, never FULL`, async () => {
      const stateFile = stateFileIn();
      const clock = new ManualClock(0);
      new RolloutController({ stateFile, clock }).promote({ full: true }); // the file says FULL
      writeFileSync(stateFile, corrupt(readFileSync(stateFile, 'utf8')));
      const { value: rollout, warnings } = await withWarnings(() => new RolloutController({ stateFile, clock }));
      expect(rollout.stateError).toBeInstanceOf(RolloutStateError);
      expect(rollout.stateError!.file).toBe(stateFile);
      expect(rollout.stateError!.message).toContain(`state file ${stateFile}`);
      expect(rollout.stateError!.message).toMatch(message);
      expect(rollout).toMatchObject({ status: 'paused', phase: { name: 'OFF', weight: 0 } });
      expect(['a', 'b', 'c', 'user-1'].some((id) => rollout.shouldUseNewVersion(id))).toBe(false);
      expect(warnings.some((w) => w.includes(stateFile) && w.includes('starting OFF and paused'))).toBe(true);
      // The bad file is kept aside, and a good one replaces it.
      expect(existsSync(`${stateFile}.corrupt`)).toBe(true);
      expect(parseStateDocument(stateFile, readFileSync(stateFile, 'utf8')).progress).toMatchObject({
        phase: 'OFF',
        status: 'paused',
      });
      // Evaluations keep it OFF until an operator resumes.
      expect(rollout.evaluateAndDecide().phase.name).toBe('OFF');
      rollout.resume();
      expect(rollout.evaluateAndDecide().phase.name).toBe('PROBE');
    });
  }

  it('options that no longer fit the saved phase are treated the same way (OFF, paused)', () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(0);
    new RolloutController({ stateFile, clock }).promote();
    const rollout = new RolloutController({ stateFile, clock, phases: [0.1, 1] });
    expect(rollout.stateError!.message).toMatch(
      /does not fit the options: "progress.phase" "PROBE" is not among the configured phases \(10%, 100%\)/,
    );
    expect(rollout).toMatchObject({ status: 'paused', phase: { name: 'OFF' } });
  });

  it("another rollout's file (another name) is treated the same way: OFF, paused, kept aside, its seed unused", () => {
    const stateFile = stateFileIn();
    const clock = new ManualClock(0);
    const ranker = new RolloutController({ name: 'ranker-v2', stateFile, clock });
    ranker.promote({ full: true });
    ranker.dispose();
    const rollout = new RolloutController({ name: 'checkout-v3', stateFile, clock });
    expect(rollout.stateError!.message).toBe(
      `breakwater/rollout: state file ${stateFile} belongs to rollout "ranker-v2", not "checkout-v3"`,
    );
    expect(rollout).toMatchObject({ status: 'paused', phase: { name: 'OFF' } });
    expect(rollout.options).toMatchObject({ name: 'checkout-v3', seed: 'checkout-v3' });
    expect(existsSync(`${stateFile}.corrupt`)).toBe(true);
    rollout.dispose();
    // A restart that names no rollout is the saved one's.
    expect(new RolloutController({ stateFile, clock }).options.name).toBe('checkout-v3');
  });

  it('a state file path that cannot be read (a directory) is reported the same way', () => {
    const dir = tempDir();
    dirs.push(dir);
    const rollout = new RolloutController({ stateFile: dir, clock: new ManualClock(0) });
    expect(rollout.stateError!.message).toContain(`cannot read state file ${dir}`);
    expect(rollout.phase.name).toBe('OFF');
    expect(existsSync(`${dir}.corrupt`)).toBe(false); // a path that could not be read is left alone
  });
});
