import type { PoolScenario } from './run';
import type { PoolScenarioDefinition, RunSize } from '../scenario';

const MINUTE = 60_000;
/** Quick runs play a quarter of the timeline. */
const SCALE: Record<RunSize, number> = { quick: 0.25, full: 1 };

/**
 * Three GPU workers (2 batches at once, 10 ms per item) and two CPU workers (4 at once, 40 ms per
 * item); 0.4 tasks/s of 400 items in batches of 32, checkpointed every 128 items, a quarter of them
 * with large items. gpu-1 dies at minute 9 and stays down; the gpu class fails 10% of its batches
 * from minute 21 to 33; memory runs short from minute 39 to 48 (a large task's batch must be 8
 * items or fewer). Tasks stop arriving at minute 48, so the last 12 minutes let them finish.
 */
export const poolFailover: PoolScenarioDefinition = {
  kind: 'pool',
  name: 'pool-failover',
  title: 'worker pool: gpu-1 dies, the gpu class degrades, then memory pressure that a smaller batch fixes',
  build(size: RunSize): PoolScenario {
    const m = (x: number) => Math.round(x * MINUTE * SCALE[size]);
    return {
      name: this.name,
      title: this.title,
      durationMs: m(60),
      workers: [
        { id: 'gpu-0', hardware: 'gpu', capacity: 2, msPerItem: 10 },
        { id: 'gpu-1', hardware: 'gpu', capacity: 2, msPerItem: 10 },
        { id: 'gpu-2', hardware: 'gpu', capacity: 2, msPerItem: 10 },
        { id: 'cpu-0', hardware: 'cpu', capacity: 4, msPerItem: 40 },
        { id: 'cpu-1', hardware: 'cpu', capacity: 4, msPerItem: 40 },
      ],
      faults: [
        { type: 'worker-dies', worker: 'gpu-1', at: m(9) },
        { type: 'hardware-degrades', hardware: 'gpu', from: m(21), to: m(33), failureRate: 0.1 },
        { type: 'memory-pressure', from: m(39), to: m(48), maxLargeBatch: 8 },
      ],
      tasks: { ratePerSecond: 0.4, untilMs: m(48), items: 400, batchSize: 32, checkpointEvery: 128, largeShare: 0.25 },
      watchedHardware: 'gpu',
    };
  },
};

/** The pool scenarios, in report order. */
export const POOL_SCENARIOS: readonly PoolScenarioDefinition[] = [poolFailover];
