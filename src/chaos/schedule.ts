import { checkFaultType, type FaultType } from './fault-types';
import { INTENSITIES, checkIntensity, type Intensity } from './intensity';
import { show } from '../error-message';

/**
 * One scheduled fault, active from `from` ms to `to` ms after the injector started. A fixed entry
 * has one `intensity`; a ramp walks from `ramp[0]` to `ramp[1]` in equal steps across the window
 * (mild to severe by default), the shape of a dependency that degrades.
 */
export type ScheduleEntry =
  | { type: FaultType; from: number; to: number; intensity: Intensity }
  | { type: FaultType; from: number; to: number; ramp: readonly [Intensity, Intensity] | true };

/** A fault in force: its type and the intensity it has now. */
export interface ActiveFault {
  readonly type: FaultType;
  readonly intensity: Intensity;
}

interface Window {
  type: FaultType;
  from: number;
  to: number;
  levels: readonly Intensity[];
}

/** Validated schedule entries; answers which faults are active at a time. */
export class FaultSchedule {
  private readonly windows: Window[];

  constructor(entries: readonly ScheduleEntry[]) {
    if (!Array.isArray(entries))
      throw new TypeError(`breakwater/chaos: schedule must be an array of entries, got ${typeof entries}`);
    this.windows = entries.map((entry, i) => toWindow(entry, `schedule[${i}]`));
  }

  /** The faults active `elapsedMs` after the start, in schedule order. */
  activeAt(elapsedMs: number): ActiveFault[] {
    const active: ActiveFault[] = [];
    for (const w of this.windows) {
      if (elapsedMs < w.from || elapsedMs >= w.to) continue;
      const step = Math.min(
        w.levels.length - 1,
        Math.floor(((elapsedMs - w.from) / (w.to - w.from)) * w.levels.length),
      );
      active.push({ type: w.type, intensity: w.levels[step] });
    }
    return active;
  }
}

function toWindow(entry: ScheduleEntry, where: string): Window {
  if (entry === null || typeof entry !== 'object')
    throw new TypeError(`breakwater/chaos: ${where} must be an object, got ${String(entry)}`);
  const type = checkFaultType(entry.type, `${where}.type`);
  for (const key of ['from', 'to'] as const) {
    const value = entry[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `breakwater/chaos: ${where}.${key} must be a finite number of ms >= 0, got ${String(value)}`,
      );
    }
  }
  if (entry.to <= entry.from)
    throw new RangeError(`breakwater/chaos: ${where}.to must be after ${where}.from (${entry.from}), got ${entry.to}`);
  if ('ramp' in entry) {
    const [first, last] = entry.ramp === true ? (['mild', 'severe'] as const) : rampEnds(entry.ramp, where);
    const a = INTENSITIES.indexOf(first);
    const b = INTENSITIES.indexOf(last);
    const levels = a <= b ? INTENSITIES.slice(a, b + 1) : INTENSITIES.slice(b, a + 1).reverse();
    return { type, from: entry.from, to: entry.to, levels };
  }
  return { type, from: entry.from, to: entry.to, levels: [checkIntensity(entry.intensity, `${where}.intensity`)] };
}

function rampEnds(ramp: unknown, where: string): [Intensity, Intensity] {
  if (!Array.isArray(ramp) || ramp.length !== 2) {
    throw new TypeError(
      `breakwater/chaos: ${where}.ramp must be true or [fromIntensity, toIntensity], got ${show(ramp)}`,
    );
  }
  return [checkIntensity(ramp[0], `${where}.ramp[0]`), checkIntensity(ramp[1], `${where}.ramp[1]`)];
}
