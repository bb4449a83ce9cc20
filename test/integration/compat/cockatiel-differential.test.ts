// Our cockatiel breakers against cockatiel's own, on the same calls and the same (fake) Date.
import * as cockatiel from 'cockatiel';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compatOn } from './cockatiel-cores';

const RUNS = Number(process.env.BREAKWATER_COCKATIEL_RUNS ?? 1000);
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
    {
      weight: 12,
      arbitrary: fc.record({ kind: fc.constantFrom('success' as const, 'failure' as const), halfOpen: fc.boolean() }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('tick' as const),
        ms: fc.oneof(fc.integer({ min: 0, max: maxTick }), fc.integer({ min: 0, max: 50 })),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), fromTheirs: fc.boolean() }) },
  );

/** Thresholds whose `threshold * total` cockatiel computes exactly, and arbitrary ones. */
const threshold = fc.oneof(
  fc.constantFrom(0.5, 0.25, 0.75, 0.125, 0.375, 0.875),
  fc.double({ min: 0.01, max: 0.99, noNaN: true }),
);

/** Runs ops on both breakers and compares every answer and every state. */
function replay(make: () => Breakers, ops: Op[]): void {
  let { ours, theirs } = make();
  expect(ours.state).toEqual(theirs.state);
  for (const [i, o] of ops.entries()) {
    if (o.kind === 'restore') {
      const saved = JSON.parse(JSON.stringify(o.fromTheirs ? theirs.state : ours.state));
      const fresh = make();
      fresh.ours.state = saved;
      fresh.theirs.state = JSON.parse(JSON.stringify(theirs.state));
      ({ ours, theirs } = fresh);
    } else if (o.kind === 'tick') {
      vi.setSystemTime(Date.now() + o.ms);
    } else {
      const state = o.halfOpen ? CircuitState.HalfOpen : CircuitState.Closed;
      if (o.kind === 'success') {
        ours.success(state);
        theirs.success(state);
      } else {
        expect(ours.failure(state), `answer of op ${i}`).toBe(theirs.failure(state));
      }
    }
    expect(ours.state, `state after op ${i}`).toEqual(theirs.state);
  }
}

describe.each(['native', 'reference'] as const)(
  'cockatiel breakers on the %s core, against cockatiel 3.2.1',
  (coreKind) => {
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
        .record({
          threshold: fc.oneof(threshold, fc.constantFrom(0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9)),
          size: fc.constantFrom(1, 2, 3, 5, 8, 10, 64, 65, 80),
          min: fc.double({ min: 0, max: 1, noNaN: true }),
        })
        .map(({ threshold, size, min }) => ({
          threshold,
          size,
          minimumNumberOfCalls: Math.max(1, Math.ceil(min * size)),
        }));
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
        minimumRps: fc.constantFrom(undefined, 0, 0.2, 1, 20),
      });
      // Ticks around the window size, so that windows rotate, expire and restore often.
      const run = options.chain((o) => {
        const windowSize = Math.round(o.duration / Math.max(5, Math.ceil(o.duration / 1000)));
        const tick = fc.oneof(
          fc.constantFrom(0, 1, windowSize - 1, windowSize, 2 * windowSize, 6 * windowSize),
          fc.integer({ min: 0, max: 8 * windowSize + 10 }),
        );
        const step = fc.oneof(
          {
            weight: 10,
            arbitrary: fc.record({
              kind: fc.constantFrom('success' as const, 'failure' as const),
              halfOpen: fc.boolean(),
            }),
          },
          { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: tick }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), fromTheirs: fc.boolean() }) },
        ) as fc.Arbitrary<Op>;
        return fc.tuple(fc.constant(o), fc.constantFrom(0, 1_700_000_000_000), fc.array(step, { maxLength: 300 }));
      });
      fc.assert(
        fc.property(run, ([o, start, ops]) => {
          vi.setSystemTime(start);
          replay(() => ({ ours: new compat.SamplingBreaker(o), theirs: new cockatiel.SamplingBreaker(o) }), ops);
        }),
        { numRuns: RUNS },
      );
    });
  },
);

class Handled extends Error {}

type Call = 'ok' | 'handled' | 'unhandled';
type Step = { kind: 'calls'; calls: Call[] } | { kind: 'tick'; ms: number } | { kind: 'restore' };

/** Runs one step on a policy: a batch of concurrent calls, a tick of the fake Date, or a toJSON/initialState round trip. */
async function runStep(
  policy: cockatiel.CircuitBreakerPolicy,
  step: Step,
  remake: (initialState: unknown) => cockatiel.CircuitBreakerPolicy,
) {
  if (step.kind === 'tick') {
    vi.setSystemTime(Date.now() + step.ms);
    return { policy, outcomes: [] as string[] };
  }
  if (step.kind === 'restore')
    return { policy: remake(JSON.parse(JSON.stringify(policy.toJSON()))), outcomes: [] as string[] };
  const settled = await Promise.allSettled(
    step.calls.map((c) =>
      policy.execute(async () => {
        await Promise.resolve(); // a tick, so that concurrent calls interleave
        if (c === 'handled') throw new Handled();
        if (c === 'unhandled') throw new Error('not handled');
        return 1;
      }),
    ),
  );
  return {
    policy,
    outcomes: settled.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).constructor.name)),
  };
}

describe.each(['native', 'reference'] as const)(
  'cockatiel policies with our breakers or theirs, %s core',
  (coreKind) => {
    let compat: Awaited<ReturnType<typeof compatOn>>;

    beforeEach(async () => {
      compat = await compatOn(coreKind);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_700_000_000_000);
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('calls' as const),
          calls: fc.array(fc.constantFrom<Call>('ok', 'handled', 'handled', 'unhandled'), {
            minLength: 1,
            maxLength: 4,
          }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'restore' as const }) },
    );
    const breakers = fc.oneof(
      fc.integer({ min: 1, max: 5 }).map((n) => ({
        ours: () => new compat.ConsecutiveBreaker(n),
        theirs: () => new cockatiel.ConsecutiveBreaker(n),
      })),
      fc
        .record({ threshold, size: fc.constantFrom(1, 4, 10, 70), min: fc.double({ min: 0, max: 1, noNaN: true }) })
        .map(({ threshold, size, min }) => {
          const o = { threshold, size, minimumNumberOfCalls: Math.max(1, Math.ceil(min * size)) };
          return { ours: () => new compat.CountBreaker(o), theirs: () => new cockatiel.CountBreaker(o) };
        }),
      fc
        .record({
          threshold,
          duration: fc.constantFrom(100, 2000, 5000),
          minimumRps: fc.constantFrom(undefined, 1, 10),
        })
        .map((o) => ({
          ours: () => new compat.SamplingBreaker(o),
          theirs: () => new cockatiel.SamplingBreaker(o),
        })),
    );

    it("the same calls give the same outcomes, states and toJSON() with our breakers as with cockatiel's", async () => {
      await fc.assert(
        fc.asyncProperty(
          breakers,
          fc.integer({ min: 0, max: 1000 }),
          fc.array(step, { maxLength: 60 }),
          async (make, halfOpenAfter, steps) => {
            const policy = (breaker: cockatiel.IBreaker, initialState?: unknown) =>
              cockatiel.circuitBreaker(cockatiel.handleType(Handled), { halfOpenAfter, breaker, initialState });
            let ours = policy(make.ours());
            let theirs = policy(make.theirs());
            for (const [i, s] of steps.entries()) {
              const a = await runStep(ours, s, (state) => policy(make.ours(), state));
              const b = await runStep(theirs, s, (state) => policy(make.theirs(), state));
              ({ policy: ours } = a);
              ({ policy: theirs } = b);
              expect(a.outcomes, `outcomes of step ${i}`).toEqual(b.outcomes);
              expect(ours.state, `state after step ${i}`).toBe(theirs.state);
              expect(JSON.parse(JSON.stringify(ours.toJSON())), `toJSON() after step ${i}`).toEqual(
                JSON.parse(JSON.stringify(theirs.toJSON())),
              );
            }
          },
        ),
        { numRuns: Math.ceil(RUNS / 4) },
      );
    });
  },
);
