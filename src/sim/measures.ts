import type { Transition } from './edge';

/** Per-bucket counts of requests and successful requests. */
export interface BucketSeries {
  readonly bucketMs: number;
  readonly requests: readonly number[];
  readonly successes: readonly number[];
}

/** Settings of the recovery-time definition. */
export interface RecoveryRule {
  /** The success rate a bucket must reach, 0..1. Default 0.95. */
  threshold?: number;
  /** How long the rate must hold (consecutive buckets with requests), ms. Default 5000. */
  sustainMs?: number;
}

/** successes / requests, or 1 when there were no requests. */
export function successRate(requests: number, successes: number): number {
  return requests === 0 ? 1 : successes / requests;
}

/**
 * Recovery time: from `healedAtMs` (the downstream healing) to the start of the first bucket, at or
 * after it, from which the client success rate is >= threshold in every bucket with requests for
 * `sustainMs`. Buckets without requests neither break nor make the run. Null when the series never
 * gets there (or ends before the rate could hold for sustainMs).
 */
export function recoveryTime(series: BucketSeries, healedAtMs: number, rule: RecoveryRule = {}): number | null {
  const threshold = rule.threshold ?? 0.95;
  const sustain = Math.max(1, Math.ceil((rule.sustainMs ?? 5000) / series.bucketMs));
  const first = Math.max(0, Math.floor(healedAtMs / series.bucketMs));
  let runStart = -1;
  let runLength = 0;
  for (let b = first; b < series.requests.length; b++) {
    const requests = series.requests[b];
    if (requests === 0) continue;
    if (series.successes[b] / requests >= threshold) {
      if (runStart < 0) runStart = b;
      if (++runLength >= sustain) return Math.max(0, runStart * series.bucketMs - healedAtMs);
    } else {
      runStart = -1;
      runLength = 0;
    }
  }
  return null;
}

/** Probe rounds of a breaker and how many of them closed the circuit. */
export interface ProbeRounds {
  rounds: number;
  closed: number;
  /** closed / rounds; null when there was no round. */
  rate: number | null;
}

/**
 * Recovery success rate: the share of half-open probe rounds that closed the circuit. A round ends
 * with a transition out of half-open: to closed (success), or back to open (a failed probe or the
 * half-open timeout).
 */
export function probeRounds(transitions: readonly Transition[]): ProbeRounds {
  let rounds = 0;
  let closed = 0;
  for (const t of transitions) {
    if (t.from !== 'half-open') continue;
    rounds++;
    if (t.to === 'closed') closed++;
  }
  return { rounds, closed, rate: rounds === 0 ? null : closed / rounds };
}

/** Settings of the cascade definition. */
export interface CascadeRule {
  /** Failure share of a service's own answers that counts as pushed over, 0..1. Default 0.5. */
  threshold?: number;
  /** Length of the sliding window, in buckets: long enough that a transient of a few seconds is not a cascade. Default 30. */
  windowBuckets?: number;
  /** Answers the window needs before it counts. Default 20. */
  minAnswers?: number;
}

/**
 * Whether a service was pushed over its own threshold: in some sliding window of windowBuckets
 * buckets with at least minAnswers answers, at least `threshold` of its answers failed.
 */
export function pushedOver(answered: readonly number[], failed: readonly number[], rule: CascadeRule = {}): boolean {
  const threshold = rule.threshold ?? 0.5;
  const width = rule.windowBuckets ?? 30;
  const minAnswers = rule.minAnswers ?? 20;
  let total = 0;
  let failures = 0;
  for (let b = 0; b < answered.length; b++) {
    total += answered[b];
    failures += failed[b];
    if (b >= width) {
      total -= answered[b - width];
      failures -= failed[b - width];
    }
    if (total >= minAnswers && failures / total >= threshold) return true;
  }
  return false;
}

/** Sums several bucket series (e.g. every client's) into one. */
export function mergeSeries(
  bucketMs: number,
  series: ReadonlyArray<{ requests: readonly number[]; successes: readonly number[] }>,
): BucketSeries {
  const length = Math.max(0, ...series.map((s) => s.requests.length));
  const requests = new Array<number>(length).fill(0);
  const successes = new Array<number>(length).fill(0);
  for (const s of series) {
    s.requests.forEach((n, i) => (requests[i] += n));
    s.successes.forEach((n, i) => (successes[i] += n));
  }
  return { bucketMs, requests, successes };
}
