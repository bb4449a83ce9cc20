import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceFile } from '../../../src/fs/replace-file';

/**
 * Every reader of a user's file refuses what is not one, by name: a FIFO nobody writes (a read of
 * it blocks for ever), /dev/zero (a read of it never ends, and grew a process to 2.2 GiB in 14 s),
 * and a zero-filled file with one endless line (readline's buffer grew past V8's longest string
 * and threw where no catch reaches: the process died). In a child process, so a reader that
 * blocks is a timeout this test reports, not a hung suite.
 */
const DIST = resolve(__dirname, '../../../dist');
const folder = mkdtempSync(join(tmpdir(), 'breakwater-not-files-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const script = `
const { Predictor, readEventHistory } = require(${JSON.stringify(join(DIST, 'adaptive/index.js'))});
const { JsonlTaskStore } = require(${JSON.stringify(join(DIST, 'recovery/index.js'))});
const { RolloutController } = require(${JSON.stringify(join(DIST, 'rollout/index.js'))});
const said = (error) => error.constructor.name + ': ' + error.message;
(async () => {
  const out = {};
  for (const path of process.argv.slice(-3)) {
    out[path] = {
      model: await Predictor.load(path).then(() => 'loaded', said),
      history: await readEventHistory(path).then(() => 'read', said),
    };
    try { JsonlTaskStore.open(path); out[path].taskStore = 'opened'; } catch (error) { out[path].taskStore = said(error); }
    // Run as root, a rollout renamed its state over /dev/zero: tried here on the FIFO alone, which the test owns.
    if (path === '/dev/zero') continue;
    try { new RolloutController({ stateFile: path }).dispose(); out[path].rollout = 'started'; } catch (error) { out[path].rollout = said(error); }
    out[path].stillThere = require('node:fs').statSync(path).isFIFO();
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('files that are not files', () => {
  it('are refused by every reader, naming the file and what it is, without blocking or dying', () => {
    const fifo = join(folder, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const endless = join(folder, 'zeros.jsonl'); // what a file system gives back of a file whose writes were lost
    writeFileSync(endless, '');
    truncateSync(endless, 40 * 1024 * 1024);
    const child = spawnSync(process.execPath, ['-e', script, '--', fifo, '/dev/zero', endless], {
      encoding: 'utf8',
      timeout: 60_000, // only a reader that blocks reaches it
    });
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const said = JSON.parse(child.stdout) as Record<string, Record<string, string>>;
    const notAFile = 'is not a regular file (a FIFO, a device or a socket: reading it may never end)';
    for (const path of [fifo, '/dev/zero'])
      expect(said[path]).toMatchObject({
        model: `ModelFileError: breakwater/adaptive: model ${path}: ${notAFile}`,
        history: `HistoryFileError: breakwater/adaptive: event history ${path} ${notAFile}`,
        taskStore: `TaskStoreError: breakwater/recovery: task store ${path} ${notAFile}`,
      });
    expect(said[fifo]).toMatchObject({
      rollout: `RolloutStateError: breakwater/rollout: stateFile ${fifo} ${notAFile}: name a file the rollout may write`,
      stillThere: true,
    });
    expect(said[endless].history).toBe(
      `HistoryFileError: breakwater/adaptive: ${endless} line 1 is longer than 16777216 bytes: not an event history`,
    );
  });

  it('are never replaced by replaceFile, which writes models, rollout states and task stores: refused by name', () => {
    const fifo = join(folder, 'written-fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => replaceFile(fifo, 'state')).toThrow(
      `${fifo} is not a regular file (a device, a FIFO, a socket or a folder): not replaced`,
    );
    expect(statSync(fifo).isFIFO()).toBe(true);
  });
});
