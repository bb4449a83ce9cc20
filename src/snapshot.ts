import { State } from './core/layout';
import type { SlotRef } from './core/pool';
import { readSlot } from './core/readings';
import type { ResolvedOptions } from './options';
import { stateCode, stateName, type StateName } from './state';

/** toJSON()'s output: enough to resume a breaker in a restarted process. */
export interface BreakerSnapshot {
  version: 1;
  name: string;
  state: StateName;
  /** Open time left when saved (ms). */
  remainingMs: number;
  /** Consecutive reopens, so the backoff resumes where it was. */
  reopens: number;
  /** When saved: wall-clock ms, or the manual clock's ms (see `clock`). */
  savedAt: number;
  clock: 'wall' | 'manual';
  options: Omit<ResolvedOptions, 'labels'> & { labels: Record<string, string> };
}

export function toSnapshot(
  ref: SlotRef,
  options: ResolvedOptions,
  nowMs: number,
  clock: 'wall' | 'manual',
): BreakerSnapshot {
  const reading = readSlot(ref);
  return {
    version: 1,
    name: options.name,
    state: stateName(reading.state),
    remainingMs: reading.state === State.OPEN ? reading.remainingMs : 0,
    reopens: reading.reopens,
    savedAt: nowMs,
    clock,
    options: { ...options, labels: { ...options.labels } },
  };
}

/**
 * Validates a snapshot and computes what restore() hands the core; time spent down counts as open
 * time, and what is left is at most `longestOpenMs` (the breaker's maxRecoveryTimeout): a snapshot
 * can hold a circuit open no longer than the breaker itself would.
 */
export function fromSnapshot(
  snapshot: BreakerSnapshot,
  nowMs: number,
  clock: 'wall' | 'manual',
  longestOpenMs: number,
): { state: number; remainingMs: number; reopens: number } {
  if (snapshot === null || typeof snapshot !== 'object')
    throw new TypeError('breakwater: restore() needs the object toJSON() returned');
  if (snapshot.version !== 1)
    throw new RangeError(`breakwater: snapshot version ${String(snapshot.version)} is not supported (expected 1)`);
  const state = stateCode(snapshot.state);
  for (const field of ['remainingMs', 'reopens', 'savedAt'] as const) {
    const value = snapshot[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`breakwater: snapshot field "${field}" must be a finite number >= 0, got ${String(value)}`);
    }
  }
  const downtime = snapshot.clock === clock ? Math.max(0, nowMs - snapshot.savedAt) : 0;
  const remainingMs =
    state === State.OPEN ? Math.min(longestOpenMs, Math.max(0, Math.ceil(snapshot.remainingMs - downtime))) : 0;
  return { state, remainingMs, reopens: Math.floor(snapshot.reopens) };
}
