import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskStoreError } from '../../../src/recovery/errors/TaskStoreError';
import { JsonlTaskStore } from '../../../src/recovery/jsonl-task-store';
import { WorkerPool } from '../../../src/recovery/worker-pool';
import { rig, tempDir } from './helpers';

/** Collects process warnings with the torn-line code while a test runs. */
let warnings: string[] = [];
const onWarning = (warning: Error & { code?: string }) => {
  if (warning.code === 'BREAKWATER_TASKSTORE_TORN_LINE') warnings.push(warning.message);
};
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** Lets process warnings (emitted on the next tick) arrive. */
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('JsonlTaskStore', () => {
  it('a new store instance on the same file rebuilds the latest state of every task', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const first = JsonlTaskStore.open(file);
    await first.update('a', { status: 'running', attempts: 1, worker: 'w1', at: 1 });
    await first.saveCheckpoint('a', { step: 2, rows: [1, 2] }, 2);
    await first.update('a', { attempts: 2, worker: 'w2', at: 3 });
    await first.update('b', { status: 'succeeded', attempts: 1, at: 4 });
    await first.close();
    const second = JsonlTaskStore.open(file);
    expect(second.tornLines).toBe(0);
    expect(second.get('a')).toEqual({
      id: 'a',
      status: 'running',
      attempts: 2,
      worker: 'w2',
      checkpoint: { step: 2, rows: [1, 2] },
      checkpointAt: 2,
      updatedAt: 3,
    });
    expect(second.all().map((r) => [r.id, r.status])).toEqual([
      ['a', 'running'],
      ['b', 'succeeded'],
    ]);
    await second.saveCheckpoint('a', undefined, 5);
    expect(second.get('a')!.checkpoint).toBeUndefined();
    await second.close();
    expect(JsonlTaskStore.open(file).get('a')).not.toHaveProperty('checkpoint');
  });

  it('survives a process killed mid-write: the torn last line is ignored with a counted warning, earlier records intact', async () => {
    const dir = tempDir();
    const file = join(dir, 'tasks.jsonl');
    const bundle = join(dir, 'writer.cjs');
    buildSync({
      entryPoints: [join(__dirname, 'fixtures/crashing-writer.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      logLevel: 'silent',
    });
    const child = spawnSync(process.execPath, [bundle, file], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(readFileSync(file, 'utf8').endsWith('"checkpoint":{"ro')).toBe(true);

    const store = JsonlTaskStore.open(file);
    await nextTick();
    expect(store.tornLines).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ended in a torn line');
    expect(warnings[0]).toContain('the 3 records before it are intact');
    expect(store.get('job-1')).toMatchObject({
      status: 'running',
      attempts: 1,
      worker: 'w1',
      checkpoint: { rows: 200 },
      checkpointAt: 30,
      hint: { batchSize: 8, reductions: 0 },
    });
    // The torn bytes are cut, so the next record starts on a line of its own.
    await store.saveCheckpoint('job-1', { rows: 300 }, 50);
    await store.close();
    const reopened = JsonlTaskStore.open(file);
    await nextTick();
    expect(reopened.tornLines).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(reopened.get('job-1')!.checkpoint).toEqual({ rows: 300 });
  });

  it('keeps a complete last record that only lost its newline', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    writeFileSync(file, '{"v":1,"type":"task","id":"a","change":{"status":"running","attempts":3,"at":7}}');
    const store = JsonlTaskStore.open(file);
    expect(store.tornLines).toBe(0);
    await store.update('b', { status: 'running', at: 8 });
    await store.close();
    expect(
      JsonlTaskStore.open(file)
        .all()
        .map((r) => [r.id, r.attempts]),
    ).toEqual([
      ['a', 3],
      ['b', 0],
    ]);
  });

  it('refuses a file that is not a task store, leaving it as it was', () => {
    const dir = tempDir();
    const config = join(dir, 'config.json');
    const configText = '{"port":8080,"name":"api"}';
    writeFileSync(config, configText);
    expect(() => JsonlTaskStore.open(config)).toThrow(TaskStoreError);
    expect(() => JsonlTaskStore.open(config)).toThrow(
      `${config} is not a task store (it does not end with a newline after a record); expected JSON Lines task records`,
    );
    expect(readFileSync(config, 'utf8')).toBe(configText);

    // Records of ours, then a line that is no start of a record: not provably a torn append either.
    const notes = join(dir, 'tasks.jsonl');
    const notesText = '{"v":1,"type":"task","id":"a","change":{"at":1}}\nremember to compact';
    writeFileSync(notes, notesText);
    expect(() => JsonlTaskStore.open(notes)).toThrow(
      /is not a task store \(it ends in text that is not the start of a record\)/,
    );
    expect(readFileSync(notes, 'utf8')).toBe(notesText);
  });

  it('rejects a status it does not know, in update() and in the file, naming the field and what it accepts', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const store = JsonlTaskStore.open(file);
    await expect(store.update('a', { status: 'done' as never, at: 1 })).rejects.toThrow(
      `update of task "a": field "status" must be one of 'running', 'succeeded', 'escalated', got "done"`,
    );
    await expect(store.update('a', { attempts: -1, at: 1 })).rejects.toThrow(
      /field "attempts" must be an integer >= 0, got -1/,
    );
    await expect(store.update('a', { at: Number.NaN })).rejects.toThrow(/field "at" must be a finite number/);
    expect(store.get('a')).toBeUndefined();
    await store.close();
    expect(readFileSync(file, 'utf8')).toBe('');

    writeFileSync(
      file,
      '{"v":1,"type":"task","id":"a","change":{"at":1}}\n{"v":1,"type":"task","id":"a","change":{"status":"paused","at":2}}\n',
    );
    expect(() => JsonlTaskStore.open(file)).toThrow(
      `task store ${file} line 2: field "status" must be one of 'running', 'succeeded', 'escalated', got "paused"`,
    );
  });

  it('a damaged line before the end is an error naming the file and the line, not silently skipped', () => {
    const file = join(tempDir(), 'tasks.jsonl');
    writeFileSync(
      file,
      '{"v":1,"type":"task","id":"a","change":{"at":1}}\n{"oops\n{"v":1,"type":"task","id":"a","change":{"at":2}}\n',
    );
    expect(() => JsonlTaskStore.open(file)).toThrow(TaskStoreError);
    expect(() => JsonlTaskStore.open(file)).toThrow(`task store ${file} line 2 is not a task record`);
    // A checkpoint's time JSON reads as Infinity, which saveCheckpoint() refuses to write: refused on reading too.
    writeFileSync(
      file,
      '{"v":1,"type":"task","id":"a","change":{"at":1}}\n{"v":1,"type":"checkpoint","id":"a","at":1e999,"checkpoint":1}\n{"v":1,"type":"task","id":"a","change":{"at":2}}\n',
    );
    expect(() => JsonlTaskStore.open(file)).toThrow(`task store ${file} line 2 is not a task record`);
  });

  it('compacts atomically to one snapshot per task, leaving no temp file, with the same state after reopening', async () => {
    const dir = tempDir();
    const file = join(dir, 'tasks.jsonl');
    const store = JsonlTaskStore.open(file, { durable: false });
    for (let i = 0; i < 50; i++) await store.saveCheckpoint(`t${i % 3}`, { i }, i);
    await store.update('t0', { status: 'escalated', error: 'gave up', at: 99 });
    const before = store.all();
    await store.compact();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readdirSync(dir)).toEqual(['tasks.jsonl']);
    // Appends after compaction go to the new file.
    await store.update('t1', { attempts: 9, at: 100 });
    await store.close();
    const reopened = JsonlTaskStore.open(file);
    expect(reopened.get('t0')).toEqual(before.find((r) => r.id === 't0'));
    expect(reopened.get('t1')).toMatchObject({ attempts: 9, checkpoint: { i: 49 } });
  });

  it('compacts by itself once the records outnumber the tasks by compactAfter', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const store = JsonlTaskStore.open(file, { durable: false, compactAfter: 10 });
    for (let i = 0; i < 25; i++) await store.saveCheckpoint('only', { i }, i);
    expect(readFileSync(file, 'utf8').trim().split('\n').length).toBeLessThan(11);
    await store.close();
    expect(JsonlTaskStore.open(file).get('only')!.checkpoint).toEqual({ i: 24 });
  });

  it('keeps keepFinished finished tasks at a compaction, the latest, and every running one', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const store = JsonlTaskStore.open(file, { durable: false, compactAfter: 20, keepFinished: 3 });
    await store.update('still-running', { status: 'running', at: 0 });
    for (let i = 1; i <= 40; i++) {
      await store.update(`t${i}`, { status: 'running', at: 2 * i });
      await store.update(`t${i}`, { status: i % 2 === 0 ? 'succeeded' : 'escalated', at: 2 * i + 1 });
    }
    // Compactions ran by themselves: memory and the file hold what the last one kept, and what came after.
    expect(store.all().length).toBeLessThan(20);
    await store.compact();
    const kept = ['still-running', 't38', 't39', 't40'];
    expect(
      store
        .all()
        .map((record) => record.id)
        .sort(),
    ).toEqual(kept.sort());
    await store.close();
    expect(
      JsonlTaskStore.open(file)
        .all()
        .map((record) => record.id)
        .sort(),
    ).toEqual(kept.sort());
    expect(() => JsonlTaskStore.open(file, { keepFinished: -1 })).toThrow(
      'option "keepFinished" must be an integer >= 0 or Infinity, got -1',
    );
  });

  it('names the task whose checkpoint is not JSON, and stores the JSON form of what it can', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const store = JsonlTaskStore.open(file);
    await expect(store.saveCheckpoint('a', { big: 1n }, 1)).rejects.toThrow(
      /checkpoint of task "a" can't be stored as JSON/,
    );
    await expect(store.saveCheckpoint('a', () => 1, 1)).rejects.toThrow(
      /checkpoint of task "a" can't be stored as JSON \(got function\)/,
    );
    await store.saveCheckpoint('a', { when: new Date(0) }, 2);
    expect(store.get('a')!.checkpoint).toEqual({ when: '1970-01-01T00:00:00.000Z' });
    await store.close();
    await expect(store.update('a', { at: 3 })).rejects.toThrow(/is closed/);
  });

  it('bad options and paths are named errors', () => {
    expect(() => JsonlTaskStore.open('')).toThrow(/JsonlTaskStore.open\(file\) needs a file path/);
    expect(() => JsonlTaskStore.open(join(tempDir(), 'x.jsonl'), { compactAfter: -1 })).toThrow(
      /option "compactAfter" must be an integer >= 0, got -1/,
    );
    expect(() => JsonlTaskStore.open(join(tempDir(), 'x.jsonl'), { durable: 'yes' as never })).toThrow(
      /option "durable" must be a boolean/,
    );
    expect(() => JsonlTaskStore.open(join(tempDir(), 'missing-dir', 'x.jsonl'))).toThrow(
      /cannot open task store .*missing-dir/,
    );
  });
});

describe('a pool on a task store survives a restart', () => {
  it('a store that can no longer write fails the run with its own error, and the task can run again', async () => {
    const r = rig();
    const store = JsonlTaskStore.open(join(tempDir(), 'tasks.jsonl'));
    const pool = new WorkerPool({
      registry: r.registry,
      timers: r.timers,
      store,
      targets: [{ id: 'w1', hardware: 'gpu' }],
    });
    await store.close();
    let calls = 0;
    await expect(pool.run({ id: 'a', run: () => ++calls })).rejects.toThrow(TaskStoreError);
    expect(calls).toBe(0);
    expect(pool.recovery.running).toBe(0);
    expect(pool.targets()[0].inFlight).toBe(0);
  });

  it('a task interrupted by a crash resumes in a new pool from its last checkpoint and reduced hint', async () => {
    const file = join(tempDir(), 'tasks.jsonl');
    const before = rig();
    const storeBefore = JsonlTaskStore.open(file);
    const poolBefore = new WorkerPool({
      registry: before.registry,
      timers: before.timers,
      name: 'etl',
      store: storeBefore,
      targets: [{ id: 'w1', hardware: 'gpu' }],
    });
    const progress: unknown[] = [];
    // The first process: an out-of-memory failure halves the batch, then the process dies mid-task.
    void poolBefore.run({
      id: 'import-2026-11',
      hint: { batchSize: 64 },
      run: async (attempt) => {
        progress.push({ number: attempt.number, checkpoint: attempt.checkpoint, batch: attempt.hint.batchSize });
        if (attempt.number === 1) throw new Error('CUDA out of memory');
        await attempt.saveCheckpoint({ rowsDone: 1200 });
        return new Promise(() => undefined); // the crash: never settles
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    await storeBefore.close();
    expect(progress).toEqual([
      { number: 1, checkpoint: undefined, batch: 64 },
      { number: 2, checkpoint: undefined, batch: 32 },
    ]);

    // The restarted process: a new registry, store instance and pool on the same file.
    const after = rig();
    const storeAfter = JsonlTaskStore.open(file);
    const poolAfter = new WorkerPool({
      registry: after.registry,
      timers: after.timers,
      name: 'etl',
      store: storeAfter,
      targets: [{ id: 'w1', hardware: 'gpu' }],
    });
    expect(poolAfter.unfinished().map((r) => [r.id, r.status, r.checkpoint])).toEqual([
      ['import-2026-11', 'running', { rowsDone: 1200 }],
    ]);
    const resumed = await poolAfter.run({
      id: 'import-2026-11',
      hint: { batchSize: 64 },
      run: (attempt) => ({ number: attempt.number, checkpoint: attempt.checkpoint, batch: attempt.hint.batchSize }),
    });
    expect(resumed).toEqual({ number: 3, checkpoint: { rowsDone: 1200 }, batch: 32 });
    expect(after.registry.recent({ kind: 'pool', event_type: 'recovery' }).map((e) => e.detail?.action)).toEqual([
      'resume',
    ]);
    // Finished: no checkpoint kept, and the next run of the same id starts fresh.
    expect(storeAfter.get('import-2026-11')).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(storeAfter.get('import-2026-11')).not.toHaveProperty('checkpoint');
    expect(poolAfter.unfinished()).toEqual([]);
    const fresh = await poolAfter.run({
      id: 'import-2026-11',
      hint: { batchSize: 64 },
      run: (attempt) => [attempt.checkpoint, attempt.hint.batchSize],
    });
    expect(fresh).toEqual([undefined, 64]);
    await storeAfter.close();
  });
});
