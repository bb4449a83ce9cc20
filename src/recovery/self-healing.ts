import type { Timers } from '../clock';
import type { Disposer } from '../events';
import type { BreakerEvent } from '../registry/event';
import { resolveProfile } from '../options';
import { Registry } from '../registry/registry';
import { checkTimers, systemTimers } from './timing';
import { show } from '../error-message';

/** Inclusive bounds of a tuned option. */
export interface SelfHealingBounds {
  min: number;
  max: number;
}

export interface SelfHealingOptions {
  registry: Registry;
  /** The breaker whose history gets the 'self-heal' events, e.g. a pool's: `{ kind: 'pool', name }`. */
  eventsOn: { kind: string; name: string };
  /** Kinds whose configuration is tuned. Default ['worker', 'hardware']. */
  kinds?: readonly string[];
  /** Observations a rule needs before it changes anything. Default 3. */
  minEvidence?: number;
  /** Relative change of recoveryTimeout per adjustment (0..1). Default 0.25. */
  step?: number;
  /** Default { min: 1000, max: 300000 }. */
  recoveryTimeout?: SelfHealingBounds;
  /** Default { min: 2, max: 20 }. */
  failureThreshold?: SelfHealingBounds;
  /** Counts only the recoveries of this pool (their events' detail.pool); default every pool's. */
  pool?: string;
  /** Timers for start(); default wall-clock time. */
  timers?: Timers;
}

/** One change self-healing made (also an event in the history). */
export interface SelfHealingChange {
  kind: string;
  option: 'recoveryTimeout' | 'failureThreshold';
  before: number;
  after: number;
  because: string;
}

/** What the history showed for one kind since the last adjustment. */
interface Evidence {
  probeSuccesses: number;
  probeFailures: number;
  trips: number;
  retryFixes: number;
  switchFixes: number;
  recoveries: number;
}

const KNOWN = new Set([
  'registry',
  'eventsOn',
  'kinds',
  'minEvidence',
  'step',
  'recoveryTimeout',
  'failureThreshold',
  'pool',
  'timers',
]);

/**
 * Tunes per-kind breaker configuration from the recovery history, within bounds, one step per
 * adjustment, every change an event:
 *
 * - recoveryTimeout: when at least 4 of 5 half-open probes succeed, circuits stayed open longer than
 *   the faults lasted: shorten it by `step`. When half the probes or more fail, lengthen it.
 * - failureThreshold: when trips happened and retries on the same worker fixed at least 4 of 5
 *   recoveries, the faults were transient and tripping early cost capacity: raise it by 1. When a
 *   switch away (worker, or class for 'hardware') fixed half or more, the targets were really
 *   failing: lower it by 1, so the pool routes around them sooner.
 */
export class SelfHealingConfig {
  private readonly registry: Registry;
  private readonly eventsOn: { kind: string; name: string };
  private readonly kinds: readonly string[];
  private readonly minEvidence: number;
  private readonly step: number;
  private readonly bounds: { recoveryTimeout: SelfHealingBounds; failureThreshold: SelfHealingBounds };
  private readonly timers: Timers;
  private readonly pool: string | undefined;
  private evidence = new Map<string, Evidence>();
  private readonly unsubscribe: Disposer;
  private timer: unknown;
  /** Every change made, oldest first. */
  readonly changes: SelfHealingChange[] = [];

  constructor(options: SelfHealingOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('breakwater/recovery: self-healing options must be an object');
    for (const key of Object.keys(options))
      if (!KNOWN.has(key)) throw new TypeError(`breakwater/recovery: unknown self-healing option "${key}"`);
    if (!(options.registry instanceof Registry))
      throw new TypeError('breakwater/recovery: self-healing option "registry" must be a Registry');
    const on = options.eventsOn;
    if (
      on === null ||
      typeof on !== 'object' ||
      typeof on.kind !== 'string' ||
      typeof on.name !== 'string' ||
      options.registry.get(on.kind, on.name) === undefined
    ) {
      throw new TypeError(
        `breakwater/recovery: self-healing option "eventsOn" must name a breaker of the registry ({ kind, name }), got ${show(on)}`,
      );
    }
    const kinds = options.kinds ?? ['worker', 'hardware'];
    if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => typeof k !== 'string' || k.length === 0)) {
      throw new TypeError(
        `breakwater/recovery: self-healing option "kinds" must be a non-empty list of kinds, got ${show(kinds)}`,
      );
    }
    this.registry = options.registry;
    this.eventsOn = { kind: on.kind, name: on.name };
    this.kinds = [...kinds];
    this.minEvidence = integer('minEvidence', options.minEvidence, 3, 1, 1_000_000);
    const step = options.step ?? 0.25;
    if (typeof step !== 'number' || !(step > 0 && step < 1))
      throw new RangeError(
        `breakwater/recovery: self-healing option "step" must be a number between 0 and 1 (exclusive), got ${String(step)}`,
      );
    this.step = step;
    this.bounds = {
      recoveryTimeout: bounds('recoveryTimeout', options.recoveryTimeout, { min: 1000, max: 300_000 }, 1),
      failureThreshold: bounds('failureThreshold', options.failureThreshold, { min: 2, max: 20 }, 1),
    };
    this.timers = options.timers === undefined ? systemTimers : checkTimers('timers', options.timers);
    if (options.pool !== undefined && (typeof options.pool !== 'string' || options.pool.length === 0))
      throw new TypeError(
        `breakwater/recovery: self-healing option "pool" must be a non-empty string, got ${show(options.pool)}`,
      );
    this.pool = options.pool;
    this.unsubscribe = this.registry.onEvent((event) => this.observe(event));
  }

  /** Applies the rules to the history since the last adjustment; returns the changes made. */
  adjust(): SelfHealingChange[] {
    const made: SelfHealingChange[] = [];
    const evidence = this.evidence;
    this.evidence = new Map();
    for (const kind of this.kinds) {
      const seen = evidence.get(kind);
      if (seen === undefined) continue;
      const profile = resolveProfile(this.registry.kindConfiguration(kind));
      const timeout = this.timeoutChange(kind, seen, profile.recoveryTimeout);
      if (timeout !== undefined) made.push(timeout);
      const threshold = this.thresholdChange(kind, seen, profile.failureThreshold);
      if (threshold !== undefined) made.push(threshold);
    }
    for (const change of made) this.apply(change);
    return made;
  }

  /** Adjusts every `everyMs` on the timers until stop(). */
  start(everyMs: number): void {
    if (!Number.isFinite(everyMs) || everyMs < 1)
      throw new RangeError(
        `breakwater/recovery: self-healing start(everyMs) needs a number of ms >= 1, got ${String(everyMs)}`,
      );
    this.stop();
    const schedule = () => {
      this.timer = this.timers.setTimeout(() => {
        this.adjust();
        schedule();
      }, everyMs);
      // A wall-clock timer must not keep the process alive on its own.
      (this.timer as { unref?: () => void } | undefined)?.unref?.();
    };
    schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops and stops listening to the registry. */
  dispose(): void {
    this.stop();
    this.unsubscribe();
  }

  // In both rules a value already outside its bounds (set by hand) is never moved further out, nor
  // moved against the rule's direction by the clamp.
  private timeoutChange(kind: string, seen: Evidence, current: number): SelfHealingChange | undefined {
    const probes = seen.probeSuccesses + seen.probeFailures;
    if (probes < this.minEvidence) return undefined;
    const failShare = seen.probeFailures / probes;
    const { min, max } = this.bounds.recoveryTimeout;
    let after: number;
    let because: string;
    if (failShare <= 0.2) {
      after = Math.min(current, Math.max(min, Math.round(current * (1 - this.step))));
      because = `${seen.probeSuccesses} of ${probes} half-open probes succeeded: circuits stayed open longer than the faults lasted`;
    } else if (failShare >= 0.5) {
      after = Math.max(current, Math.min(max, Math.round(current * (1 + this.step))));
      because = `${seen.probeFailures} of ${probes} half-open probes failed: circuits probed before the faults passed`;
    } else {
      return undefined;
    }
    return after === current ? undefined : { kind, option: 'recoveryTimeout', before: current, after, because };
  }

  private thresholdChange(kind: string, seen: Evidence, current: number): SelfHealingChange | undefined {
    if (seen.recoveries < this.minEvidence) return undefined;
    const { min, max } = this.bounds.failureThreshold;
    // failureThreshold 0 turns the consecutive rule off: nothing to tune.
    if (current === 0) return undefined;
    let after: number;
    let because: string;
    if (seen.trips > 0 && seen.retryFixes >= this.minEvidence && seen.retryFixes / seen.recoveries >= 0.8) {
      after = Math.max(current, Math.min(max, current + 1));
      because = `${seen.retryFixes} of ${seen.recoveries} recoveries were retries on the same target, yet circuits tripped ${seen.trips} time(s)`;
    } else if (seen.switchFixes >= this.minEvidence && seen.switchFixes / seen.recoveries >= 0.5) {
      after = Math.min(current, Math.max(min, current - 1));
      because = `${seen.switchFixes} of ${seen.recoveries} recoveries needed a switch away from the failing ${kind === 'hardware' ? 'hardware class' : 'target'}`;
    } else {
      return undefined;
    }
    return after === current ? undefined : { kind, option: 'failureThreshold', before: current, after, because };
  }

  private apply(change: SelfHealingChange): void {
    this.registry.configure(change.kind, { [change.option]: change.after });
    this.changes.push(change);
    this.registry.recordUncheckedEvent(this.eventsOn.kind, this.eventsOn.name, 'recovery', {
      action: 'self-heal',
      ...change,
    });
  }

  private observe(event: BreakerEvent): void {
    const detail = event.detail;
    if (detail === null) return;
    if (event.event_type === 'transition' && this.kinds.includes(event.kind)) {
      const seen = this.evidenceOf(event.kind);
      if (detail.reason === 'probe-success') seen.probeSuccesses++;
      else if (detail.reason === 'probe-failure' || detail.reason === 'half-open-timeout') seen.probeFailures++;
      else if (detail.from === 'closed' && detail.to === 'open') seen.trips++;
      return;
    }
    if (event.event_type !== 'recovery' || detail.action !== 'recovered') return;
    if (this.pool !== undefined && detail.pool !== this.pool) return;
    for (const kind of this.kinds) {
      const seen = this.evidenceOf(kind);
      seen.recoveries++;
      if (detail.resolvedBy === 'retry-immediate' || detail.resolvedBy === 'retry-delayed') seen.retryFixes++;
      if (detail.resolvedBy === (kind === 'hardware' ? 'switch-hardware' : 'switch-worker')) seen.switchFixes++;
    }
  }

  private evidenceOf(kind: string): Evidence {
    let seen = this.evidence.get(kind);
    if (seen === undefined)
      this.evidence.set(
        kind,
        (seen = { probeSuccesses: 0, probeFailures: 0, trips: 0, retryFixes: 0, switchFixes: 0, recoveries: 0 }),
      );
    return seen;
  }
}

function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new RangeError(
      `breakwater/recovery: self-healing option "${option}" must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value as number;
}

function bounds(
  option: string,
  value: SelfHealingBounds | undefined,
  fallback: SelfHealingBounds,
  floor: number,
): SelfHealingBounds {
  if (value === undefined) return fallback;
  if (
    value === null ||
    typeof value !== 'object' ||
    !Number.isInteger(value.min) ||
    !Number.isInteger(value.max) ||
    value.min < floor ||
    value.max < value.min
  ) {
    throw new RangeError(
      `breakwater/recovery: self-healing option "${option}" must be { min, max } with integers ${floor} <= min <= max, got ${show(value)}`,
    );
  }
  return { min: value.min, max: value.max };
}
