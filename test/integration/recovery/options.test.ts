import { describe, expect, it } from 'vitest';
import { RecoveryManager } from '../../../src/recovery/manager';
import { WorkerPool } from '../../../src/recovery/worker-pool';
import { rig } from './helpers';

describe('bad options are named errors', () => {
  const { registry } = rig();
  const make = (options: Record<string, unknown>) => () => new RecoveryManager({ registry, ...options } as never);

  it.each([
    [{ registry: {} }, /option "registry" must be a Registry/],
    [{ name: '' }, /option "name" must be a non-empty string/],
    [{ kind: 3 }, /option "kind" must be a non-empty string/],
    [{ timers: { now: () => 0 } }, /option "timers" must have now\(\), setTimeout\(\) and clearTimeout\(\)/],
    [{ random: 0.5 }, /option "random" must be a function, got number/],
    [{ classify: 'default' }, /option "classify" must be a function/],
    [{ restart: true }, /option "restart" must be a function/],
    [{ restartTimeoutMs: 0 }, /option "restartTimeoutMs" must be a number from 1/],
    [{ onEscalate: {} }, /option "onEscalate" must be a function/],
    [{ budgets: { delayedRetries: -1 } }, /option "budgets.delayedRetries" must be an integer from 0 to 1000, got -1/],
    [{ budgets: { retries: 2 } }, /unknown option "budgets.retries" \(known: immediateRetries/],
    [{ maxAttempts: 0 }, /option "maxAttempts" must be an integer from 1 to 10000, got 0/],
    [{ retryDelayMs: Number.NaN }, /option "retryDelayMs" must be a number from 0/],
    [{ retryDelayMs: 500, maxRetryDelayMs: 100 }, /option "maxRetryDelayMs" \(100\) must be >= "retryDelayMs" \(500\)/],
    [{ jitter: 2 }, /option "jitter" must be a number from 0 to 1, got 2/],
    [{ windowMs: 0 }, /option "windowMs" must be a number from 1/],
    [{ workerFailureLimit: 1.5 }, /option "workerFailureLimit" must be an integer/],
    [{ hardwareSpread: 0 }, /option "hardwareSpread" must be an integer from 1/],
    [{ minBatchSize: 0 }, /option "minBatchSize" must be an integer from 1/],
    [{ precisions: [] }, /option "precisions" must be a non-empty list of distinct names/],
    [{ precisions: ['fp16', 'fp16'] }, /option "precisions" must be a non-empty list of distinct names/],
    [
      { store: { get() {} } },
      /option "store" must be a TaskStore \(get, all, update, saveCheckpoint, compact, close\)/,
    ],
    [{ retries: 3 }, /unknown option "retries"/],
  ])('recovery option %o', (options, message) => {
    expect(make(options)).toThrow(message);
  });

  it('recovery options must be an object', () => {
    expect(() => new RecoveryManager(null as never)).toThrow(/options must be an object, got null/);
  });

  it.each([
    [{ targets: 'w1' }, /pool option "targets" must be a list of \{ id, hardware \}/],
    [{ targets: [{ hardware: 'gpu' }] }, /pool target option "id" must be a non-empty string/],
    [{ targets: [{ id: 'w1' }] }, /pool target "w1" option "hardware" must be a non-empty string/],
    [
      { targets: [{ id: 'w1', hardware: 'gpu', capacity: 0 }] },
      /pool target "w1" option "capacity" must be an integer >= 1, got 0/,
    ],
    [
      { targets: [{ id: 'w1', hardware: 'gpu', breaker: null }] },
      /pool target "w1" option "breaker" must be an object/,
    ],
    [{ targets: [{ id: 'w1', hardware: 'gpu', breaker: { failureThreshold: -1 } }] }, /failureThreshold/],
    [
      {
        targets: [
          { id: 'w1', hardware: 'gpu' },
          { id: 'w1', hardware: 'cpu' },
        ],
      },
      /pool "pool" already has a target "w1"/,
    ],
  ])('pool option %o', (options, message) => {
    expect(() => new WorkerPool({ registry: rig().registry, ...options } as never)).toThrow(message);
  });

  it('tasks and failure contexts of the wrong shape are named errors, before anything runs', async () => {
    const r = rig();
    const pool = new WorkerPool({ registry: r.registry, targets: [{ id: 'w1', hardware: 'gpu' }] });
    await expect(pool.run(null as never)).rejects.toThrow(/a task must be an object with id and run\(\), got null/);
    await expect(pool.run({ id: '', run: () => 1 })).rejects.toThrow(/task option "id" must be a non-empty string/);
    await expect(pool.run({ id: 'a' } as never)).rejects.toThrow(/task "a" option "run" must be a function/);
    await expect(pool.run({ id: 'a', hardware: [], run: () => 1 })).rejects.toThrow(
      /task "a" option "hardware" must be a non-empty list/,
    );
    await expect(pool.run({ id: 'a', hint: { batchSize: 0 }, run: () => 1 })).rejects.toThrow(
      /task "a" option "hint.batchSize" must be an integer >= 1, got 0/,
    );
    await expect(pool.run({ id: 'a', hint: { precision: 'fp8' }, run: () => 1 })).rejects.toThrow(
      /task "a" option "hint.precision" must be one of fp32, fp16, int8, got fp8/,
    );
    const manager = pool.recovery;
    expect(() => manager.handleFailure({} as never)).toThrow(/failure context field "task" must be a non-empty string/);
    expect(() => manager.handleFailure({ task: 'a', worker: '' })).toThrow(
      /failure context field "worker" must be a non-empty string/,
    );
    expect(() => manager.handleFailure({ task: 'a', errorKind: 'flaky' as never })).toThrow(
      /field "errorKind" must be one of transient, connection/,
    );
    await expect(manager.applyRecovery({ id: 'a', run: () => 1 }, { task: 'b' })).rejects.toThrow(
      /applyRecovery\(\) got task "a" with a failure context of task "b"/,
    );
    await expect(manager.trackSuccess({ task: '' })).rejects.toThrow(/field "task" must be a non-empty string/);
  });

  it('running a task id that is already running in the pool is a named error', async () => {
    const r = rig();
    const pool = new WorkerPool({ registry: r.registry, targets: [{ id: 'w1', hardware: 'gpu', capacity: 2 }] });
    let release!: () => void;
    const first = pool.run({ id: 'a', run: () => new Promise<void>((resolve) => (release = resolve)) });
    await expect(pool.run({ id: 'a', run: () => undefined })).rejects.toThrow(/task "a" is already running in "pool"/);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await first;
  });
});
