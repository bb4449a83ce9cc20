import { EventEmitter } from 'node:events';
import { LatencyLog } from './latency-log';
import { realScheduler, type Scheduled, type Scheduler } from './scheduler';
import { show } from '../../error-message';

/** One bucket of opossum's rolling window: counters of what the breaker did while it was current. */
export interface Bucket {
  failures: number;
  fallbacks: number;
  successes: number;
  rejects: number;
  fires: number;
  timeouts: number;
  cacheHits: number;
  cacheMisses: number;
  coalesceCacheHits: number;
  coalesceCacheMisses: number;
  semaphoreRejections: number;
  percentiles: Record<string, number>;
  latencyTimes: number[];
  isCircuitBreakerOpen?: boolean;
  [extra: string]: unknown;
}

/** The counters summed by `stats` (every numeric field of a bucket). */
export type CounterName = Exclude<keyof Bucket, 'percentiles' | 'latencyTimes' | 'isCircuitBreakerOpen' | number>;

/** `stats`: the window's sums, with latency mean and percentiles (-1 when percentiles are off). */
export type Stats = Bucket & { latencyMean: number };

/** Options Status reads (a breaker passes its own options). */
export interface StatusOptions {
  rollingCountBuckets?: number;
  rollingCountTimeout?: number;
  rollingPercentilesEnabled?: boolean;
  enableSnapshots?: boolean;
  /** An EventEmitter whose 'rotate' events rotate the buckets instead of time. */
  rotateBucketController?: EventEmitter;
  /** Counters to start the current bucket with (a previous `stats`). */
  stats?: Partial<Stats>;
}

/**
 * The rotateBucketController option: none when falsy (as opossum, which rotates on time then),
 * else an EventEmitter, checked here: a value that is not one failed later, in shutdown() or
 * disable(), and any falsy one stopped the window from rotating at all.
 */
export function rotationController(value: unknown): EventEmitter | undefined {
  if (!value) return undefined;
  const emitter = value as Partial<EventEmitter>;
  if (
    typeof emitter.on !== 'function' ||
    typeof emitter.removeListener !== 'function' ||
    typeof emitter.listeners !== 'function'
  )
    throw new TypeError(
      `breakwater/opossum: option "rotateBucketController" must be an EventEmitter, got ${show(value)}`,
    );
  return value as EventEmitter;
}

const PERCENTILES = [0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 1];
const ROTATE = 'rotate';

function bucket(): Bucket {
  return {
    failures: 0,
    fallbacks: 0,
    successes: 0,
    rejects: 0,
    fires: 0,
    timeouts: 0,
    cacheHits: 0,
    cacheMisses: 0,
    coalesceCacheHits: 0,
    coalesceCacheMisses: 0,
    semaphoreRejections: 0,
    percentiles: {},
    latencyTimes: [],
  };
}

function percentile(p: number, sorted: number[]): number {
  if (p === 0) return sorted[0] || 0;
  return sorted[Math.ceil(p * sorted.length) - 1] || 0;
}

/**
 * opossum's Status: the rolling window of the counters the core has no notion of (fires,
 * fallbacks, cache hits, ...) and the latency samples opossum reports. It keeps no interval:
 * buckets rotate lazily, by elapsed bucket periods, whenever the window is read or written, and
 * 'snapshot' events come from the per-thread scheduler, only while someone listens.
 */
export class Status extends EventEmitter {
  /** Whether `stats` computes latency mean and percentiles. */
  rollingPercentilesEnabled: boolean;
  /** Whether 'snapshot' is emitted once per bucket period. */
  enableSnapshots: boolean;
  rotateBucketController: EventEmitter | undefined;
  /** Rotates the window by one bucket (what a rotateBucketController's 'rotate' runs). */
  readonly rotateBucket: () => void;

  private readonly buckets: Bucket[];
  /** Each bucket's latencies not yet in its latencyTimes (same order as buckets). */
  private readonly logs: LatencyLog[];
  private readonly interval: number;
  /** @internal The clock the window rotates on (a breaker passes its own readings when it shares it). */
  readonly scheduler: Scheduler;
  private readonly startedAt: number;
  private rotations = 0;
  /** When the next time-driven rotation is due: before it, a count needs no rotation check. */
  private nextRotationAt: number;
  private stopped = false;
  private nextSnapshot: Scheduled | undefined;

  constructor(options: StatusOptions = {}, scheduler: Scheduler = realScheduler) {
    super();
    const count = options.rollingCountBuckets || 10;
    const timeout = options.rollingCountTimeout || 10000;
    this.buckets = Array.from({ length: count }, bucket);
    this.logs = Array.from({ length: count }, () => new LatencyLog());
    // opossum rotates on setInterval(floor(timeout / buckets)), which runs at least every ms.
    this.interval = Math.max(1, Math.floor(timeout / count));
    this.scheduler = scheduler;
    this.startedAt = scheduler.now();
    this.nextRotationAt = this.startedAt + this.interval;
    this.rollingPercentilesEnabled = options.rollingPercentilesEnabled !== false;
    this.enableSnapshots = options.enableSnapshots !== false;
    this.rotateBucketController = rotationController(options.rotateBucketController);
    this.rotateBucket = () => {
      this.buckets.pop();
      this.buckets.unshift(bucket());
      this.logs.pop();
      this.logs.unshift(new LatencyLog());
    };
    if (this.rotateBucketController) this.startListeneningForRotateEvent();
    if (options.stats) this.buckets[0] = { ...bucket(), ...options.stats } as Bucket;
    this.on('newListener', (event) => {
      if (event === 'snapshot' && this.nextSnapshot === undefined) this.scheduleSnapshot();
    });
  }

  /** The window's totals, with latencyMean and percentiles. */
  get stats(): Stats {
    this.catchUp();
    this.expandLatencies();
    const totals = bucket() as Stats;
    const counters = Object.keys(totals).filter((key) => key !== 'latencyTimes' && key !== 'percentiles');
    for (const b of this.buckets) {
      if (!b) continue;
      for (const key of counters) (totals[key] as number) += (b[key] as number) || 0;
      if (this.rollingPercentilesEnabled && b.latencyTimes)
        totals.latencyTimes = totals.latencyTimes.concat(b.latencyTimes);
    }
    if (this.rollingPercentilesEnabled) {
      const times = totals.latencyTimes.sort((a, b) => a - b);
      totals.latencyMean = times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0;
      for (const p of PERCENTILES) totals.percentiles[p] = percentile(p, times);
    } else {
      totals.latencyMean = -1;
      for (const p of PERCENTILES) totals.percentiles[p] = -1;
    }
    return totals;
  }

  /** @internal The window's total of one counter (what a trip decision reads, without percentiles). */
  sum(counter: CounterName): number {
    this.catchUp();
    let total = 0;
    for (const b of this.buckets) total += (b?.[counter] as number) || 0;
    return total;
  }

  /** A copy of the buckets, newest first. */
  get window(): Bucket[] {
    this.catchUp();
    this.expandLatencies();
    return this.buckets.slice();
  }

  /** Counts one event in the current bucket; outcomes also record their latency. */
  increment(property: CounterName, latencyRunTime?: number): void {
    this.catchUp();
    const current = this.buckets[0];
    (current[property] as number)++;
    if (property === 'successes' || property === 'failures' || property === 'timeouts')
      this.logs[0].push(latencyRunTime || 0);
  }

  /**
   * @internal increment('fires') for the guarded call's fast path (no counter looked up by name),
   * at `now`, a reading of this status's own scheduler.
   */
  countFire(now: number): void {
    this.catchUp(now);
    this.buckets[0].fires++;
  }

  /** @internal increment('successes', latency) for the fast path, at `now` (as countFire()). */
  countSuccess(latency: number, now: number): void {
    this.catchUp(now);
    this.buckets[0].successes++;
    this.logs[0].push(latency || 0);
  }

  /** Marks the current bucket as one in which the circuit opened. */
  open(): void {
    this.catchUp();
    this.buckets[0].isCircuitBreakerOpen = true;
  }

  /** Marks the current bucket as one in which the circuit closed. */
  close(): void {
    this.catchUp();
    this.buckets[0].isCircuitBreakerOpen = false;
  }

  /** Stops rotating and snapshotting and drops every listener. */
  shutdown(): void {
    this.removeAllListeners();
    this.removeRotateBucketControllerListener();
    this.catchUp();
    this.stopped = true;
    this.scheduler.cancel(this.nextSnapshot);
    this.nextSnapshot = undefined;
  }

  /** Stops following the rotateBucketController's 'rotate' events. */
  removeRotateBucketControllerListener(): void {
    this.rotateBucketController?.removeListener(ROTATE, this.rotateBucket);
  }

  /** Follows the rotateBucketController's 'rotate' events again (once). (opossum's spelling.) */
  startListeneningForRotateEvent(): void {
    const controller = this.rotateBucketController;
    if (controller && controller.listeners(ROTATE).indexOf(this.rotateBucket) < 0)
      controller.on(ROTATE, this.rotateBucket);
  }

  /** Rotates once per bucket period elapsed since the last look (time-driven windows only). */
  private catchUp(now: number = this.scheduler.now()): void {
    if (now < this.nextRotationAt || this.rotateBucketController !== undefined || this.stopped) return;
    const due = Math.floor((now - this.startedAt) / this.interval);
    const behind = due - this.rotations;
    this.nextRotationAt = this.startedAt + (Math.max(due, this.rotations) + 1) * this.interval;
    if (behind <= 0) return;
    if (behind >= this.buckets.length) {
      for (let i = 0; i < this.buckets.length; i++) {
        this.buckets[i] = bucket();
        this.logs[i] = new LatencyLog();
      }
    } else {
      for (let i = 0; i < behind; i++) this.rotateBucket();
    }
    this.rotations = due;
  }

  /** Moves the recorded latencies into the buckets' latencyTimes, where readers of the window see them. */
  private expandLatencies(): void {
    for (let i = 0; i < this.buckets.length; i++) {
      const b = this.buckets[i];
      // An imported bucket may lack the array (opossum would then throw on its next push).
      if (b !== undefined && Array.isArray(b.latencyTimes)) this.logs[i].drainInto(b.latencyTimes);
    }
  }

  /** Arms the next 'snapshot' at the next bucket boundary; stops when nobody listens. */
  private scheduleSnapshot(): void {
    if (!this.enableSnapshots || this.stopped) return;
    const elapsed = this.scheduler.now() - this.startedAt;
    const wait = this.interval - (elapsed % this.interval) || this.interval;
    this.nextSnapshot = this.scheduler.after(wait, () => {
      this.nextSnapshot = undefined;
      if (this.listenerCount('snapshot') === 0) return;
      this.emit('snapshot', this.stats);
      this.scheduleSnapshot();
    });
  }
}
