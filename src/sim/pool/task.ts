import type { RecoveryTask } from '../../recovery/task';
import { SimWorkerError, type PoolFault, type SimWorker } from './worker';

/** A simulated long task: items processed in batches on a pool's simulated workers, checkpointed as it goes. */
export interface SimTaskSpec {
  readonly id: string;
  readonly items: number;
  /** Items per batch it starts with (the hint the reduce rung halves). */
  readonly batchSize: number;
  /** Items processed between checkpoints. */
  readonly checkpointEvery: number;
  /** Its items need 4x the memory: under memory pressure only small batches fit. */
  readonly large: boolean;
}

/** Work counted over a run's tasks, in items. */
export interface WorkAccount {
  /** Items computed, whether or not they were kept. */
  computed: number;
  /** Items a failed attempt had computed after its last checkpoint (the failed batch's included): done again, or never. */
  lost: number;
}

/** A simulated task as the pool runs it, with what its checkpoints hold so far. */
export interface SimTask extends RecoveryTask<number> {
  /** Items saved in its last checkpoint. */
  checkpointed(): number;
  /** The faults that failed one of its attempts so far. */
  readonly hitBy: ReadonlySet<PoolFault['type']>;
}

interface Progress {
  done: number;
}

/**
 * The RecoveryTask of a spec: resumes from the attempt's checkpoint, runs batches of the hint's size
 * on the attempt's worker, and saves a checkpoint every `checkpointEvery` items and at the end.
 * When a batch fails, the items since the last checkpoint are counted as lost.
 */
export function simulatedTask(
  spec: SimTaskSpec,
  workers: ReadonlyMap<string, SimWorker>,
  account: WorkAccount,
): SimTask {
  let saved = 0;
  const hitBy = new Set<PoolFault['type']>();
  return {
    id: spec.id,
    hint: { batchSize: spec.batchSize },
    checkpointed: () => saved,
    hitBy,
    async run(attempt) {
      const worker = attempt.worker === undefined ? undefined : workers.get(attempt.worker);
      if (worker === undefined)
        throw new TypeError(
          `breakwater/chaos: simulated task ${spec.id} was placed on unknown worker ${String(attempt.worker)}`,
        );
      let done = (attempt.checkpoint as Progress | undefined)?.done ?? 0;
      let unsaved = 0;
      while (done < spec.items) {
        const batch = Math.min(attempt.hint.batchSize ?? spec.batchSize, spec.items - done);
        try {
          await worker.process(batch, spec.large);
        } catch (error) {
          const partial = error instanceof SimWorkerError ? error.computedItems : 0;
          if (error instanceof SimWorkerError) hitBy.add(error.fault);
          account.computed += partial;
          account.lost += unsaved + partial;
          throw error;
        }
        done += batch;
        unsaved += batch;
        account.computed += batch;
        if (unsaved >= spec.checkpointEvery || done === spec.items) {
          await attempt.saveCheckpoint({ done } satisfies Progress);
          saved = done;
          unsaved = 0;
        }
      }
      return done;
    },
  };
}
