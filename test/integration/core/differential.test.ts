import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from '../../../src/core/arena';
import {
  BucketField,
  CONFIG_SIZE,
  HEADER_BYTES,
  SLOT_FIXED_BYTES,
  Slot,
  ClockMode,
  LANES,
  HISTORY_ENTRIES,
  HISTORY_FIELDS,
  Outcome,
  SNAPSHOT_SIZE,
  Snap,
  Scratch,
  WINDOW_STATS_SIZE,
} from '../../../src/core/layout';
import { loadNativeCore } from '../../../src/core/native';
import { ReferenceCore } from '../../../src/core/reference/core';
import type { CoreBackend } from '../../../src/core/types';

const RUNS = Number(process.env.BREAKWATER_DIFF_RUNS ?? 10_000);
const SLOTS = 2;
const MAX_BUCKETS = 8;

const config = fc
  .record({
    count: fc.boolean(),
    buckets: fc.integer({ min: 1, max: MAX_BUCKETS }),
    timeWindowMs: fc.integer({ min: 1, max: 5000 }),
    countWindow: fc.integer({ min: 1, max: 40 }),
    failureThreshold: fc.integer({ min: 0, max: 5 }),
    minimumCalls: fc.integer({ min: 1, max: 10 }),
    failureRate: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 1, noNaN: true })),
    slowRate: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 1, noNaN: true })),
    slowMs: fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 50, noNaN: true })),
    recoveryMs: fc.integer({ min: 0, max: 3000 }),
    maxExtraMs: fc.integer({ min: 0, max: 10_000 }),
    backoff: fc.constantFrom(1, 1.5, 2, 3),
    jitter: fc.constantFrom(0, 0.25, 0.9),
    halfOpenMax: fc.integer({ min: 1, max: 3 }),
    halfOpenSuccess: fc.integer({ min: 1, max: 3 }),
    halfOpenTimeoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2000 })),
  })
  .map((c) => {
    const f = new Float64Array(CONFIG_SIZE);
    const buckets = c.count ? Math.min(c.buckets, c.countWindow) : c.buckets;
    f.set([
      c.count ? 1 : 0,
      buckets,
      c.count ? c.countWindow : c.timeWindowMs,
      c.failureThreshold,
      c.minimumCalls,
      c.failureRate,
      c.slowRate,
      c.slowMs,
      c.recoveryMs,
      c.recoveryMs + c.maxExtraMs,
      c.backoff,
      c.jitter,
      c.halfOpenMax,
      Math.min(c.halfOpenSuccess, c.halfOpenMax),
      c.halfOpenTimeoutMs,
    ]);
    return f;
  });

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const latency = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 200_000 }));
const operation = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('admit' as const), slot }) },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('record' as const),
      slot,
      generation: fc.constantFrom('admitted', 'current', 'stale'),
      outcome: fc.integer({ min: 0, max: 4 }),
      // Now and then a batch of tens of thousands: a bucket past its 65,000 latency samples.
      count: fc.oneof(
        { weight: 30, arbitrary: fc.integer({ min: 1, max: 70 }) },
        { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 70_000 }) },
      ),
      latency,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('advance' as const), us: fc.integer({ min: 0, max: 3_000_000 }) }),
  },
  // Idle for days to months: deadlines must hold past the 2^31 ms of serial arithmetic.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      us: fc.integer({ min: 2 ** 30, max: 2 ** 33 }).map((ms) => ms * 1000),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('lane' as const),
      slot,
      lane: fc.integer({ min: 0, max: LANES - 1 }),
      count: fc.integer({ min: 1, max: 300 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('release' as const, 'remainingMs' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('claimLane' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('rejected' as const), slot, count: fc.integer({ min: 1, max: 100 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constantFrom('forceOpen' as const, 'disable' as const, 'close' as const, 'reset' as const),
      slot,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('restore' as const),
      slot,
      state: fc.integer({ min: 0, max: 4 }),
      remainingMs: fc.integer({ min: 0, max: 5000 }),
      reopens: fc.integer({ min: 0, max: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('configure' as const), slot, config }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('preOpen' as const), slot, periodMs: fc.integer({ min: 0, max: 5000 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('clusterMove' as const),
      slot,
      state: fc.constantFrom(0, 1),
      periodMs: fc.integer({ min: 0, max: 5000 }),
    }),
  },
);

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** One core with its own manual-clock arena. */
class Subject {
  readonly arena: Arena;
  readonly id: number;
  readonly admitted: number[] = [];
  constructor(
    readonly core: CoreBackend,
    startUs: number,
    histogram: boolean,
  ) {
    this.arena = Arena.create({ capacity: SLOTS, maxBuckets: MAX_BUCKETS, clockMode: ClockMode.manual, histogram });
    this.arena.setManualNowUs(startUs);
    this.id = core.attach(this.arena.buffer);
  }
  snapshot(slotIndex: number): number[] {
    const out = new Float64Array(SNAPSHOT_SIZE);
    this.core.snapshot(this.id, slotIndex, out);
    const history = new Float64Array(HISTORY_ENTRIES * HISTORY_FIELDS);
    const n = this.core.history(this.id, slotIndex, history);
    return [...out, n, ...history.subarray(0, n * HISTORY_FIELDS)];
  }
  /** Every slot's windowStats row, read in one crossing, then every bucket's raw tag (its epoch and histogram group marks). */
  windowStats(): (number | bigint)[] {
    const out = new Float64Array(SLOTS * WINDOW_STATS_SIZE);
    this.core.windowStats(
      this.id,
      Int32Array.from({ length: SLOTS }, (_, i) => i),
      out,
    );
    const words = new BigUint64Array(this.arena.buffer);
    const bucketBytes = (this.arena.slotBytes - SLOT_FIXED_BYTES) / MAX_BUCKETS;
    const tags = Array.from({ length: SLOTS * MAX_BUCKETS }, (_, k) => {
      const at = HEADER_BYTES + Math.floor(k / MAX_BUCKETS) * this.arena.slotBytes + Slot.buckets0;
      return words[(at + (k % MAX_BUCKETS) * bucketBytes + BucketField.tag) >> 3];
    });
    return [...out, ...tags];
  }
  /** Answer and scratch registers of one operation. */
  apply(o: Operation): number[] {
    const c = this.core;
    c.scratch.fill(-7);
    let answer = 0;
    switch (o.op) {
      case 'admit':
        answer = c.admit(this.id, o.slot);
        if (answer === 1) this.admitted[o.slot] = c.scratch[Scratch.generation];
        return [answer, answer === 1 ? c.scratch[Scratch.generation] : 0];
      case 'record': {
        const current = (this.arena.words[this.arena.stateIndex(o.slot)] >>> 4) & 0x0fffffff;
        const generation =
          o.generation === 'admitted'
            ? (this.admitted[o.slot] ?? current)
            : o.generation === 'current'
              ? current
              : (current + 0x0fffffff) & 0x0fffffff;
        answer = c.record(
          this.id,
          o.slot,
          generation,
          o.outcome,
          o.outcome === 0 || o.outcome === 4 ? o.count : 1,
          o.latency,
        );
        break;
      }
      case 'lane': // a thread's fast path counting successes in its lane
        this.arena.lanes[this.arena.laneIndex(o.slot, o.lane)] += o.count;
        return [];
      case 'release':
        return [c.release(this.id, o.slot), this.arena.epochOf(o.slot)];
      case 'remainingMs':
        return [c.remainingMs(this.id, o.slot)];
      case 'claimLane':
        return [c.claimLane(this.id)];
      case 'advance':
        this.arena.setManualNowUs(this.arena.manualNowUs() + o.us);
        return [];
      case 'rejected':
        c.rejected(this.id, o.slot, o.count);
        return [];
      case 'restore':
        answer = c.restore(this.id, o.slot, o.state, o.remainingMs, o.reopens);
        break;
      case 'configure':
        c.configure(this.id, o.slot, o.config);
        return [];
      case 'preOpen':
        answer = c.preOpen(this.id, o.slot, o.periodMs);
        break;
      case 'clusterMove':
        answer = c.clusterMove(this.id, o.slot, o.state, o.periodMs);
        break;
      case 'forceOpen':
        answer = c.forceOpen(this.id, o.slot);
        break;
      case 'disable':
        answer = c.disable(this.id, o.slot);
        break;
      case 'close':
        answer = c.close(this.id, o.slot);
        break;
      case 'reset':
        answer = c.reset(this.id, o.slot);
        break;
    }
    const s = c.scratch;
    return s[Scratch.transitioned] === 1
      ? [answer, 1, s[Scratch.from], s[Scratch.to], s[Scratch.reason], s[Scratch.newGeneration]]
      : [answer, 0];
  }
}

describe('native core vs reference core', () => {
  it(`give the same answer to every operation (${RUNS} random sequences)`, () => {
    const native = loadNativeCore();
    expect(native.kind).toBe('native');
    const reference = new ReferenceCore();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.boolean(),
        fc.array(config, { minLength: SLOTS, maxLength: SLOTS }),
        fc.array(operation, { maxLength: 80 }),
        (startUs, histogram, configs, operations) => {
          const a = new Subject(native, startUs, histogram);
          const b = new Subject(reference, startUs, histogram);
          configs.forEach((cfg, i) => {
            native.configure(a.id, i, cfg);
            reference.configure(b.id, i, cfg);
          });
          operations.forEach((o, step) => {
            const left = a.apply(o);
            const right = b.apply(o);
            if (JSON.stringify(left) !== JSON.stringify(right))
              throw new Error(`step ${step} ${JSON.stringify(o)}: native ${left} reference ${right}`);
            for (let i = 0; i < SLOTS; i++) {
              const l = a.snapshot(i);
              const r = b.snapshot(i);
              if (!l.every((x, k) => Object.is(x, r[k])) || l.length !== r.length) {
                throw new Error(
                  `step ${step} ${JSON.stringify(o)} slot ${i}:\nnative    ${l.join(',')}\nreference ${r.join(',')}`,
                );
              }
            }
            const l = a.windowStats();
            const r = b.windowStats();
            if (!l.every((x, k) => Object.is(x, r[k])))
              throw new Error(
                `step ${step} ${JSON.stringify(o)} windowStats:\nnative    ${l.join(',')}\nreference ${r.join(',')}`,
              );
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("take a bucket's first 65,000 latencies into its u16 bins, and count every call", () => {
    const answers = [loadNativeCore(), new ReferenceCore()].map((core) => {
      const subject = new Subject(core, 1_000_000_000, true);
      const config = new Float64Array(CONFIG_SIZE);
      config.set([0, 8, 8_000, 0, 1, 0, 0, 0, 1_000, 1_000, 1, 0, 1, 1, 0]); // 8 buckets of 1 s, no rule
      core.configure(subject.id, 0, config);
      const record = (latencyUs: number) => core.record(subject.id, 0, 0, Outcome.success, 1, latencyUs);
      for (let i = 0; i < 65_000; i++) record(1_000);
      for (let i = 0; i < 5_000; i++) record(100_000); // past the bucket's samples: counted, not timed
      const full = subject.snapshot(0);
      subject.arena.setManualNowUs(subject.arena.manualNowUs() + 1_000_000);
      for (let i = 0; i < 1_000; i++) record(100_000); // the next bucket times them again
      return { full, next: subject.snapshot(0) };
    });
    const [native, reference] = answers;
    expect(native).toEqual(reference);
    expect(native.full[Snap.windowCalls]).toBe(70_000);
    expect(native.full[Snap.latencySamples]).toBe(65_000);
    // Had the 1 ms bin wrapped at 2^16, or the slow calls been timed, the p99 would be 100 ms.
    expect(native.full[Snap.p99Us]).toBeGreaterThan(900);
    expect(native.full[Snap.p99Us]).toBeLessThan(1_100);
    expect(native.next[Snap.windowCalls]).toBe(71_000);
    expect(native.next[Snap.latencySamples]).toBe(66_000);
    expect(native.next[Snap.p99Us]).toBeGreaterThan(90_000);
  });
});
