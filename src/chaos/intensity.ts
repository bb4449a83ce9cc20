import { show } from '../error-message';

/** How hard a fault hits. The meaning of each level is fixed and documented in docs/chaos.md. */
export type Intensity = 'mild' | 'moderate' | 'severe';

/** The levels, mildest first (ramps walk through them in this order). */
export const INTENSITIES: readonly Intensity[] = ['mild', 'moderate', 'severe'];

/** What one intensity level means for every fault type. */
export interface IntensityProfile {
  /** Share of calls the fault hits (0..1). */
  readonly rate: number;
  /** Latency added to a call hit by a `latency` fault, ms. */
  readonly latencyMs: number;
  /** How long a `hang` holds a call before it goes on, ms; Infinity = until the call is aborted. */
  readonly hangMs: number;
  /** The error code of a `resource-exhaustion` fault: the resource that ran out. */
  readonly exhaustionCode: 'EAGAIN' | 'EMFILE' | 'ENOMEM';
}

/**
 * The intensity table. mild: an occasional hiccup a healthy system absorbs; moderate: a real
 * partial outage (brownout); severe: the dependency is gone for every call.
 */
export const INTENSITY_PROFILES: Readonly<Record<Intensity, IntensityProfile>> = Object.freeze({
  mild: Object.freeze({ rate: 0.1, latencyMs: 100, hangMs: 1_000, exhaustionCode: 'EAGAIN' as const }),
  moderate: Object.freeze({ rate: 0.4, latencyMs: 500, hangMs: 5_000, exhaustionCode: 'EMFILE' as const }),
  severe: Object.freeze({ rate: 1, latencyMs: 2_000, hangMs: Infinity, exhaustionCode: 'ENOMEM' as const }),
});

/** Throws a TypeError naming `what` unless value is one of the intensities. */
export function checkIntensity(value: unknown, what: string): Intensity {
  if (!INTENSITIES.includes(value as Intensity)) {
    throw new TypeError(`breakwater/chaos: ${what} must be one of ${INTENSITIES.join(', ')}, got ${show(value)}`);
  }
  return value as Intensity;
}
