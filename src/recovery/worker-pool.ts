import type { CircuitBreaker } from '../breaker';
import type { CircuitBreakerOptions } from '../options';
import { CheckpointError } from './errors/CheckpointError';
import { PoolUnavailableError, type TargetRefusal } from './errors/PoolUnavailableError';
import type { Placement } from './ledger';
import type { RecoveryManager } from './manager';
import { GatedRecoveryManager } from './gated-manager';
import { PoolShutdown } from './pool-shutdown';
import type { TargetDirectory } from './manager-types';
import type { RecoveryOptions } from './options';
import { poolHealth, type PoolHealth } from './pool-health';
import { SelfHealingConfig, type SelfHealingOptions } from './self-healing';
import { admissionOf, bestCandidate, type Candidate } from './admission';
import { checkTask, type RecoveryTask } from './task';
import type { TaskRecord } from './task-store';
import { defaultClassifier } from './classify';
import { show } from '../error-message';

/** One worker, model replica or endpoint of a pool. */
export interface PoolTargetOptions {
  /** Its name; also the name of its breaker in the registry (kind `kind`, default 'worker'). */
  id: string;
  /** Its hardware class (cpu, gpu, webgpu, webnn, ...); the class has a breaker of its own. */
  hardware: string;
  /** Tasks it runs at once at full load: load = in-flight tasks / capacity. Default 1. */
  capacity?: number;
  /**
   * Options of its breaker when the registry creates it (the kind's configuration applies under them).
   * Set a `timeout`: without one, a task that never answers on this target never settles.
   */
  breaker?: CircuitBreakerOptions;
}

/** A pool's options: its targets and the recovery ladder's options (`name` names the pool; default 'pool'). */
export interface PoolOptions extends RecoveryOptions {
  targets: readonly PoolTargetOptions[];
}

/** A target as the pool reports it. */
export interface PoolTarget {
  readonly id: string;
  readonly hardware: string;
  readonly capacity: number;
  readonly inFlight: number;
  readonly breaker: CircuitBreaker;
}

interface Target {
  readonly id: string;
  readonly hardware: string;
  readonly capacity: number;
  readonly order: number;
  inFlight: number;
  readonly breaker: CircuitBreaker;
}

/**
 * A pool of targets, each with its own breaker (in the registry), hardware class and load.
 * run(task) picks a healthy target (its circuit and its class's circuit admit work, a closed circuit
 * before a probing one, the least loaded), and on failure recovers through the ladder: retries,
 * smaller hints, failover to another target or class with the task's last checkpoint, restarts,
 * escalation. A pool where no target admits the task fails at once with PoolUnavailableError.
 * close() shuts it down: tasks still pending or running reject with PoolClosedError.
 */
export class WorkerPool implements TargetDirectory {
  readonly recovery: RecoveryManager;
  private readonly shutdown: PoolShutdown;
  private readonly targetsById = new Map<string, Target>();
  private nextOrder = 0;

  constructor(options: PoolOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError(
        `breakwater/recovery: pool options must be an object, got ${options === null ? 'null' : typeof options}`,
      );
    const { targets, ...recovery } = options;
    if (!Array.isArray(targets))
      throw new TypeError(
        `breakwater/recovery: pool option "targets" must be a list of { id, hardware }, got ${typeof targets}`,
      );
    this.recovery = new GatedRecoveryManager({ name: 'pool', ...recovery }, this, (taskId) =>
      this.shutdown.refuseIfClosed(taskId),
    );
    this.shutdown = new PoolShutdown(this.name, this.recovery.options.store);
    for (const target of targets) this.add(target);
  }

  get name(): string {
    return this.recovery.name;
  }

  /** Adds a target; its breaker is created in the registry (or the existing one of that name is used). */
  add(target: PoolTargetOptions): void {
    if (target === null || typeof target !== 'object')
      throw new TypeError(
        `breakwater/recovery: a pool target must be an object { id, hardware }, got ${target === null ? 'null' : typeof target}`,
      );
    const { id, hardware, capacity = 1, breaker = {} } = target;
    if (typeof id !== 'string' || id.length === 0)
      throw new TypeError(`breakwater/recovery: pool target option "id" must be a non-empty string, got ${show(id)}`);
    if (this.targetsById.has(id))
      throw new RangeError(`breakwater/recovery: pool "${this.name}" already has a target "${id}"`);
    if (typeof hardware !== 'string' || hardware.length === 0)
      throw new TypeError(
        `breakwater/recovery: pool target "${id}" option "hardware" must be a non-empty string, got ${show(hardware)}`,
      );
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(
        `breakwater/recovery: pool target "${id}" option "capacity" must be an integer >= 1, got ${String(capacity)}`,
      );
    if (breaker === null || typeof breaker !== 'object')
      throw new TypeError(
        `breakwater/recovery: pool target "${id}" option "breaker" must be an object of breaker options`,
      );
    const registry = this.recovery.options.registry;
    const labels = { pool: this.name, hardware, ...breaker.labels };
    // Out of memory is the task's size (the ladder shrinks it), and a checkpoint that is not JSON
    // the task's code: neither is the worker's health.
    const ownFilter = breaker.isFailure;
    const isFailure = (error: unknown) =>
      defaultClassifier(error) !== 'out-of-memory' &&
      !(error instanceof CheckpointError) &&
      (ownFilter === undefined || ownFilter(error));
    const circuit = registry.getOrCreate(this.recovery.options.kind, id, { ...breaker, labels, isFailure });
    registry.hardwareBreaker(hardware);
    this.targetsById.set(id, { id, hardware, capacity, order: this.nextOrder++, inFlight: 0, breaker: circuit });
  }

  /**
   * Takes a target out of selection (tasks running on it finish; a retry waiting for it goes to
   * another target); its breaker stays in the registry.
   */
  remove(id: string): boolean {
    return this.targetsById.delete(id);
  }

  /** The targets, in the order they were added. */
  targets(): PoolTarget[] {
    return [...this.targetsById.values()].map(({ id, hardware, capacity, inFlight, breaker }) => ({
      id,
      hardware,
      capacity,
      inFlight,
      breaker,
    }));
  }

  /**
   * Runs the task on the best target and recovers it on failure. Resolves with its value; rejects
   * with RecoveryEscalatedError when recovery ran out, or PoolUnavailableError at once (nothing
   * run, nothing waited for) when no target admits the task, or PoolClosedError once the pool is
   * closed (at once for a task run after close(), at close() for one pending or running then).
   */
  async run<T>(task: RecoveryTask<T>): Promise<T> {
    checkTask(task);
    this.shutdown.refuseIfClosed(task.id);
    return this.shutdown.settleOnClose(task.id, this.runOnTargets(task));
  }

  /**
   * Refuses new tasks, rejects every task still pending or running with PoolClosedError naming it,
   * then closes the task store. A task that was running stays unfinished in the store, so
   * unfinished() on a new pool lists it. Idempotent: a second call returns the first call's promise.
   */
  close(): Promise<void> {
    return this.shutdown.close();
  }

  /** Tasks whose last run did not succeed (running when the process stopped, or escalated): what a restarted process resumes. */
  unfinished(): TaskRecord[] {
    return (this.recovery.options.store?.all() ?? []).filter((record) => record.status !== 'succeeded');
  }

  /** Targets by state and class, load, and task outcomes. */
  health(): PoolHealth {
    return poolHealth(
      this.name,
      this.recovery.options.kind,
      this.recovery.options.registry,
      this.candidates(undefined),
      this.recovery.stats,
      this.recovery.running,
    );
  }

  /**
   * Self-healing configuration for this pool's kinds (its targets' kind and 'hardware'), its
   * events in the pool's history and its timers on the pool's clock. Call adjust() or start().
   */
  selfHealing(options: Omit<SelfHealingOptions, 'registry' | 'eventsOn' | 'pool'> = {}): SelfHealingConfig {
    const o = this.recovery.options;
    return new SelfHealingConfig({
      kinds: [o.kind, 'hardware'],
      timers: o.timers,
      ...options,
      registry: o.registry,
      eventsOn: { kind: 'pool', name: this.name },
      pool: this.name,
    });
  }

  /** @internal */
  pick(
    accepts: readonly string[] | undefined,
    exclude: { workers: ReadonlySet<string>; hardware: ReadonlySet<string> },
  ): Placement | undefined {
    const candidates = this.candidates(accepts).filter(
      (c) => !exclude.workers.has(c.worker) && !exclude.hardware.has(c.hardware),
    );
    const best = bestCandidate(candidates);
    return best === undefined ? undefined : { worker: best.worker, hardware: best.hardware };
  }

  /** @internal */
  has(worker: string): boolean {
    return this.targetsById.has(worker);
  }

  /** @internal */
  acquire(worker: string): void {
    const target = this.targetsById.get(worker);
    if (target !== undefined) target.inFlight++;
  }

  /** @internal */
  release(worker: string): void {
    const target = this.targetsById.get(worker);
    if (target !== undefined && target.inFlight > 0) target.inFlight--;
  }

  /** A run from its start: the best target, then the ladder on failure. */
  private async runOnTargets<T>(task: RecoveryTask<T>): Promise<T> {
    this.recovery.begin(task);
    const placement = this.pick(task.hardware, { workers: new Set(), hardware: new Set() });
    if (placement === undefined) {
      const error = this.unavailable(task);
      this.recovery.abandon(task.id, { targets: error.targets, retryAfterMs: error.retryAfterMs ?? null });
      throw error;
    }
    const outcome = await this.recovery.attempt(task, placement);
    if (outcome.ok) return outcome.value;
    return this.recovery.applyRecovery(task, outcome.context);
  }

  /** Targets of a compatible class (every class when `accepts` is undefined), with their circuits' admission. */
  private candidates(accepts: readonly string[] | undefined): Candidate[] {
    const registry = this.recovery.options.registry;
    const classes = new Map<string, ReturnType<typeof admissionOf>>();
    const result: Candidate[] = [];
    for (const target of this.targetsById.values()) {
      if (accepts !== undefined && !accepts.includes(target.hardware)) continue;
      let hardwareAdmission = classes.get(target.hardware);
      if (hardwareAdmission === undefined)
        classes.set(target.hardware, (hardwareAdmission = admissionOf(registry.hardwareBreaker(target.hardware))));
      result.push({
        worker: target.id,
        hardware: target.hardware,
        inFlight: target.inFlight,
        capacity: target.capacity,
        order: target.order,
        admission: admissionOf(target.breaker),
        hardwareAdmission,
      });
    }
    return result;
  }

  /** Why no target takes the task: each target's refusal and when it admits a probe. */
  private unavailable(task: RecoveryTask<unknown>): PoolUnavailableError {
    const compatible = new Set(this.candidates(task.hardware).map((c) => c.worker));
    const refusals: TargetRefusal[] = this.candidates(undefined).map((c) => {
      if (!compatible.has(c.worker))
        return { worker: c.worker, hardware: c.hardware, reason: 'incompatible', retryAfterMs: undefined };
      const reason = !c.admission.admits
        ? c.admission.state === 'forced-open'
          ? 'forced-open'
          : 'open'
        : c.hardwareAdmission.state === 'forced-open'
          ? 'hardware-forced-open'
          : 'hardware-open';
      // Both circuits must admit: the target is back when the later of the two is.
      const waits = [c.admission, c.hardwareAdmission].filter((a) => !a.admits).map((a) => a.retryAfterMs);
      const retryAfterMs = waits.includes(undefined) ? undefined : Math.max(...(waits as number[]));
      return { worker: c.worker, hardware: c.hardware, reason, retryAfterMs };
    });
    return new PoolUnavailableError(this.name, task.id, refusals, this.recovery.options.timers.now());
  }
}
