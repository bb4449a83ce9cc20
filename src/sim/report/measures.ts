import type { RunMetrics } from '../result';

/** A measure the report shows and the comparison checks. */
export interface Measure {
  readonly key: keyof RunMetrics;
  readonly label: string;
  /** Which way is better. */
  readonly better: 'higher' | 'lower';
  /** Whether the report shows its change against the baseline (not for what only a breaker has: probes, rejections). */
  readonly compared: boolean;
  /** A change worse than both bounds is a regression: `absolute` in the measure's unit, `relative` a share of the old value. */
  readonly tolerance: { readonly absolute: number; readonly relative: number };
  format(value: number): string;
}

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
const count = (value: number) => String(Math.round(value));

/**
 * The measures, in table order. Tolerances (for --compare-with/--ci): success rate 1 point,
 * recovery time 10% or 2 s, probe rounds 10 points, counts 10% or 10, load 10% or 0.5 req/s,
 * cascades none.
 */
export const MEASURES: readonly Measure[] = [
  {
    key: 'successRate',
    label: 'success rate',
    better: 'higher',
    compared: true,
    tolerance: { absolute: 0.01, relative: 0 },
    format: percent,
  },
  {
    key: 'recoveryTimeMs',
    label: 'recovery time',
    better: 'lower',
    compared: true,
    tolerance: { absolute: 2_000, relative: 0.1 },
    format: (ms) => `${(ms / 1000).toFixed(1)} s`,
  },
  {
    key: 'recoverySuccessRate',
    label: 'probe rounds closing',
    better: 'higher',
    compared: false,
    tolerance: { absolute: 0.1, relative: 0 },
    format: percent,
  },
  {
    key: 'wastedCalls',
    label: 'wasted calls',
    better: 'lower',
    compared: true,
    tolerance: { absolute: 10, relative: 0.1 },
    format: count,
  },
  {
    key: 'sickLoadPerSecond',
    label: 'load on sick service (req/s)',
    better: 'lower',
    compared: true,
    tolerance: { absolute: 0.5, relative: 0.1 },
    format: (v) => v.toFixed(1),
  },
  {
    key: 'falseRejections',
    label: 'false rejections',
    better: 'lower',
    compared: false,
    tolerance: { absolute: 10, relative: 0.1 },
    format: count,
  },
  {
    key: 'cascades',
    label: 'cascades',
    better: 'lower',
    compared: false,
    tolerance: { absolute: 0, relative: 0 },
    format: count,
  },
];

/**
 * The improvement of `value` over `baseline` in %, positive when better; null when it cannot be
 * told (a missing value, or a zero baseline).
 */
export function improvement(measure: Measure, value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || baseline === 0) return null;
  const change = ((value - baseline) / Math.abs(baseline)) * 100;
  return measure.better === 'higher' ? change : -change;
}
