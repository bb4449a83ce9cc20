import { describe, expect, it } from 'vitest';
import { RecoveryManager } from '../../../src/recovery/manager';
import { actions, poolRig, rig } from './helpers';

/** A standalone ladder (no pool: nowhere to switch to) with deterministic jitter. */
function ladder(extra: Partial<ConstructorParameters<typeof RecoveryManager>[0]> = {}) {
  const r = rig();
  const manager = new RecoveryManager({
    registry: r.registry,
    timers: r.timers,
    random: () => 0.5,
    jitter: 0.5,
    retryDelayMs: 100,
    ...extra,
  });
  return { ...r, manager };
}

/** A pool of two gpu workers and one cpu worker. */
function gpuCpuPool(extra: Record<string, unknown> = {}) {
  const rigged = poolRig(
    [
      { id: 'g1', hardware: 'gpu' },
      { id: 'g2', hardware: 'gpu' },
      { id: 'c1', hardware: 'cpu' },
    ],
    extra,
  );
  return { ...rigged, manager: rigged.pool.recovery };
}

describe('the ladder picks a rung by failure kind', () => {
  it('transient: an immediate retry, then delayed retries with exponential backoff and jitter, then escalation', () => {
    const { manager } = ladder();
    const first = manager.handleFailure({ task: 'a', errorKind: 'transient' });
    expect(first.step).toBe('retry-immediate');
    expect(first.reason).toContain('transient');
    const delayed = [2, 3, 4].map(() => manager.handleFailure({ task: 'a', errorKind: 'transient' }));
    expect(delayed.map((a) => a.step)).toEqual(['retry-delayed', 'retry-delayed', 'retry-delayed']);
    // 100, 200, 400 ms, each shortened by jitter 0.5 x random 0.5 = 25 %.
    expect(delayed.map((a) => a.delayMs)).toEqual([75, 150, 300]);
    expect(delayed[0].skipped).toEqual([{ step: 'retry-immediate', why: 'budget of 1 used' }]);
    const last = manager.handleFailure({ task: 'a', errorKind: 'transient' });
    expect(last.step).toBe('escalate');
    expect(last.skipped.map((s) => s.step)).toEqual([
      'retry-immediate',
      'retry-delayed',
      'reduce',
      'switch-worker',
      'switch-hardware',
      'restart',
    ]);
    expect(last.failures).toBe(5);
  });

  it('caps the delay at maxRetryDelayMs and applies no jitter when jitter is 0', () => {
    const { manager } = ladder({
      jitter: 0,
      retryDelayMs: 1000,
      maxRetryDelayMs: 2500,
      budgets: { delayedRetries: 4 },
    });
    const delays = [1, 2, 3, 4].map(() => manager.handleFailure({ task: 'a', errorKind: 'timeout' }).delayMs);
    expect(delays).toEqual([1000, 2000, 2500, 2500]);
  });

  it('timeout, intermittent and unknown start at a delayed retry', () => {
    const { manager } = ladder();
    expect(manager.handleFailure({ task: 't', errorKind: 'timeout' }).step).toBe('retry-delayed');
    expect(manager.handleFailure({ task: 'i', errorKind: 'intermittent' }).step).toBe('retry-delayed');
    expect(manager.handleFailure({ task: 'u', error: new Error('something odd') }).step).toBe('retry-delayed');
  });

  it('worker-specific: switches to another worker that admits the task, preferring ones not yet failed on', () => {
    const { manager } = gpuCpuPool();
    const first = manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'worker' });
    expect(first.step).toBe('switch-worker');
    expect(first.from).toEqual({ worker: 'g1', hardware: 'gpu' });
    expect(first.to).toEqual({ worker: 'g2', hardware: 'gpu' });
    const second = manager.handleFailure({ task: 'a', worker: 'g2', hardware: 'gpu', errorKind: 'worker' });
    expect(second.to).toEqual({ worker: 'c1', hardware: 'cpu' });
  });

  it('hardware-specific: switches to a worker of another class', () => {
    const { manager } = gpuCpuPool();
    const action = manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'hardware' });
    expect(action.step).toBe('switch-hardware');
    expect(action.to).toEqual({ worker: 'c1', hardware: 'cpu' });
  });

  it('resource exhaustion: reduces the hint (smaller batch) and climbs once the hint is at its floor', () => {
    const { manager } = ladder();
    const action = manager.handleFailure({
      task: 'a',
      error: Object.assign(new Error('boom'), { code: 'ERR_OUT_OF_MEMORY' }),
    });
    // No declared batch size or precision: nothing to shrink, so the ladder climbs past reduce.
    expect(action.failureKind).toBe('out-of-memory');
    expect(action.skipped[0]).toEqual({
      step: 'reduce',
      why: 'the hint is at its floor (smallest batch, lowest precision)',
    });
  });

  it('crash: restarts through the hook when there is one, else climbs past it', () => {
    const withHook = ladder({ restart: () => undefined });
    expect(withHook.manager.handleFailure({ task: 'a', worker: 'w1', errorKind: 'crash' }).step).toBe('restart');
    const without = ladder();
    const action = without.manager.handleFailure({ task: 'a', worker: 'w1', errorKind: 'crash' });
    expect(action.step).toBe('escalate');
    expect(action.skipped).toEqual([{ step: 'restart', why: 'no restart hook, or no worker to restart' }]);
  });

  it('fatal: escalates at once', () => {
    const { manager } = ladder();
    const action = manager.handleFailure({ task: 'a', errorKind: 'fatal', message: 'bad input' });
    expect(action).toMatchObject({ step: 'escalate', skipped: [], message: 'bad input' });
    // Nothing is left to try: the ladder forgets the run.
    expect(manager.running).toBe(0);
  });

  it('escalates when the task reached maxAttempts, whatever the rungs say', async () => {
    const { pool, timers } = gpuCpuPool({ maxAttempts: 2 });
    const seen: string[] = [];
    const run = pool.run({
      id: 'a',
      run: (attempt) => {
        seen.push(attempt.worker!);
        throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'RecoveryEscalatedError' });
    expect(seen).toHaveLength(2);
    expect(timers.delays).toEqual([]);
  });
});

describe('the ladder climbs with how often failures happen', () => {
  it('one task failing again on a worker does not mark the worker: its own budgets climb', () => {
    const { manager } = gpuCpuPool({ budgets: { immediateRetries: 5 } });
    const steps = [1, 2, 3, 4].map(
      () => manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'transient' }).step,
    );
    expect(steps).toEqual(['retry-immediate', 'retry-immediate', 'retry-immediate', 'retry-immediate']);
  });

  it('a worker failing for several tasks in the window is left, even for a transient failure; the window forgets', () => {
    const { manager, clock } = gpuCpuPool();
    expect(manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'transient' }).step).toBe(
      'retry-immediate',
    );
    expect(manager.handleFailure({ task: 'b', worker: 'g1', hardware: 'gpu', errorKind: 'transient' }).step).toBe(
      'retry-immediate',
    );
    const third = manager.handleFailure({ task: 'c', worker: 'g1', hardware: 'gpu', errorKind: 'transient' });
    expect(third.step).toBe('switch-worker');
    expect(third.reason).toBe('3 tasks failed on the worker in the window (limit 3)');
    clock.advance(60_001);
    expect(manager.handleFailure({ task: 'd', worker: 'g1', hardware: 'gpu', errorKind: 'transient' }).step).toBe(
      'retry-immediate',
    );
  });

  it('failures on several workers of one class move tasks to another class', () => {
    const { manager } = gpuCpuPool();
    manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'transient' });
    const action = manager.handleFailure({ task: 'b', worker: 'g2', hardware: 'gpu', errorKind: 'transient' });
    expect(action.step).toBe('switch-hardware');
    expect(action.reason).toBe('2 workers of the hardware class failed in the window (limit 2)');
    expect(action.to).toEqual({ worker: 'c1', hardware: 'cpu' });
  });

  it('never retries into an open circuit: an open worker circuit skips the retries', () => {
    const { manager, registry } = gpuCpuPool();
    registry.get('worker', 'g1')!.forceOpen();
    const action = manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'transient' });
    expect(action).toMatchObject({
      step: 'switch-worker',
      reason: "the worker's circuit is open",
      to: { worker: 'g2' },
    });
  });

  it('an open hardware-class circuit moves the task to another class', () => {
    const { manager, registry } = gpuCpuPool();
    registry.hardwareBreaker('gpu').forceOpen();
    const action = manager.handleFailure({ task: 'a', worker: 'g1', hardware: 'gpu', errorKind: 'transient' });
    expect(action).toMatchObject({
      step: 'switch-hardware',
      reason: "the hardware class's circuit is open",
      to: { worker: 'c1', hardware: 'cpu' },
    });
  });
});

describe('every action is an event in the registry history', () => {
  it('records the action, its reason and where it came from as a recovery event on the worker', () => {
    const { manager, registry, events } = gpuCpuPool();
    manager.handleFailure({
      task: 'a',
      worker: 'g1',
      hardware: 'gpu',
      error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    const recovery = registry.recent({ event_type: 'recovery' });
    expect(recovery).toHaveLength(1);
    expect(recovery[0]).toMatchObject({ kind: 'worker', breaker: 'g1', event_type: 'recovery' });
    expect(recovery[0].detail).toMatchObject({
      pool: 'inference',
      action: 'switch-worker',
      task: 'a',
      failureKind: 'unreachable',
      from: { worker: 'g1', hardware: 'gpu' },
      to: { worker: 'g2', hardware: 'gpu' },
      message: 'refused',
    });
    expect(actions(events)).toEqual(['switch-worker']);
  });

  it("records actions without a registered worker on the ladder's own pool breaker", () => {
    const { manager, registry } = ladder({ name: 'batch-jobs' });
    manager.handleFailure({ task: 'a', errorKind: 'transient' });
    expect(registry.recent({ kind: 'pool', event_type: 'recovery' })[0]).toMatchObject({
      breaker: 'batch-jobs',
      detail: { action: 'retry-immediate', task: 'a' },
    });
  });
});
