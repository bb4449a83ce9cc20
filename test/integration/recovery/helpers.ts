import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Timers } from '../../../src/clock';
import { ManualClock } from '../../../src/clock';
import type { BreakerEvent } from '../../../src/registry/event';
import { Registry } from '../../../src/registry/registry';
import { WorkerPool, type PoolTargetOptions } from '../../../src/recovery/worker-pool';

/**
 * Timers over a ManualClock that remember when each of their timers falls due and count them, so a
 * test can run virtual time to the next due timer and assert how many waits a pool made.
 */
export class VirtualTimers implements Timers {
  /** Every delay asked for, in order. */
  readonly delays: number[] = [];
  private readonly due = new Map<unknown, number>();

  constructor(readonly clock: ManualClock) {}

  now(): number {
    return this.clock.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    this.delays.push(ms);
    const handle = this.clock.setTimeout(() => {
      this.due.delete(handle);
      callback();
    }, ms);
    this.due.set(handle, this.clock.now() + Math.max(0, ms));
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle);
    this.clock.clearTimeout(handle);
  }

  /** The earliest due time of a pending timer, or undefined. */
  nextDue(): number | undefined {
    return this.due.size === 0 ? undefined : Math.min(...this.due.values());
  }
}

/** A registry and timers on one manual clock, with every history event collected. */
export function rig(startMs = 1_000_000): {
  clock: ManualClock;
  timers: VirtualTimers;
  registry: Registry;
  events: BreakerEvent[];
} {
  const clock = new ManualClock(startMs);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  const events: BreakerEvent[] = [];
  registry.onEvent((event) => events.push(event));
  return { clock, timers: new VirtualTimers(clock), registry, events };
}

/** A pool named 'inference' on a rig, with deterministic jitter. */
export function poolRig(targets: PoolTargetOptions[], extra: Record<string, unknown> = {}) {
  const r = rig();
  const pool = new WorkerPool({
    registry: r.registry,
    timers: r.timers,
    random: () => 0.5,
    name: 'inference',
    targets,
    ...extra,
  });
  return { ...r, pool };
}

/** Lets every pending promise reaction run (setImmediate runs after them all). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Awaits `promise` while moving virtual time from one due timer to the next. Throws when nothing is
 * pending and the promise still has not settled (a hang), instead of waiting forever.
 */
export async function drive<T>(timers: VirtualTimers, promise: Promise<T>): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let step = 0; step < 10_000; step++) {
    await settle();
    if (settled) return watched;
    const next = timers.nextDue();
    if (next === undefined) throw new Error('drive(): the promise is pending with no timer due: it would hang');
    timers.clock.set(Math.max(next, timers.clock.now()));
  }
  throw new Error('drive(): still pending after 10000 timer steps');
}

/** The 'recovery' events' detail.action values, in order. */
export function actions(events: readonly BreakerEvent[]): string[] {
  return events.filter((e) => e.event_type === 'recovery').map((e) => String(e.detail?.action));
}

/** An error with a Node-style code. */
export function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/** A new empty directory for store files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'breakwater-recovery-'));
}
