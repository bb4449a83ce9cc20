import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/registry/registry';
import { WorkerPool } from '../../../src/recovery/worker-pool';
import { RecoveryEscalatedError } from '../../../src/recovery/errors/RecoveryEscalatedError';
import { simulatedTask, type WorkAccount } from '../../../src/sim/pool/task';
import { SimWorker, SimWorkerError, type PoolFault, type SimWorkerSpec } from '../../../src/sim/pool/worker';
import {
  SeededRandom,
  SimulationClock,
  runPool,
  simulationNamed,
  withRecovery,
  withoutRecovery,
  type PoolScenario,
  type PoolScenarioDefinition,
} from '../../../src/sim/index';

/** Lets the promise chains started outside the clock (a pool's first attempt) set their timers before time moves. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const GPU: SimWorkerSpec = { id: 'gpu-0', hardware: 'gpu', capacity: 2, msPerItem: 10 };

/** Runs a batch and says when and how it ended. */
async function batch(
  worker: SimWorker,
  clock: SimulationClock,
  items: number,
  large = false,
): Promise<{ at: number; code?: string; computed?: number }> {
  const outcome = worker.process(items, large).then(
    () => ({ at: clock.now() }),
    (error: SimWorkerError) => ({ at: clock.now(), code: error.code, computed: error.computedItems }),
  );
  await clock.runUntil(clock.now() + 60_000);
  return outcome;
}

describe('SimWorker', () => {
  it('takes items x msPerItem, slower in proportion beyond its capacity', async () => {
    const clock = new SimulationClock(0);
    const worker = new SimWorker(GPU, [], clock, new SeededRandom(1));
    expect(await batch(worker, clock, 32)).toEqual({ at: 320 });
    const start = clock.now();
    const ends: number[] = [];
    for (let i = 0; i < 3; i++) void worker.process(10, false).then(() => ends.push(clock.now() - start));
    await clock.runUntil(clock.now() + 1000);
    // Two fit at full speed; the third shares the worker (3/2 slower).
    expect(ends).toEqual([100, 100, 150]);
  });

  it('dies: the batch running then fails with the items it had computed, later ones are refused', async () => {
    const clock = new SimulationClock(0);
    const faults: PoolFault[] = [{ type: 'worker-dies', worker: 'gpu-0', at: 100 }];
    const worker = new SimWorker(GPU, faults, clock, new SeededRandom(1));
    expect(await batch(worker, clock, 32)).toEqual({ at: 100, code: 'ECONNRESET', computed: 10 });
    const later = clock.now();
    expect(await batch(worker, clock, 32)).toEqual({ at: later + 1, code: 'ECONNREFUSED', computed: 0 });
  });

  it('under memory pressure refuses large batches above the limit, and only those', async () => {
    const clock = new SimulationClock(0);
    const faults: PoolFault[] = [{ type: 'memory-pressure', from: 0, to: 10_000, maxLargeBatch: 8 }];
    const worker = new SimWorker(GPU, faults, clock, new SeededRandom(1));
    expect((await batch(worker, clock, 16, true)).code).toBe('ENOMEM');
    expect((await batch(worker, clock, 8, true)).code).toBeUndefined();
    expect((await batch(worker, clock, 32, false)).code).toBeUndefined();
  });

  it('on a degraded class fails that share of batches at their end, the whole batch computed', async () => {
    const clock = new SimulationClock(0);
    const worker = new SimWorker(
      GPU,
      [{ type: 'hardware-degrades', hardware: 'gpu', from: 0, to: 10_000, failureRate: 1 }],
      clock,
      new SeededRandom(1),
    );
    expect(await batch(worker, clock, 20)).toEqual({ at: 200, code: 'EHWFAULT', computed: 20 });
    const cpu = new SimWorker(
      { ...GPU, id: 'cpu-0', hardware: 'cpu' },
      [{ type: 'hardware-degrades', hardware: 'gpu', from: 0, to: 10_000, failureRate: 1 }],
      clock,
      new SeededRandom(1),
    );
    expect((await batch(cpu, clock, 20)).code).toBeUndefined();
  });
});

/** A real WorkerPool on a simulation clock over the given simulated workers. */
function pool(
  clock: SimulationClock,
  specs: readonly SimWorkerSpec[],
  faults: PoolFault[],
  options: { maxAttempts?: number } = {},
) {
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const workers = new Map(specs.map((s) => [s.id, new SimWorker(s, faults, clock, new SeededRandom(1))]));
  const workerPool = new WorkerPool({
    registry,
    timers: clock,
    random: () => 0.5,
    ...options,
    targets: specs.map(({ id, hardware, capacity }) => ({ id, hardware, capacity })),
  });
  return { workerPool, workers };
}

describe('simulated tasks on the real WorkerPool', () => {
  it('a task whose worker dies resumes on another from its last checkpoint; only the work after it is lost', async () => {
    const clock = new SimulationClock(0);
    const specs = [GPU, { ...GPU, id: 'gpu-1' }];
    // gpu-0 dies in the 5th batch (32 items = 320 ms each): 128 items are checkpointed, 10 of the 5th batch computed.
    const { workerPool, workers } = pool(clock, specs, [{ type: 'worker-dies', worker: 'gpu-0', at: 1_380 }]);
    const account: WorkAccount = { computed: 0, lost: 0 };
    const task = simulatedTask(
      { id: 't', items: 256, batchSize: 32, checkpointEvery: 128, large: false },
      workers,
      account,
    );
    const done = workerPool.run(task);
    await settle();
    await clock.runUntil(60_000);
    expect(await done).toBe(256);
    expect(account.lost).toBe(10);
    // 128 before the death, 10 lost, then the remaining 128 on gpu-1: nothing done twice beyond the lost part.
    expect(account.computed).toBe(128 + 10 + 128);
    expect(task.hitBy).toEqual(new Set(['worker-dies']));
    expect(
      workerPool.recovery.stats.actions['retry-immediate'] + workerPool.recovery.stats.actions['switch-worker'],
    ).toBeGreaterThan(0);
  });

  it('memory exhaustion that a smaller batch fixes: reduce halves the batch until it fits; without recovery the task is given up', async () => {
    const faults: PoolFault[] = [{ type: 'memory-pressure', from: 0, to: 600_000, maxLargeBatch: 8 }];
    const spec = { id: 'big', items: 64, batchSize: 32, checkpointEvery: 16, large: true };
    const clock = new SimulationClock(0);
    const { workerPool, workers } = pool(clock, [GPU], faults);
    const done = workerPool.run(simulatedTask(spec, workers, { computed: 0, lost: 0 }));
    await settle();
    await clock.runUntil(60_000);
    expect(await done).toBe(64);
    expect(workerPool.recovery.stats.actions.reduce).toBe(2);

    const bare = new SimulationClock(0);
    const baseline = pool(bare, [GPU], faults, { maxAttempts: 1 });
    const failed = baseline.workerPool
      .run(simulatedTask(spec, baseline.workers, { computed: 0, lost: 0 }))
      .catch((error: unknown) => error);
    await settle();
    await bare.runUntil(60_000);
    expect(await failed).toBeInstanceOf(RecoveryEscalatedError);
  });
});

describe('the pool scenario', () => {
  const scenario = (simulationNamed('pool-failover') as PoolScenarioDefinition).build('quick');

  it('without recovery no task hit by a fault completes; with recovery most hit by the dead worker or the degraded class do', async () => {
    const without = await runPool(scenario, withoutRecovery, { seed: 1, size: 'quick' });
    const withLadder = await runPool(scenario, withRecovery, { seed: 1, size: 'quick' });
    expect(without.metrics.tasks).toBe(withLadder.metrics.tasks);
    for (const incident of without.incidents) {
      expect(incident.tasksHit).toBeGreaterThan(0);
      expect(incident.completedAfterHit).toBe(0);
    }
    for (const fault of ['worker-dies', 'hardware-degrades'] as const) {
      const hit = withLadder.incidents.find((i) => i.fault === fault)!;
      expect(hit.completedAfterHit / hit.tasksHit).toBeGreaterThanOrEqual(0.5);
    }
    expect(without.metrics.escalated).toBe(without.metrics.tasks - without.metrics.completed);
    expect(withLadder.metrics.abandonedItems).toBeLessThan(without.metrics.abandonedItems);
    expect(withLadder.metrics.actions['switch-worker']).toBeGreaterThan(0);
    expect(withLadder.metrics.actions['switch-hardware']).toBeGreaterThan(0);
    expect(withLadder.metrics.actions.reduce).toBeGreaterThan(0);
    // The watched class's circuit opened while it degraded.
    expect(withLadder.states.map((s) => s.state)).toContain('open');
  });

  it('is deterministic per seed', async () => {
    const a = await runPool(scenario, withRecovery, { seed: 3, size: 'quick' });
    const b = await runPool(scenario, withRecovery, { seed: 3, size: 'quick' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = await runPool(scenario, withRecovery, { seed: 4, size: 'quick' });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('a fault-free pool completes every task, loses nothing and reports when the last one finished', async () => {
    const calm: PoolScenario = { ...scenario, name: 'calm', faults: [] };
    const run = await runPool(calm, withRecovery, { seed: 1, size: 'quick' });
    expect(run.metrics.completionRate).toBe(1);
    expect(run.metrics.workLostItems).toBe(0);
    expect(run.metrics.timeToCompletionMs).toBeGreaterThan(0);
    expect(run.metrics.timeToCompletionMs!).toBeLessThanOrEqual(calm.durationMs);
    expect(run.metrics.failures).toBe(0);
  });
});
