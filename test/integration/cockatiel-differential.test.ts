// Our cockatiel breakers against cockatiel's own, on the same calls and the same (fake) Date.
import * as cockatiel from 'cockatiel';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compatOn } from './cockatiel-cores';

const RUNS = Number(process.env.BREAKWATER_COCKATIEL_RUNS ?? 300);
const { CircuitState } = cockatiel;

type Op =
  | { kind: 'success' | 'failure'; halfOpen: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'restore'; fromTheirs: boolean };

interface Breakers {
  ours: cockatiel.IBreaker;
  theirs: cockatiel.IBreaker;
}

const op = (maxTick: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('success' as const, 'failure' as const), halfOpen: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: maxTick }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), fromTheirs: fc.boolean() }) },
  );

/** Thresholds whose `threshold * total` cockatiel computes exactly, and arbitrary ones. */
const threshold = fc.oneof(fc.constantFrom(0.5, 0.25, 0.75, 0.125, 0.375, 0.875), fc.double({ min: 0.01, max: 0.99, noNaN: true }));

/** Runs ops on both breakers and compares every answer and every state. */
function replay(make: () => Breakers, ops: Op[]): void {
  let { ours, theirs } = make();
  expect(ours.state).toEqual(theirs.state);
  for (const [i, o] of ops.entries()) {
    const state = 'halfOpen' in o && o.halfOpen ? CircuitState.HalfOpen : CircuitState.Closed;
    if (o.kind === 'success') {
      ours.success(state);
      theirs.success(state);
    } else if (o.kind === 'failure') {
      expect(ours.failure(state), `answer of op ${i}`).toBe(theirs.failure(state));
    } else if (o.kind === 'tick') {
      vi.setSystemTime(Date.now() + o.ms);
    } else {
      const saved = JSON.parse(JSON.stringify(o.fromTheirs ? theirs.state : ours.state));
      const fresh = make();
      fresh.ours.state = saved;
      fresh.theirs.state = JSON.parse(JSON.stringify(theirs.state));
      ({ ours, theirs } = fresh);
    }
    expect(ours.state, `state after op ${i}`).toEqual(theirs.state);
  }
}

describe.each(['native', 'reference'] as const)('cockatiel breakers on the %s core, against cockatiel 3.2.1', (coreKind) => {
  let compat: Awaited<ReturnType<typeof compatOn>>;

  beforeEach(async () => {
    compat = await compatOn(coreKind);
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ConsecutiveBreaker answers and serialises as cockatiel does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op(10), { maxLength: 80 }), (n, ops) => {
        replay(() => ({ ours: new compat.ConsecutiveBreaker(n), theirs: new cockatiel.ConsecutiveBreaker(n) }), ops);
      }),
      { numRuns: RUNS },
    );
  });

  it('CountBreaker answers and serialises as cockatiel does (core windows up to 64, local windows above)', () => {
    const options = fc
      .record({ threshold: fc.oneof(threshold, fc.constantFrom(0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9)), size: fc.constantFrom(1, 2, 3, 5, 8, 10, 64, 65, 80), min: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map(({ threshold, size, min }) => ({ threshold, size, minimumNumberOfCalls: Math.max(1, Math.ceil(min * size)) }));
    fc.assert(
      fc.property(options, fc.array(op(10), { maxLength: 200 }), (o, ops) => {
        replay(() => ({ ours: new compat.CountBreaker(o), theirs: new cockatiel.CountBreaker(o) }), ops);
      }),
      { numRuns: RUNS },
    );
  });

  it('SamplingBreaker answers and serialises as cockatiel does on the same Date (core windows up to 64 s, local above)', () => {
    const options = fc.record({
      threshold,
      duration: fc.constantFrom(1, 3, 100, 1000, 5000, 10_000, 64_000, 70_000),
      minimumRps: fc.constantFrom(undefined, 0, 0.5, 3, 20),
    });
    fc.assert(
      fc.property(options, fc.constantFrom(0, 1_700_000_000_000), fc.array(op(3000), { maxLength: 200 }), (o, start, ops) => {
        vi.setSystemTime(start);
        replay(() => ({ ours: new compat.SamplingBreaker(o), theirs: new cockatiel.SamplingBreaker(o) }), ops);
      }),
      { numRuns: RUNS },
    );
  });
});
