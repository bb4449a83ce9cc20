import { describe, expect, it } from 'vitest';
import { PoolUnavailableError } from '../../../src/recovery/errors/PoolUnavailableError';
import { RecoveryEscalatedError } from '../../../src/recovery/errors/RecoveryEscalatedError';
import type { TaskAttempt } from '../../../src/recovery/task';
import { actions, coded, drive, poolRig as pool, settle } from './helpers';

/** A promise with its resolver, for tasks that stay in flight until the test lets them finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('target selection', () => {
  it('picks the least loaded target (in-flight / capacity), ties by declaration order', async () => {
    const { pool: p } = pool([
      { id: 'w1', hardware: 'gpu' },
      { id: 'w2', hardware: 'gpu', capacity: 2 },
    ]);
    const hold = gate();
    const placed: string[] = [];
    const task = (id: string) => ({
      id,
      run: async (a: TaskAttempt) => {
        placed.push(a.worker!);
        await hold.promise;
        return a.worker;
      },
    });
    const runs = [p.run(task('a')), p.run(task('b')), p.run(task('c'))];
    await settle();
    // a: both idle, w1 first. b: w1 at 1/1, w2 at 0/2. c: w1 at 1/1, w2 at 1/2.
    expect(placed).toEqual(['w1', 'w2', 'w2']);
    expect(p.targets().map((t) => t.inFlight)).toEqual([1, 2]);
    hold.open();
    await Promise.all(runs);
    expect(p.targets().map((t) => t.inFlight)).toEqual([0, 0]);
  });

  it('only uses targets of a hardware class the task accepts', async () => {
    const { pool: p } = pool([
      { id: 'g1', hardware: 'gpu' },
      { id: 'c1', hardware: 'cpu' },
    ]);
    expect(await p.run({ id: 'a', hardware: ['cpu'], run: (a) => a.worker })).toBe('c1');
  });

  it('skips targets whose circuit or whose class circuit is open', async () => {
    const { pool: p, registry } = pool([
      { id: 'g1', hardware: 'gpu' },
      { id: 'g2', hardware: 'gpu' },
      { id: 'c1', hardware: 'cpu' },
      { id: 'c2', hardware: 'cpu' },
    ]);
    registry.get('worker', 'g1')!.forceOpen();
    expect(await p.run({ id: 'a', run: (a) => a.worker })).toBe('g2');
    registry.hardwareBreaker('gpu').forceOpen();
    expect(await p.run({ id: 'b', run: (a) => a.worker })).toBe('c1');
  });

  it('takes targets added and removed while it runs into account', async () => {
    const { pool: p } = pool([{ id: 'w1', hardware: 'gpu' }]);
    p.add({ id: 'w2', hardware: 'gpu' });
    expect(p.remove('w1')).toBe(true);
    expect(p.remove('w1')).toBe(false);
    expect(await p.run({ id: 'a', run: (a) => a.worker })).toBe('w2');
    expect(p.targets().map((t) => t.id)).toEqual(['w2']);
  });

  it('prefers a closed circuit to one that would take the call as a probe', async () => {
    const {
      pool: p,
      registry,
      clock,
    } = pool([
      { id: 'w1', hardware: 'gpu', breaker: { failureThreshold: 1, recoveryTimeout: 1000 } },
      { id: 'w2', hardware: 'gpu' },
    ]);
    registry.get('worker', 'w1')!.recordFailure(new Error('down'));
    clock.advance(1000); // w1 admits a probe now, but w2 is closed
    expect(await p.run({ id: 'a', run: (a) => a.worker })).toBe('w2');
  });
});

describe('failover with checkpoint hand-off', () => {
  it('the next attempt, on another worker, resumes from the last checkpoint', async () => {
    const { pool: p, events } = pool([
      { id: 'w1', hardware: 'gpu' },
      { id: 'w2', hardware: 'gpu' },
    ]);
    const seen: Array<{ worker?: string; checkpoint: unknown; number: number }> = [];
    const result = await p.run({
      id: 'long-job',
      run: async (attempt) => {
        seen.push({ worker: attempt.worker, checkpoint: attempt.checkpoint, number: attempt.number });
        let step = (attempt.checkpoint as { step: number } | undefined)?.step ?? 0;
        while (step < 5) {
          step++;
          await attempt.saveCheckpoint({ step });
          if (attempt.worker === 'w1' && step === 3) throw coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:8000');
        }
        return step;
      },
    });
    expect(result).toBe(5);
    expect(seen).toEqual([
      { worker: 'w1', checkpoint: undefined, number: 1 },
      { worker: 'w2', checkpoint: { step: 3 }, number: 2 },
    ]);
    expect(actions(events)).toEqual(['switch-worker', 'recovered']);
    const recovered = events.find((e) => e.detail?.action === 'recovered')!;
    expect(recovered.detail).toMatchObject({
      task: 'long-job',
      resolvedBy: 'switch-worker',
      failures: 1,
      attempts: 2,
      worker: 'w2',
    });
  });

  it('retries a transient failure at once, then after a backoff, on the same worker', async () => {
    const {
      pool: p,
      timers,
      events,
    } = pool([
      { id: 'w1', hardware: 'gpu' },
      { id: 'w2', hardware: 'gpu' },
    ]);
    const at: Array<[string, number]> = [];
    let calls = 0;
    const run = p.run({
      id: 'a',
      run: (attempt) => {
        at.push([attempt.worker!, timers.now()]);
        if (++calls <= 2) throw coded('ECONNRESET', 'socket hang up');
        return 'ok';
      },
    });
    expect(await drive(timers, run)).toBe('ok');
    expect(at).toEqual([
      ['w1', 1_000_000],
      ['w1', 1_000_000],
      ['w1', 1_000_075],
    ]);
    expect(timers.delays).toEqual([75]);
    expect(actions(events)).toEqual(['retry-immediate', 'retry-delayed', 'recovered']);
  });

  it('a delayed retry never goes into the circuit that opened meanwhile: it fails over instead', async () => {
    const {
      pool: p,
      timers,
      registry,
    } = pool([
      { id: 'w1', hardware: 'gpu', breaker: { failureThreshold: 2 } },
      { id: 'w2', hardware: 'gpu' },
    ]);
    const calls: Array<[string, string]> = [];
    const run = p.run({
      id: 'a',
      run: (attempt) => {
        calls.push([attempt.worker!, registry.get('worker', attempt.worker!)!.getState()]);
        if (attempt.worker === 'w1') throw coded('ETIMEDOUT');
        return attempt.worker;
      },
    });
    expect(await drive(timers, run)).toBe('w2');
    // The first timeout keeps w1 closed (a delayed retry), the second opens it: the ladder leaves w1.
    expect(calls).toEqual([
      ['w1', 'closed'],
      ['w1', 'closed'],
      ['w2', 'closed'],
    ]);
    expect(registry.get('worker', 'w1')!.getState()).toBe('open');
  });
});

describe('resource exhaustion', () => {
  it('the task acts on the hint: a smaller batch, then a lower precision, until it fits', async () => {
    const { pool: p, events } = pool([{ id: 'w1', hardware: 'gpu' }]);
    const hints: unknown[] = [];
    const result = await p.run({
      id: 'embed',
      hint: { batchSize: 4, precision: 'fp32' },
      run: ({ hint }) => {
        hints.push({ ...hint });
        // Fits only at batch 1 in fp16 or lower.
        if (hint.batchSize! > 1 || hint.precision === 'fp32')
          throw new Error('CUDA out of memory. Tried to allocate 512.00 MiB');
        return `batch ${hint.batchSize} ${hint.precision}`;
      },
    });
    expect(result).toBe('batch 1 fp16');
    expect(hints).toEqual([
      { batchSize: 4, precision: 'fp32', reductions: 0 },
      { batchSize: 2, precision: 'fp32', reductions: 1 },
      { batchSize: 1, precision: 'fp32', reductions: 2 },
      { batchSize: 1, precision: 'fp16', reductions: 3 },
    ]);
    expect(actions(events)).toEqual(['reduce', 'reduce', 'reduce', 'recovered']);
  });

  it('at the floor, the ladder moves the task to another class', async () => {
    const { pool: p } = pool(
      [
        { id: 'g1', hardware: 'gpu' },
        { id: 'c1', hardware: 'cpu' },
      ],
      { workerFailureLimit: 10, hardwareSpread: 10 },
    );
    const seen: string[] = [];
    const result = await p.run({
      id: 'embed',
      hint: { batchSize: 1, precision: 'int8' },
      run: (attempt) => {
        seen.push(attempt.worker!);
        if (attempt.hardware === 'gpu') throw coded('ERR_OUT_OF_MEMORY');
        return 'done on cpu';
      },
    });
    expect(result).toBe('done on cpu');
    expect(seen).toEqual(['g1', 'c1']);
    expect(p.recovery.stats.actions['switch-worker']).toBe(1);
  });
});

describe('restart and escalation', () => {
  it('restarts the resource through the hook, closes its circuit, and runs again', async () => {
    const restarts: unknown[] = [];
    let alive = false;
    const {
      pool: p,
      registry,
      events,
    } = pool([{ id: 'browser-1', hardware: 'cpu', breaker: { failureThreshold: 1 } }], {
      classify: (error: unknown) => (String(error).includes('Target closed') ? 'crash' : undefined),
      restart: async (request: unknown) => {
        restarts.push(request);
        alive = true;
      },
    });
    const result = await p.run({
      id: 'render',
      run: () => {
        if (!alive) throw new Error('Protocol error: Target closed');
        return 'rendered';
      },
    });
    expect(result).toBe('rendered');
    expect(restarts).toEqual([
      { worker: 'browser-1', hardware: 'cpu', task: 'render', reason: 'Protocol error: Target closed' },
    ]);
    expect(registry.get('worker', 'browser-1')!.getState()).toBe('closed');
    expect(actions(events)).toEqual(['restart', 'restarted', 'recovered']);
  });

  it('climbs to a restart when a worker-specific failure has nowhere to go', async () => {
    let restarted = 0;
    const { pool: p } = pool([{ id: 'model-server', hardware: 'gpu' }], { restart: () => void restarted++ });
    let calls = 0;
    await p.run({
      id: 'a',
      run: () => {
        if (calls++ === 0) throw coded('ECONNREFUSED');
        return 1;
      },
    });
    expect(restarted).toBe(1);
    expect(p.recovery.stats.actions.restart).toBe(1);
  });

  it('escalates when all else failed: an error with the steps, an event for a human, the hook called once', async () => {
    const escalations: unknown[] = [];
    const {
      pool: p,
      registry,
      timers,
    } = pool([{ id: 'w1', hardware: 'gpu' }], {
      onEscalate: (e: unknown) => escalations.push(e),
      // A crash is the worker's: an unclassified failure of one task would never restart it.
      classify: (error: unknown) => (String(error).includes('Segmentation fault') ? 'crash' : undefined),
      restart: () => Promise.reject(new Error('no such container')),
    });
    const failure = await drive(
      timers,
      p.run({
        id: 'a',
        run: () => {
          throw new Error('Segmentation fault');
        },
      }),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RecoveryEscalatedError);
    const error = failure as RecoveryEscalatedError;
    expect(error.task).toBe('a');
    expect(error.steps.map((s) => s.step)).toEqual(['restart', 'escalate']);
    expect(error.message).toContain('the restart hook failed for worker "w1": no such container');
    expect(escalations).toHaveLength(1);
    const escalation = registry
      .recent({ kind: 'pool', event_type: 'recovery' })
      .find((e) => e.detail?.action === 'escalation')!;
    expect(escalation).toMatchObject({
      breaker: 'inference',
      detail: { task: 'a', steps: ['restart', 'escalate'] },
    });
  });
});

describe('a pool where no target admits work', () => {
  it('fails at once with an error naming the targets and when the first admits a probe: no call, no timer, no loop', async () => {
    const {
      pool: p,
      registry,
      timers,
      clock,
    } = pool([
      { id: 'w1', hardware: 'gpu', breaker: { failureThreshold: 1, recoveryTimeout: 8000 } },
      { id: 'w2', hardware: 'gpu', breaker: { failureThreshold: 1, recoveryTimeout: 5000 } },
      { id: 'c1', hardware: 'cpu' },
    ]);
    registry.get('worker', 'w1')!.recordFailure(new Error('down'));
    registry.get('worker', 'w2')!.recordFailure(new Error('down'));
    let calls = 0;
    const task = { id: 'a', hardware: ['gpu'], run: () => ++calls };
    const timersBefore = clock.pendingTimers(); // the registry's tick and its breakers' on their clock
    const error = await p.run(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolUnavailableError);
    const unavailable = error as PoolUnavailableError;
    expect(unavailable.retryAfterMs).toBe(5000);
    expect(unavailable.targets).toEqual([
      { worker: 'w1', hardware: 'gpu', reason: 'open', retryAfterMs: 8000 },
      { worker: 'w2', hardware: 'gpu', reason: 'open', retryAfterMs: 5000 },
      { worker: 'c1', hardware: 'cpu', reason: 'incompatible', retryAfterMs: undefined },
    ]);
    expect(unavailable.message).toBe(
      'breakwater/recovery: pool "inference" has no target for task "a": w1 [gpu] open, probe in 8000 ms, w2 [gpu] open, probe in 5000 ms, c1 [cpu] incompatible; the first probe is admitted in 5000 ms (at 1005000)',
    );
    expect(calls).toBe(0);
    expect(timers.delays).toEqual([]);
    expect(clock.pendingTimers()).toBe(timersBefore); // nothing of the pool's
    expect(p.recovery.running).toBe(0);
    // When the error says, the first target takes the task as a probe.
    clock.advance(unavailable.retryAfterMs!);
    expect(await p.run(task)).toBe(1);
    expect(registry.get('worker', 'w2')!.getState()).toBe('closed');
  });

  it('a forced-open pool says no target will admit a probe by itself', async () => {
    const { pool: p, registry } = pool([{ id: 'w1', hardware: 'gpu' }]);
    registry.hardwareBreaker('gpu').forceOpen();
    await expect(p.run({ id: 'a', run: () => 1 })).rejects.toThrow(
      /w1 \[gpu\] hardware-forced-open; no target will admit a probe by itself/,
    );
  });

  it('mid-recovery, a pool whose only worker opened escalates instead of waiting', async () => {
    const { pool: p, timers } = pool([{ id: 'w1', hardware: 'gpu', breaker: { failureThreshold: 1 } }]);
    let calls = 0;
    const error = await p
      .run({
        id: 'a',
        run: () => {
          calls++;
          throw coded('ECONNRESET');
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecoveryEscalatedError);
    expect(calls).toBe(1);
    expect(timers.delays).toEqual([]);
    expect((error as RecoveryEscalatedError).steps[0].reason).toBe(
      "the worker's circuit is open, and every rung from switch-worker on was used up or could not apply",
    );
  });
});

describe('pool health', () => {
  it('reports targets by state and class, load and task outcomes, and sits in the registry as kind "pool"', async () => {
    const { pool: p, registry } = pool(
      [
        { id: 'g1', hardware: 'gpu' },
        { id: 'g2', hardware: 'gpu' },
        { id: 'c1', hardware: 'cpu', capacity: 2 },
      ],
      {
        classify: (error: unknown) => (String(error).includes('invalid') ? 'fatal' : undefined),
      },
    );
    await p.run({ id: 'ok', run: () => 1 });
    await p
      .run({
        id: 'bad',
        run: () => {
          throw new Error('invalid input');
        },
      })
      .catch(() => undefined);
    registry.get('worker', 'g2')!.forceOpen();
    const health = p.health();
    expect(health).toMatchObject({
      pool: 'inference',
      targets: 3,
      admitting: 2,
      byState: { closed: 2, 'forced-open': 1 },
      byHardware: {
        gpu: { targets: 2, admitting: 1, state: 'closed' },
        cpu: { targets: 1, admitting: 1, state: 'closed' },
      },
      inFlight: 0,
      capacity: 4,
      tasks: { completed: 1, escalated: 1, recovered: 0, unavailable: 0 },
    });
    expect(health.completionRate).toBe(0.5);
    const inRegistry = registry.breakerHealth('pool', 'inference')!;
    expect(inRegistry.state).toBe('disabled');
    // One task completed, one escalated: the pool's breaker is half healthy.
    expect(inRegistry.healthPercentage).toBe(50);
    expect(registry.health().byKind.pool.total).toBe(1);
    expect(registry.list({ kind: 'worker' }).items.map((row) => [row.name, row.labels])).toEqual([
      ['c1', { pool: 'inference', hardware: 'cpu' }],
      ['g1', { pool: 'inference', hardware: 'gpu' }],
      ['g2', { pool: 'inference', hardware: 'gpu' }],
    ]);
  });
});
