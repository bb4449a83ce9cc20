import { INTENSITY_PROFILES } from '../chaos/intensity';
import type { SeededRandom } from '../random';
import { FaultSchedule, type ScheduleEntry } from '../chaos/schedule';
import type { SimulationClock } from './simulation-clock';

/** A call from one simulated service to another. */
export interface DependencySpec {
  readonly service: string;
  /** The caller's timeout per attempt, ms. */
  readonly timeoutMs: number;
  /** An optional dependency's failure degrades the answer (a fallback) instead of failing it. */
  readonly optional: boolean;
}

/** A simulated downstream service. */
export interface ServiceSpec {
  readonly name: string;
  /** Workers: requests it serves at once. More wait in a queue. */
  readonly capacity: number;
  /** Requests that may wait for a worker; more are shed. Default QUEUE_FACTOR x capacity. */
  readonly queueLimit?: number;
  /** Latency of its own work when healthy, ms. */
  readonly latencyMs: number;
  /** What goes wrong and when (ms from the start), in the fault injector's vocabulary. */
  readonly faults?: readonly ScheduleEntry[];
  /**
   * Time it needs after a fault ends to be healthy again (a restart, cache warm-up), counted at
   * the rate 1 - load/capacity: a service kept busy while it recovers recovers slower, or never.
   */
  readonly warmupMs?: number;
  /** Services it calls, in order, for every request. */
  readonly dependencies?: readonly DependencySpec[];
}

/** A failed answer of a simulated service, with the errno-style code of what went wrong. */
export class ServiceError extends Error {
  constructor(
    readonly service: string,
    readonly code: string,
  ) {
    super(`${service}: ${code}`);
    this.name = 'ServiceError';
  }
}

/** Default queue length, as a multiple of the capacity; arrivals past it are shed (answered 503 at once). */
export const QUEUE_FACTOR = 4;
/** How long a service holds a hung request before giving up on it itself, ms. */
export const HANG_LIMIT_MS = 30_000;
/** A service that just recovered is up to this many times slower than its nominal latency. */
export const COLD_FACTOR = 9;
/** A refused or shed request is answered after this long, ms. */
const FAST_FAIL_MS = 1;

/** An outage of a service: from the fault's start to its nominal end, and when it was healthy again. */
export interface Incident {
  readonly service: string;
  readonly start: number;
  /** When the fault ended (the root cause was fixed). */
  end: number;
  /** When the service had warmed up and was healthy again; null if it never was within the run. */
  healedAt: number | null;
}

/** Calls one dependency through its edge (guard, counters); resolves on success, rejects on failure. */
export type DependencyCall = (dependency: DependencySpec) => Promise<void>;

/**
 * A downstream service on virtual time: a capacity, a latency that grows with its queue, faults
 * from a schedule, and a warm-up after each fault that load slows down.
 */
export class SimService {
  readonly name: string;
  /** Workers busy with a request (own work and dependency calls). */
  busy = 0;
  readonly incidents: Incident[] = [];
  /** Requests it received while sick (fault or warm-up), and the integral of busy workers over that time (ms). */
  sickArrivals = 0;
  sickBusyMs = 0;
  sickMs = 0;
  /** Answers per bucket: [ok, failed] counts, for cascade detection. */
  readonly answered: number[] = [];
  readonly failedAnswers: number[] = [];

  private readonly schedule: FaultSchedule;
  private readonly queue: Array<() => void> = [];
  private readonly queueLimit: number;
  private readonly warmupMs: number;
  private faulted = false;
  private warming = false;
  private progressMs = 0;
  private lastUpdate: number;

  constructor(
    readonly spec: ServiceSpec,
    private readonly clock: SimulationClock,
    private readonly random: SeededRandom,
    private readonly bucketMs: number,
    private readonly callDependency: DependencyCall,
  ) {
    this.name = spec.name;
    this.schedule = new FaultSchedule(spec.faults ?? []);
    this.warmupMs = spec.warmupMs ?? 0;
    this.queueLimit = spec.queueLimit ?? spec.capacity * QUEUE_FACTOR;
    this.lastUpdate = clock.now();
    // Wake at every fault boundary, so an incident starts and ends on time even with no traffic.
    for (const fault of spec.faults ?? []) {
      for (const at of [fault.from, fault.to]) clock.setTimeout(() => this.update(), at - clock.now());
    }
  }

  /**
   * Serves one request: resolves when answered well, rejects with a ServiceError otherwise. It
   * waits for a free worker in a FIFO queue (shed at once when the queue is full), and holds the
   * worker for its own work and its calls to its dependencies.
   */
  handle(): Promise<void> {
    this.update();
    if (this.sick()) this.sickArrivals++;
    let holdMs = this.spec.latencyMs;
    let code: string | undefined;
    for (const fault of this.schedule.activeAt(this.clock.now())) {
      const profile = INTENSITY_PROFILES[fault.intensity];
      if (!this.random.chance(profile.rate)) continue;
      if (fault.type === 'latency') {
        holdMs += profile.latencyMs;
        continue;
      }
      // A process that is down refuses at once and holds nothing.
      if (fault.type === 'connection-refused') return this.fastFail('ECONNREFUSED');
      if (fault.type === 'crash') return this.fastFail('ECHAOSCRASH');
      if (fault.type === 'hang') {
        holdMs = Math.min(profile.hangMs, HANG_LIMIT_MS);
        code = 'ETIMEDOUT';
      } else if (fault.type === 'connection-reset') {
        code = 'ECONNRESET';
      } else if (fault.type === 'resource-exhaustion') {
        code = profile.exhaustionCode;
      } else {
        code = 'E500';
      }
      break;
    }
    if (this.warming) {
      // A warming service is cold (caches, JIT, pools): slower by up to COLD_FACTOR, and failing a
      // share of calls, both shrinking as it warms. Slower calls hold workers longer, so the load
      // it gets decides how fast it warms.
      const cold = 1 - this.progressMs / this.warmupMs;
      holdMs *= 1 + COLD_FACTOR * cold;
      if (code === undefined && this.random.chance(cold)) code = 'EWARMING';
    }
    if (this.busy >= this.spec.capacity && this.queue.length >= this.queueLimit) return this.fastFail('EOVERLOAD');
    return new Promise<void>((resolve, reject) => {
      const work = () => this.work(holdMs, code, resolve, reject);
      if (this.busy < this.spec.capacity) work();
      else this.queue.push(work);
    });
  }

  /** Requests being served or waiting for a worker. */
  get inFlight(): number {
    return this.busy + this.queue.length;
  }

  /**
   * The chance that a request sent now would be answered well (by this service's own state, not
   * its dependencies'), within `timeoutMs`: what a refused call would have had.
   */
  successProbability(timeoutMs: number): number {
    this.update();
    if (this.busy >= this.spec.capacity && this.queue.length >= this.queueLimit) return 0;
    const cold = this.warming ? 1 - this.progressMs / this.warmupMs : 0;
    const workMs = this.spec.latencyMs * (1 + COLD_FACTOR * cold);
    // Waiting for a worker: the requests ahead, served capacity at a time.
    const waitMs = this.busy >= this.spec.capacity ? ((this.queue.length + 1) / this.spec.capacity) * workMs : 0;
    let p = 1 - cold;
    let extraMs = 0;
    let extraRate = 0;
    for (const fault of this.schedule.activeAt(this.clock.now())) {
      const profile = INTENSITY_PROFILES[fault.intensity];
      if (fault.type === 'latency') {
        extraRate = profile.rate;
        extraMs = profile.latencyMs;
      } else {
        p *= 1 - profile.rate;
      }
    }
    if (waitMs + workMs >= timeoutMs) return 0;
    if (waitMs + workMs + extraMs >= timeoutMs) p *= 1 - extraRate;
    return p;
  }

  /** Whether a fault is active or the service is still warming up after one. */
  sick(): boolean {
    return this.faulted || this.warming;
  }

  /** Brings the load integrals, the warm-up and the incident log up to now. */
  update(): void {
    const now = this.clock.now();
    const dt = now - this.lastUpdate;
    if (dt > 0 && this.sick()) {
      this.sickMs += dt;
      this.sickBusyMs += this.busy * dt;
      if (this.warming) this.warm(dt);
    }
    this.lastUpdate = now;
    const faulted = this.schedule.activeAt(now).length > 0;
    if (faulted && !this.faulted) {
      if (!this.warming) this.incidents.push({ service: this.name, start: now, end: now, healedAt: null });
      this.warming = false;
    } else if (!faulted && this.faulted) {
      this.incidents[this.incidents.length - 1].end = now;
      this.progressMs = 0;
      this.warming = this.warmupMs > 0;
      if (!this.warming) this.incidents[this.incidents.length - 1].healedAt = now;
    }
    this.faulted = faulted;
  }

  /** Warm-up progress over dt ms at the current load; records the exact moment it completes. */
  private warm(dt: number): void {
    const rate = Math.max(0, 1 - this.busy / this.spec.capacity);
    if (rate === 0) return;
    const needed = (this.warmupMs - this.progressMs) / rate;
    if (needed <= dt) {
      this.warming = false;
      this.incidents[this.incidents.length - 1].healedAt = this.clock.now() - dt + needed;
    } else {
      this.progressMs += dt * rate;
    }
  }

  /** Holds a worker for holdMs, then calls the dependencies (unless the work failed), then answers. */
  private work(
    holdMs: number,
    code: string | undefined,
    resolve: () => void,
    reject: (error: ServiceError) => void,
  ): void {
    this.update();
    this.busy++;
    this.clock.setTimeout(() => {
      const finish = (failure: string | undefined) => {
        this.update();
        this.busy--;
        this.count(failure === undefined);
        if (failure === undefined) resolve();
        else reject(new ServiceError(this.name, failure));
        this.queue.shift()?.();
      };
      if (code !== undefined) return finish(code);
      this.callDependencies().then(
        () => finish(undefined),
        (error: ServiceError) => finish(error.code),
      );
    }, holdMs);
  }

  /** An answer that needs no worker (refused, shed): a failure after FAST_FAIL_MS. */
  private fastFail(code: string): Promise<void> {
    return new Promise<void>((_, reject) => {
      this.clock.setTimeout(() => {
        this.count(false);
        reject(new ServiceError(this.name, code));
      }, FAST_FAIL_MS);
    });
  }

  /** Calls each dependency in order; a required one's failure fails the request, an optional one's is absorbed. */
  private async callDependencies(): Promise<void> {
    for (const dependency of this.spec.dependencies ?? []) {
      try {
        await this.callDependency(dependency);
      } catch (error) {
        if (!dependency.optional) throw new ServiceError(this.name, `EDEPENDENCY:${dependency.service}`);
      }
    }
  }

  private count(ok: boolean): void {
    const bucket = Math.floor(this.clock.now() / this.bucketMs);
    while (this.answered.length <= bucket) {
      this.answered.push(0);
      this.failedAnswers.push(0);
    }
    this.answered[bucket]++;
    if (!ok) this.failedAnswers[bucket]++;
  }
}
