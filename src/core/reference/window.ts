/** The reference core's sliding windows (native/LAYOUT.md "Windows"): buckets claimed by CAS on their epoch tag. */
import {
  BucketField,
  BUCKET_LATENCY_SAMPLES,
  HISTOGRAM_BINS,
  HISTOGRAM_GROUP_BINS,
  Header,
  Outcome,
  Slot,
  SpanStat,
  TAG_EPOCH_BITS,
  Total,
  WindowType,
} from '../layout';
import { histogramBin, percentile } from '../histogram';
import { addTotal, type Views } from './slot';

/** A tag's epoch + 1 (its low bits); the bits above mark the histogram groups written in that epoch. */
const TAG_EPOCH_MASK = (1n << BigInt(TAG_EPOCH_BITS)) - 1n;
/** The last epoch a tag holds: a clock beyond it counts in that epoch. */
const MAX_EPOCH = TAG_EPOCH_MASK - 1n;

function groupBitOf(bin: number): bigint {
  return 1n << BigInt(TAG_EPOCH_BITS + Math.floor(bin / HISTOGRAM_GROUP_BINS));
}

/** Writes a window read (the sums of its live buckets) as the 9 SpanStat fields at `at`. */
export function writeSpan(out: Float64Array, at: number, sums: WindowSums): void {
  out[at + SpanStat.calls] = sums.calls;
  out[at + SpanStat.successes] = sums.successes;
  out[at + SpanStat.failures] = sums.failures;
  out[at + SpanStat.slowCalls] = sums.slowCalls;
  out[at + SpanStat.timeouts] = sums.timeouts;
  out[at + SpanStat.rejections] = sums.rejections;
  out[at + SpanStat.p50Us] = percentile(sums.histogram, 0.5);
  out[at + SpanStat.p90Us] = percentile(sums.histogram, 0.9);
  out[at + SpanStat.p99Us] = percentile(sums.histogram, 0.99);
}

export interface WindowSums {
  calls: number;
  successes: number;
  failures: number;
  slowCalls: number;
  timeouts: number;
  rejections: number;
  histogram: Float64Array;
}

/**
 * The window configuration, clamped as the native core clamps it, so that a slot never
 * configured (a fresh or given-back one) still addresses only its own buckets.
 */
export function windowShape(v: Views, base: number): { time: boolean; buckets: number; span: number } {
  return {
    time: v.u32[(base + Slot.windowType) >> 2] !== WindowType.count,
    buckets: Math.min(Math.max(1, v.u32[(base + Slot.buckets) >> 2]), v.u32[Header.maxBuckets >> 2]),
    span: Math.max(1, Number(Atomics.load(v.u64, (base + Slot.bucketSpan) >> 3))),
  };
}

export function addToWindow(
  v: Views,
  base: number,
  outcome: number,
  count: number,
  slow: boolean,
  latencyUs: number,
  nowUs: number,
): void {
  const { time, span, buckets } = windowShape(v, base);
  if (time) {
    const bucket = acquire(v, base, timeEpoch(nowUs, span));
    if (bucket >= 0) addOutcome(v, bucket, outcome, count, slow, latencyUs);
    return;
  }
  // An ignored call is neither success nor failure: in the last N calls it would take an
  // outcome's place, and a window holding one could never reach a minimumCalls of N.
  if (outcome === Outcome.ignored) return;
  const first = Number(Atomics.add(v.u64, (base + Slot.callSeq) >> 3, BigInt(count)));
  const end = first + count;
  const lastEpoch = Math.floor((end - 1) / span);
  if (lastEpoch > Number(MAX_EPOCH)) {
    // Past the last epoch a tag holds: counted in it.
    const bucket = acquire(v, base, lastEpoch);
    if (bucket >= 0) addOutcome(v, bucket, outcome, count, slow, latencyUs);
    return;
  }
  const firstEpoch = Math.max(Math.floor(first / span), lastEpoch - buckets + 1);
  for (let e = firstEpoch; e <= lastEpoch; e++) {
    const piece = Math.min(end, (e + 1) * span) - Math.max(first, e * span);
    const bucket = acquire(v, base, e);
    const last = e === lastEpoch;
    if (bucket >= 0) addOutcome(v, bucket, outcome, piece, last && slow, last ? latencyUs : -1);
  }
}

export function addRejections(v: Views, base: number, count: number, nowUs: number): void {
  addTotal(v, base, Total.rejections, count);
  const bucket = acquire(v, base, currentEpoch(v, base, nowUs));
  if (bucket >= 0) Atomics.add(v.u32, (bucket + BucketField.rejections) >> 2, count);
}

function currentEpoch(v: Views, base: number, nowUs: number): number {
  const { time, span } = windowShape(v, base);
  const seq = time ? 0 : Number(Atomics.load(v.u64, (base + Slot.callSeq) >> 3));
  return Math.min(time ? timeEpoch(nowUs, span) : Math.floor(Math.max(seq - 1, 0) / span), Number(MAX_EPOCH));
}

/**
 * The buckets read as the window's recent part: the newest quarter, and one more while the current
 * bucket is less than half through (the native core's recentBuckets(): a bucket that just started
 * is never read alone).
 */
export function recentBuckets(v: Views, base: number, nowUs: number): number {
  const { time, span, buckets } = windowShape(v, base);
  const seq = time ? 0 : Number(Atomics.load(v.u64, (base + Slot.callSeq) >> 3));
  const into = time ? (nowUs > 0 ? Math.floor(nowUs) % span : 0) : seq === 0 ? 0 : ((seq - 1) % span) + 1;
  return Math.min(buckets, Math.ceil(buckets / 4) + (into * 2 < span ? 1 : 0));
}

/** A time window's epoch: a clock before zero (a manual clock's word written outside the cores) counts in epoch 0. */
function timeEpoch(nowUs: number, span: number): number {
  return nowUs > 0 ? Math.floor(nowUs / span) : 0;
}

/** The byte offset of the bucket for epoch e, rotated in if needed; -1 when e is already stale. */
function acquire(v: Views, base: number, epoch: number): number {
  const { buckets } = windowShape(v, base);
  // Numbers count epochs one by one up to 2^53; past that, BigInt arithmetic (and the clamp).
  const exact = epoch < Number.MAX_SAFE_INTEGER;
  const want = exact ? BigInt(epoch + 1) : (BigInt(epoch) < MAX_EPOCH ? BigInt(epoch) : MAX_EPOCH) + 1n;
  const index = exact ? epoch % buckets : Number((want - 1n) % BigInt(buckets));
  const bucket = base + Slot.buckets0 + index * v.bucketBytes;
  for (;;) {
    const tag = Atomics.load(v.u64, bucket >> 3);
    if (tag === want) return bucket; // no group marked yet
    const held = tag & TAG_EPOCH_MASK;
    if (held === want) return bucket;
    if (held > want) return -1;
    // Zeroes every bin, not only the marked groups the native core zeroes: the same outcome.
    if (Atomics.compareExchange(v.u64, bucket >> 3, tag, want) === tag) {
      zeroBucketCounters(v, bucket);
      return bucket;
    }
  }
}

/** The whole window, or only its `newest` most recent buckets (the current one included). */
export function readWindow(v: Views, base: number, nowUs: number, newest = Infinity): WindowSums {
  const sums: WindowSums = {
    calls: 0,
    successes: 0,
    failures: 0,
    slowCalls: 0,
    timeouts: 0,
    rejections: 0,
    histogram: new Float64Array(HISTOGRAM_BINS),
  };
  const { buckets } = windowShape(v, base);
  const span = Math.min(newest, buckets);
  const current = currentEpoch(v, base, nowUs);
  for (let k = 0; k < buckets; k++) {
    const bucket = base + Slot.buckets0 + k * v.bucketBytes;
    const tag = Number(Atomics.load(v.u64, bucket >> 3) & TAG_EPOCH_MASK);
    if (tag === 0) continue;
    const epoch = tag - 1;
    if (epoch <= current - span || epoch > current) continue;
    const at = (field: number) => Atomics.load(v.u32, (bucket + field) >> 2);
    sums.calls += at(BucketField.calls);
    sums.successes += at(BucketField.successes);
    sums.failures += at(BucketField.failures);
    sums.slowCalls += at(BucketField.slowCalls);
    sums.timeouts += at(BucketField.timeouts);
    sums.rejections += at(BucketField.rejections);
    if (v.histogram) {
      const bins = firstBin(bucket);
      for (let b = 0; b < HISTOGRAM_BINS; b++) sums.histogram[b] += Atomics.load(v.u16, bins + b);
    }
  }
  return sums;
}

export function clearWindow(v: Views, base: number): void {
  const maxBuckets = v.u32[Header.maxBuckets >> 2];
  for (let k = 0; k < maxBuckets; k++) {
    const bucket = base + Slot.buckets0 + k * v.bucketBytes;
    Atomics.store(v.u64, bucket >> 3, 0n);
    zeroBucketCounters(v, bucket);
  }
}

function addOutcome(v: Views, bucket: number, outcome: number, count: number, slow: boolean, latencyUs: number): void {
  const add = (field: number, n: number) => Atomics.add(v.u32, (bucket + field) >> 2, n);
  const callsBefore = add(BucketField.calls, count);
  if (outcome === Outcome.success) add(BucketField.successes, count);
  if (outcome === Outcome.failure || outcome === Outcome.timeout) add(BucketField.failures, count);
  if (outcome === Outcome.timeout) add(BucketField.timeouts, count);
  if (slow) add(BucketField.slowCalls, 1);
  // The bucket's first BUCKET_LATENCY_SAMPLES calls give its latencies: its u16 bins cannot wrap.
  if (latencyUs < 0 || !v.histogram || callsBefore >= BUCKET_LATENCY_SAMPLES) return;
  const bin = histogramBin(latencyUs);
  // Marked before the bin is bumped, as the native core does: its reads and claims see only marked groups.
  Atomics.or(v.u64, bucket >> 3, groupBitOf(bin));
  Atomics.add(v.u16, firstBin(bucket) + bin, 1);
}

/** Where a bucket's histogram starts, as an index of the u16 view. */
const firstBin = (bucket: number): number => (bucket + BucketField.histogram) >> 1;

function zeroBucketCounters(v: Views, bucket: number): void {
  for (let field = BucketField.calls; field < v.bucketBytes; field += 4) Atomics.store(v.u32, (bucket + field) >> 2, 0);
}
