import type { Registry } from '../registry/registry';
import type { StateName } from '../state';
import type { RecoveryStats } from './manager-types';
import type { Candidate } from './admission';

/** A hardware class of a pool. */
export interface HardwareClassHealth {
  targets: number;
  /** Targets whose circuit and class circuit admit work. */
  admitting: number;
  /** The class's own circuit. */
  state: StateName;
}

/** A pool's health, for the JSON API and the dashboard (the registry also holds it: kind 'pool'). */
export interface PoolHealth {
  pool: string;
  targets: number;
  /** Targets that would take a task now. */
  admitting: number;
  /** Targets by their own circuit's state. */
  byState: Record<StateName, number>;
  byHardware: Record<string, HardwareClassHealth>;
  inFlight: number;
  capacity: number;
  /** inFlight / capacity. */
  load: number;
  /** Mean healthPercentage of the targets' breakers; a target whose class is open counts 0. */
  healthPercentage: number;
  /** Task runs in progress. */
  running: number;
  tasks: { completed: number; recovered: number; escalated: number; unavailable: number };
  /** completed / (completed + escalated + unavailable); 1 before any task ended. */
  completionRate: number;
}

/** Builds a pool's health from its candidates, the registry's breaker health and the ladder's counters. */
export function poolHealth(
  pool: string,
  kind: string,
  registry: Registry,
  candidates: readonly Candidate[],
  stats: RecoveryStats,
  running: number,
): PoolHealth {
  const byState: Record<StateName, number> = { closed: 0, open: 0, 'half-open': 0, 'forced-open': 0, disabled: 0 };
  const byHardware: Record<string, HardwareClassHealth> = {};
  let admitting = 0;
  let inFlight = 0;
  let capacity = 0;
  let healthSum = 0;
  for (const c of candidates) {
    byState[c.admission.state]++;
    const admits = c.admission.admits && c.hardwareAdmission.admits;
    if (admits) admitting++;
    const cls = (byHardware[c.hardware] ??= { targets: 0, admitting: 0, state: c.hardwareAdmission.state });
    cls.targets++;
    if (admits) cls.admitting++;
    inFlight += c.inFlight;
    capacity += c.capacity;
    const health = registry.breakerHealth(kind, c.worker)?.healthPercentage ?? 100;
    healthSum += c.hardwareAdmission.admits ? health : 0;
  }
  const ended = stats.completed + stats.escalated + stats.unavailable;
  return {
    pool,
    targets: candidates.length,
    admitting,
    byState,
    byHardware,
    inFlight,
    capacity,
    load: capacity > 0 ? inFlight / capacity : 0,
    healthPercentage: candidates.length > 0 ? Math.round((healthSum / candidates.length) * 100) / 100 : 0,
    running,
    tasks: {
      completed: stats.completed,
      recovered: stats.recovered,
      escalated: stats.escalated,
      unavailable: stats.unavailable,
    },
    completionRate: ended > 0 ? stats.completed / ended : 1,
  };
}
