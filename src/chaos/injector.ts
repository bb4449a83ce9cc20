import type { CircuitBreaker } from '../breaker';
import { realTimers, type Timers } from '../clock';
import type { Disposer } from '../events';
import type { StateName } from '../state';
import { faultError, type InjectedFault } from './fault-errors';
import { FAULT_TYPES, TIMED_FAULTS, checkFaultType, type FaultType } from './fault-types';
import { circuitStats, emptyStats, type FailureStats } from './failure-stats';
import { INTENSITIES, INTENSITY_PROFILES, checkIntensity, type Intensity } from './intensity';
import { SeededRandom } from '../random';
import { FaultSchedule, type ActiveFault, type ScheduleEntry } from './schedule';
import { knownOptions } from '../options-object';

/** Options of a FaultInjector; all optional. */
export interface FaultInjectorOptions {
  /**
   * A breaker to link: faults adapt to its state (closed: every intensity; half-open: mild and
   * moderate; open: none), and injected faults are recorded in it as failures (see below).
   */
  breaker?: CircuitBreaker;
  /** Also record mild and moderate faults in the linked breaker. Severe and crash faults always are. Default false. */
  recordMildAndModerate?: boolean;
  /** Seed of the draws that decide which calls a fault hits. Default 1. */
  seed?: number;
  /** Time and timers for latency, hangs and schedules: a ManualClock in tests. Default real time. */
  timers?: Timers;
  /** Faults by time window, relative to the injector's creation. */
  schedule?: readonly ScheduleEntry[];
}

/** Options of injectRandom(). */
export interface RandomFaultOptions {
  /** Never pick the severe intensity (nor a crash). Default false. */
  excludeSevere?: boolean;
}

/** Which intensities each circuit state lets through. */
const ALLOWED: Record<StateName, ReadonlySet<Intensity>> = {
  closed: new Set(INTENSITIES),
  disabled: new Set(INTENSITIES),
  'half-open': new Set<Intensity>(['mild', 'moderate']),
  open: new Set<Intensity>(),
  'forced-open': new Set<Intensity>(),
};

/**
 * Wraps functions and injects faults into their calls: errors, rejections, hangs, latency,
 * connection and resource errors, crashes, at a documented intensity (docs/chaos.md). Faults come
 * from inject()/injectRandom() (until disposed) and from a schedule; each call draws, from a
 * seeded generator, whether an active fault hits it.
 */
export class FaultInjector {
  private readonly breaker: CircuitBreaker | undefined;
  private readonly recordMildAndModerate: boolean;
  private readonly random: SeededRandom;
  private readonly timers: Timers;
  private readonly start: number;
  private readonly manual: ActiveFault[] = [];
  private schedules: FaultSchedule[] = [];
  private stats = emptyStats();

  constructor(given?: FaultInjectorOptions) {
    const options = knownOptions(given, 'breakwater/chaos: FaultInjector options', {
      breaker: true,
      recordMildAndModerate: true,
      seed: true,
      timers: true,
      schedule: true,
    });
    const { breaker, recordMildAndModerate = false, seed = 1, timers = realTimers, schedule } = options;
    if (
      breaker !== undefined &&
      (typeof breaker !== 'object' ||
        typeof breaker.recordFailure !== 'function' ||
        typeof breaker.getState !== 'function')
    ) {
      throw new TypeError('breakwater/chaos: FaultInjector option "breaker" must be a CircuitBreaker');
    }
    if (typeof recordMildAndModerate !== 'boolean') {
      throw new TypeError(
        `breakwater/chaos: FaultInjector option "recordMildAndModerate" must be a boolean, got ${String(recordMildAndModerate)}`,
      );
    }
    if (
      timers === null ||
      typeof timers !== 'object' ||
      typeof timers.now !== 'function' ||
      typeof timers.setTimeout !== 'function'
    ) {
      throw new TypeError(
        'breakwater/chaos: FaultInjector option "timers" must have now(), setTimeout() and clearTimeout() (a ManualClock will do)',
      );
    }
    this.breaker = breaker;
    this.recordMildAndModerate = recordMildAndModerate;
    this.random = new SeededRandom(seed);
    this.timers = timers;
    this.start = timers.now();
    if (schedule !== undefined) this.schedules.push(new FaultSchedule(schedule));
  }

  /** Injects a fault into later calls until the returned disposer (or clear()) removes it. */
  inject(type: FaultType, intensity: Intensity): Disposer {
    const fault: ActiveFault = {
      type: checkFaultType(type, 'inject(type)'),
      intensity: checkIntensity(intensity, 'inject(intensity)'),
    };
    this.manual.push(fault);
    return () => {
      const index = this.manual.indexOf(fault);
      if (index >= 0) this.manual.splice(index, 1);
    };
  }

  /** Injects a fault of a random type and intensity (drawn from the seed); returns it and its disposer. */
  injectRandom(options?: RandomFaultOptions): ActiveFault & { stop: Disposer } {
    const { excludeSevere = false } = knownOptions(options, 'breakwater/chaos: injectRandom(options)', {
      excludeSevere: true,
    });
    if (typeof excludeSevere !== 'boolean')
      throw new TypeError(
        `breakwater/chaos: injectRandom option "excludeSevere" must be a boolean, got ${String(excludeSevere)}`,
      );
    const types = excludeSevere ? FAULT_TYPES.filter((t) => t !== 'crash') : FAULT_TYPES;
    const intensities = excludeSevere ? INTENSITIES.filter((i) => i !== 'severe') : INTENSITIES;
    const type = this.random.pick(types);
    const intensity = this.random.pick(intensities);
    return { type, intensity, stop: this.inject(type, intensity) };
  }

  /** Adds scheduled faults (times relative to the injector's creation); the disposer removes them. */
  schedule(entries: readonly ScheduleEntry[]): Disposer {
    const schedule = new FaultSchedule(entries);
    this.schedules.push(schedule);
    return () => {
      this.schedules = this.schedules.filter((s) => s !== schedule);
    };
  }

  /** Removes every injected and scheduled fault. */
  clear(): void {
    this.manual.length = 0;
    this.schedules = [];
  }

  /** The faults in force now (injected, then scheduled), before state adaptation. */
  activeFaults(): ActiveFault[] {
    const elapsed = this.timers.now() - this.start;
    return [...this.manual, ...this.schedules.flatMap((s) => s.activeAt(elapsed))];
  }

  /**
   * An async version of fn that suffers the active faults. The wrapper throws synchronously for
   * `throw` faults (as a function that throws before its first await), and otherwise returns a
   * promise. A hang or latency ends early when the call's AbortSignal aborts: the signal of a
   * CallContext (what breaker.execute passes last) or any AbortSignal among the arguments.
   */
  wrap<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>): (...args: A) => Promise<Awaited<T>> {
    if (typeof fn !== 'function') throw new TypeError(`breakwater/chaos: wrap(fn) needs a function, got ${typeof fn}`);
    return (...args: A): Promise<Awaited<T>> => {
      const fault = this.draw(false);
      if (fault === undefined) return Promise.resolve(fn(...args)) as Promise<Awaited<T>>;
      const error = faultError(fault.type, fault.intensity, INTENSITY_PROFILES[fault.intensity].exhaustionCode);
      if (fault.type === 'throw') throw this.recorded(fault, error!);
      if (TIMED_FAULTS.has(fault.type)) return this.delayed(fault, error, findSignal(args), () => fn(...args));
      return Promise.reject(this.recorded(fault, error!));
    };
  }

  /**
   * A synchronous version of fn that suffers the active faults that need no time: latency and hangs
   * cannot delay a synchronous call, so they are counted as notApplicable and the call runs. A
   * `reject` fault throws, as a synchronous function can only fail by throwing.
   */
  wrapSync<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    if (typeof fn !== 'function')
      throw new TypeError(`breakwater/chaos: wrapSync(fn) needs a function, got ${typeof fn}`);
    return (...args: A): T => {
      const fault = this.draw(true);
      if (fault !== undefined)
        throw this.recorded(
          fault,
          faultError(fault.type, fault.intensity, INTENSITY_PROFILES[fault.intensity].exhaustionCode)!,
        );
      return fn(...args);
    };
  }

  /** Injected counts by type and intensity and, when linked, the circuit's state and how near it is to tripping. */
  getFailureStats(): FailureStats {
    const copy: FailureStats = structuredClone(this.stats);
    if (this.breaker !== undefined) copy.circuit = circuitStats(this.breaker);
    return copy;
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.stats = emptyStats();
  }

  /** Decides the fault (if any) of one call and counts it. */
  private draw(sync: boolean): ActiveFault | undefined {
    this.stats.calls++;
    const active = this.activeFaults();
    if (active.length === 0) return undefined;
    const allowed = this.breaker === undefined ? undefined : ALLOWED[this.breaker.getState()];
    for (const fault of active) {
      // Draw first, so that whether a call is hit does not depend on the circuit's state.
      if (!this.random.chance(INTENSITY_PROFILES[fault.intensity].rate)) continue;
      if (allowed !== undefined && !allowed.has(fault.intensity)) {
        this.stats.suppressed++;
        continue;
      }
      if (sync && TIMED_FAULTS.has(fault.type)) {
        this.stats.notApplicable++;
        continue;
      }
      this.stats.injected++;
      this.stats.byType[fault.type]++;
      this.stats.byIntensity[fault.intensity]++;
      this.stats.byTypeAndIntensity[fault.type][fault.intensity]++;
      return fault;
    }
    return undefined;
  }

  /** Records the fault in the linked breaker when the rules say so; returns the error. */
  private recorded<E>(fault: ActiveFault, error: E, latencyMs?: number): E {
    if (
      this.breaker !== undefined &&
      (fault.intensity === 'severe' || fault.type === 'crash' || this.recordMildAndModerate)
    ) {
      this.stats.recorded++;
      this.breaker.recordFailure(error, latencyMs);
    }
    return error;
  }

  /** A latency or hang fault: waits (or until aborted), then runs the call. */
  private delayed<T>(
    fault: ActiveFault,
    error: InjectedFault | undefined,
    signal: AbortSignal | undefined,
    run: () => T | PromiseLike<T>,
  ): Promise<Awaited<T>> {
    const profile = INTENSITY_PROFILES[fault.intensity];
    const waitMs = fault.type === 'latency' ? profile.latencyMs : profile.hangMs;
    return new Promise<Awaited<T>>((resolve, reject) => {
      let timer: unknown;
      // Cut short by the caller's abort, the fault is the caller's to count (a breaker's timeout
      // records it), so the injector does not record it a second time.
      const onAbort = () => {
        this.timers.clearTimeout(timer);
        reject(signal!.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      // A hang with no end and no signal never settles: that is the fault.
      if (waitMs === Infinity) return;
      timer = this.timers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        this.recorded(
          fault,
          error ?? new Error(`breakwater/chaos: ${fault.intensity} latency of ${waitMs} ms (injected)`),
          waitMs,
        );
        try {
          Promise.resolve(run()).then(resolve as (value: T) => void, reject);
        } catch (thrown) {
          reject(thrown);
        }
      }, waitMs);
    });
  }
}

/** The AbortSignal among a call's arguments: a CallContext's (passed last by execute) or a bare one. */
function findSignal(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const arg = args[i];
    if (arg instanceof AbortSignal) return arg;
    if (arg !== null && typeof arg === 'object' && (arg as { signal?: unknown }).signal instanceof AbortSignal)
      return (arg as { signal: AbortSignal }).signal;
  }
  return undefined;
}
