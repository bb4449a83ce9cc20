import type { SeededRandom } from '../../random';
import type { SimulationClock } from '../simulation-clock';

/** A simulated worker of a pool. */
export interface SimWorkerSpec {
  readonly id: string;
  readonly hardware: string;
  /** Batches it runs at once at full speed; more share it (each slower in proportion). */
  readonly capacity: number;
  /** Time per item of a batch, ms. */
  readonly msPerItem: number;
}

/** What goes wrong in a simulated pool, and when (ms from the start). */
export type PoolFault =
  /** The worker's process dies at `at` and stays down: batches running then fail (ECONNRESET), later ones are refused (ECONNREFUSED). */
  | { readonly type: 'worker-dies'; readonly worker: string; readonly at: number }
  /** Every worker of the class fails `failureRate` of its batches at their end (EHWFAULT: a driver or device error). */
  | {
      readonly type: 'hardware-degrades';
      readonly hardware: string;
      readonly from: number;
      readonly to: number;
      readonly failureRate: number;
    }
  /** Memory runs short: a batch of a large task bigger than `maxLargeBatch` items fails to allocate (ENOMEM). */
  | { readonly type: 'memory-pressure'; readonly from: number; readonly to: number; readonly maxLargeBatch: number };

/** A failed batch, with the errno-style code the recovery classifier reads, the fault behind it and the items it had computed. */
export class SimWorkerError extends Error {
  constructor(
    readonly code: string,
    readonly fault: PoolFault['type'],
    message: string,
    /** Items of the failed batch computed before it failed: lost with it. */
    readonly computedItems: number,
  ) {
    super(message);
    this.name = 'SimWorkerError';
  }
}

/** How long a refused call or a failed allocation takes, ms. */
const REFUSE_MS = 1;
const ALLOCATE_MS = 20;

/**
 * A worker on virtual time: runs batches of items, slower when it runs more than its capacity at
 * once (processor sharing, fixed at the batch's start), and suffers the scenario's faults.
 */
export class SimWorker {
  /** Batches running now. */
  private running = 0;
  private readonly diesAt: number | undefined;

  constructor(
    readonly spec: SimWorkerSpec,
    private readonly faults: readonly PoolFault[],
    private readonly clock: SimulationClock,
    private readonly random: SeededRandom,
  ) {
    for (const fault of faults) if (fault.type === 'worker-dies' && fault.worker === spec.id) this.diesAt = fault.at;
  }

  /** Runs one batch of `items` items of a task (`large`: items need 4x the memory); rejects with a SimWorkerError. */
  process(items: number, large: boolean): Promise<void> {
    const now = this.clock.now();
    const { id } = this.spec;
    if (this.diesAt !== undefined && now >= this.diesAt)
      return this.fail(REFUSE_MS, new SimWorkerError('ECONNREFUSED', 'worker-dies', `worker ${id} is down`, 0));
    const pressure = this.active('memory-pressure', now);
    if (large && pressure !== undefined && pressure.type === 'memory-pressure' && items > pressure.maxLargeBatch) {
      return this.fail(
        ALLOCATE_MS,
        new SimWorkerError(
          'ENOMEM',
          'memory-pressure',
          `worker ${id}: failed to allocate a batch of ${items} large items`,
          0,
        ),
      );
    }
    const durationMs = items * this.spec.msPerItem * Math.max(1, (this.running + 1) / this.spec.capacity);
    this.running++;
    return new Promise<void>((resolve, reject) => {
      const end = now + durationMs;
      if (this.diesAt !== undefined && this.diesAt < end) {
        this.clock.setTimeout(() => {
          this.running--;
          reject(
            new SimWorkerError(
              'ECONNRESET',
              'worker-dies',
              `worker ${id} died during a batch`,
              Math.floor((items * (this.diesAt! - now)) / durationMs),
            ),
          );
        }, this.diesAt - now);
        return;
      }
      this.clock.setTimeout(() => {
        this.running--;
        const degraded = this.active('hardware-degrades', this.clock.now());
        if (
          degraded !== undefined &&
          degraded.type === 'hardware-degrades' &&
          this.random.chance(degraded.failureRate)
        ) {
          reject(
            new SimWorkerError(
              'EHWFAULT',
              'hardware-degrades',
              `${this.spec.hardware} device error on worker ${id}`,
              items,
            ),
          );
        } else {
          resolve();
        }
      }, durationMs);
    });
  }

  /** The fault of this type that applies to this worker at `at`, if any. */
  private active(type: 'memory-pressure' | 'hardware-degrades', at: number): PoolFault | undefined {
    return this.faults.find(
      (f) =>
        f.type === type &&
        at >= f.from &&
        at < f.to &&
        (f.type !== 'hardware-degrades' || f.hardware === this.spec.hardware),
    );
  }

  private fail(afterMs: number, error: SimWorkerError): Promise<void> {
    return new Promise<void>((_, reject) => {
      this.clock.setTimeout(() => reject(error), afterMs);
    });
  }
}
