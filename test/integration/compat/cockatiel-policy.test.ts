// Our breakers inside cockatiel's own CircuitBreakerPolicy, on a fake Date.
import * as cockatiel from 'cockatiel';
import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  handleAll,
  handleType,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compatOn } from './cockatiel-cores';

class Handled extends Error {}
class Unhandled extends Error {}

const fail = (): never => {
  throw new Handled('down');
};
const ok = () => 42;

/** Outcome of one call through a policy: 'ok', or the error's class name. */
async function call(policy: CircuitBreakerPolicy, fn: () => unknown = ok): Promise<string> {
  try {
    await policy.execute(fn);
    return 'ok';
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

interface Breakers {
  ConsecutiveBreaker: new (threshold: number) => cockatiel.IBreaker;
  CountBreaker: new (options: cockatiel.ICountBreakerOptions) => cockatiel.IBreaker;
  SamplingBreaker: new (options: cockatiel.ISamplingBreakerOptions) => cockatiel.IBreaker;
}

// Every scenario also runs on cockatiel's own breakers, which checks the scenario itself.
describe.each(['native', 'reference', 'cockatiel'] as const)('cockatiel policies with breakers of: %s', (impl) => {
  let compat: Breakers;

  beforeEach(async () => {
    compat = impl === 'cockatiel' ? cockatiel : await compatOn(impl);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ConsecutiveBreaker: opens on the 5th failure in a row, probes after halfOpenAfter, closes or reopens', async () => {
    const policy = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new compat.ConsecutiveBreaker(5) });
    const changes: CircuitState[] = [];
    policy.onStateChange((s) => changes.push(s));

    for (let i = 0; i < 4; i++) expect(await call(policy, fail)).toBe('Handled');
    expect(await call(policy)).toBe('ok'); // a success ends the run
    for (let i = 0; i < 4; i++) expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Closed);
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Open);
    expect(await call(policy)).toBe('BrokenCircuitError');

    vi.setSystemTime(Date.now() + 999);
    expect(await call(policy)).toBe('BrokenCircuitError');
    vi.setSystemTime(Date.now() + 1);
    expect(await call(policy, fail)).toBe('Handled'); // the probe fails: open again
    expect(policy.state).toBe(CircuitState.Open);
    vi.setSystemTime(Date.now() + 1000);
    expect(await call(policy)).toBe('ok'); // the probe succeeds: closed
    expect(policy.state).toBe(CircuitState.Closed);
    expect(changes).toEqual([
      CircuitState.Open,
      CircuitState.HalfOpen,
      CircuitState.Open,
      CircuitState.HalfOpen,
      CircuitState.Closed,
    ]);

    // Closed with a fresh count: five more failures to open.
    for (let i = 0; i < 4; i++) expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Closed);
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Open);
  });

  it('CountBreaker: opens when more than the threshold of the last `size` calls failed, once minimumNumberOfCalls is reached', async () => {
    const policy = circuitBreaker(handleAll, {
      halfOpenAfter: 500,
      breaker: new compat.CountBreaker({ threshold: 0.5, size: 10, minimumNumberOfCalls: 4 }),
    });
    expect(await call(policy, fail)).toBe('Handled');
    expect(await call(policy, fail)).toBe('Handled');
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Closed); // 3 calls < minimumNumberOfCalls
    expect(await call(policy)).toBe('ok'); // 3 of 4 failed, but only failures trip
    expect(policy.state).toBe(CircuitState.Closed);
    for (let i = 0; i < 6; i++) expect(await call(policy)).toBe('ok'); // window: F F F S S S S S S S
    expect(await call(policy, fail)).toBe('Handled'); // F F S S S S S S S F: 3 of 10
    expect(await call(policy, fail)).toBe('Handled'); // 3 of 10 (the oldest failure left)
    expect(await call(policy, fail)).toBe('Handled'); // 3 of 10
    expect(policy.state).toBe(CircuitState.Closed);
    expect(await call(policy, fail)).toBe('Handled'); // S S S S S F F F F: 4 of 10
    expect(await call(policy, fail)).toBe('Handled'); // 5 of 10: not more than half
    expect(policy.state).toBe(CircuitState.Closed);
    expect(await call(policy, fail)).toBe('Handled'); // 6 of 10
    expect(policy.state).toBe(CircuitState.Open);

    vi.setSystemTime(Date.now() + 500);
    expect(await call(policy)).toBe('ok'); // the probe closes it and starts a fresh window
    expect(policy.state).toBe(CircuitState.Closed);
    expect(await call(policy, fail)).toBe('Handled');
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Closed); // 3 calls
    expect(await call(policy, fail)).toBe('Handled'); // S F F F: 3 of 4
    expect(policy.state).toBe(CircuitState.Open);
  });

  it('SamplingBreaker: opens on the failure rate of the last `duration` ms, with minimumRps', async () => {
    // 5 windows of 1 s; at least 2 calls a second over 5 s: 10 calls.
    const policy = circuitBreaker(handleAll, {
      halfOpenAfter: 2000,
      breaker: new compat.SamplingBreaker({ threshold: 0.5, duration: 5000, minimumRps: 2 }),
    });
    for (let i = 0; i < 9; i++) {
      expect(await call(policy, fail)).toBe('Handled');
      vi.setSystemTime(Date.now() + 100);
    }
    expect(policy.state).toBe(CircuitState.Closed); // 9 calls
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Open);

    vi.setSystemTime(Date.now() + 2000);
    expect(await call(policy)).toBe('ok'); // the probe closes it and starts fresh windows
    expect(policy.state).toBe(CircuitState.Closed);
    for (let i = 0; i < 4; i++) expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Closed); // 5 calls
    vi.setSystemTime(Date.now() + 1000);
    for (let i = 0; i < 5; i++) await call(policy); // 6 successes, 4 failures
    vi.setSystemTime(Date.now() + 1000);
    expect(await call(policy, fail)).toBe('Handled'); // 5 of 11
    expect(await call(policy, fail)).toBe('Handled'); // 6 of 12: not more than half
    expect(policy.state).toBe(CircuitState.Closed);
    // 4 s later the first two windows are over 5 s old, but cockatiel retires one window per
    // call, so this failure still counts them: 7 of 13 opens.
    vi.setSystemTime(Date.now() + 4000);
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Open);
  });

  it('serialises through policy.toJSON() and restores with initialState, as JSON', async () => {
    const make = (initialState?: unknown) =>
      circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new compat.ConsecutiveBreaker(5), initialState });
    const first = make();
    for (let i = 0; i < 3; i++) await call(first, fail);
    const saved = JSON.parse(JSON.stringify(first.toJSON()));
    expect(saved.breakerState).toBe(3);

    const second = make(saved);
    expect(await call(second, fail)).toBe('Handled');
    expect(second.state).toBe(CircuitState.Closed);
    expect(await call(second, fail)).toBe('Handled'); // the 5th, counting the restored 3
    expect(second.state).toBe(CircuitState.Open);

    const third = make(JSON.parse(JSON.stringify(second.toJSON())));
    expect(third.state).toBe(CircuitState.Open);
    expect(await call(third)).toBe('BrokenCircuitError');
    vi.setSystemTime(Date.now() + 1000);
    expect(await call(third, fail)).toBe('Handled');
    expect(third.toJSON()).toMatchObject({ breakerState: 6 });
  });

  it("restores the windows of Count and Sampling breakers, and reads cockatiel's own serialised state", async () => {
    const count = circuitBreaker(handleAll, {
      halfOpenAfter: 1000,
      breaker: new compat.CountBreaker({ threshold: 0.5, size: 4 }),
    });
    await call(count, fail);
    await call(count);
    await call(count, fail);
    const saved = JSON.parse(JSON.stringify(count.toJSON()));
    expect(saved.breakerState).toEqual({
      samples: [false, true, false, null],
      currentSample: 3,
      failures: 2,
      successes: 1,
    });
    const restored = circuitBreaker(handleAll, {
      halfOpenAfter: 1000,
      breaker: new compat.CountBreaker({ threshold: 0.5, size: 4 }),
      initialState: saved,
    });
    expect(await call(restored, fail)).toBe('Handled'); // 3 of 4
    expect(restored.state).toBe(CircuitState.Open);

    const sampling = () => new compat.SamplingBreaker({ threshold: 0.5, duration: 5000, minimumRps: 1 });
    const first = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: sampling() });
    for (let i = 0; i < 4; i++) {
      await call(first, fail);
      vi.setSystemTime(Date.now() + 1000);
    }
    const second = circuitBreaker(handleAll, {
      halfOpenAfter: 1000,
      breaker: sampling(),
      initialState: JSON.parse(JSON.stringify(first.toJSON())),
    });
    expect(second.state).toBe(CircuitState.Closed);
    expect(await call(second, fail)).toBe('Handled'); // 5 failures in 5 s
    expect(second.state).toBe(CircuitState.Open);

    // State written by cockatiel's own breaker restores into ours.
    const theirs = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new cockatiel.ConsecutiveBreaker(3) });
    await call(theirs, fail);
    await call(theirs, fail);
    const ours = circuitBreaker(handleAll, {
      halfOpenAfter: 1000,
      breaker: new compat.ConsecutiveBreaker(3),
      initialState: JSON.parse(JSON.stringify(theirs.toJSON())),
    });
    expect(await call(ours, fail)).toBe('Handled');
    expect(ours.state).toBe(CircuitState.Open);
  });

  it('only handled errors count: others pass through, and one during a probe closes the circuit (as in cockatiel)', async () => {
    const policy = circuitBreaker(handleType(Handled), {
      halfOpenAfter: 100,
      breaker: new compat.ConsecutiveBreaker(2),
    });
    const unhandled = (): never => {
      throw new Unhandled('not ours');
    };
    expect(await call(policy, unhandled)).toBe('Unhandled');
    expect(await call(policy, fail)).toBe('Handled');
    expect(await call(policy, unhandled)).toBe('Unhandled');
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Open);
    vi.setSystemTime(Date.now() + 100);
    expect(await call(policy, unhandled)).toBe('Unhandled');
    expect(policy.state).toBe(CircuitState.Closed);
    // The breaker was never told, so its run of failures goes on: the next failure opens again.
    expect(policy.toJSON()).toMatchObject({ breakerState: 2 });
    expect(await call(policy, fail)).toBe('Handled');
    expect(policy.state).toBe(CircuitState.Open);
    expect(await call(policy)).toBe(BrokenCircuitError.name);
  });

  it('reads no real clock: a faked `performance` (sinon fakes it with timeOrigin a function) changes nothing', async () => {
    const timeOrigin = vi.spyOn(performance, 'timeOrigin', 'get').mockReturnValue(Number.NaN);
    try {
      for (const breaker of [
        new compat.ConsecutiveBreaker(2),
        new compat.CountBreaker({ threshold: 0.5, size: 2 }),
        new compat.SamplingBreaker({ threshold: 0.5, duration: 1000, minimumRps: 2 }),
      ]) {
        const policy = circuitBreaker(handleAll, { halfOpenAfter: 10, breaker });
        expect([await call(policy, fail), await call(policy, fail), await call(policy)]).toEqual([
          'Handled',
          'Handled',
          'BrokenCircuitError',
        ]);
        vi.setSystemTime(Date.now() + 10);
        expect(await call(policy)).toBe('ok');
        expect(policy.state).toBe(CircuitState.Closed);
      }
    } finally {
      timeOrigin.mockRestore();
    }
  });

  // Ours only: cockatiel itself differs here (see docs/cockatiel-compat.md).
  if (impl !== 'cockatiel')
    it('a failure rate exactly at the threshold never opens (cockatiel may, when threshold * total rounds down)', async () => {
      // 0.7 * 90 is 62.99999999999999 in floating point, so cockatiel opens at 63 failures of 90: 70%.
      const run = async (breaker: cockatiel.IBreaker) => {
        const policy = circuitBreaker(handleAll, { halfOpenAfter: 10, breaker });
        for (let i = 0; i < 27; i++) await call(policy);
        for (let i = 0; i < 63; i++) await call(policy, fail);
        return policy.state;
      };
      const options = { threshold: 0.7, duration: 5000, minimumRps: 1 };
      expect(await run(new cockatiel.SamplingBreaker(options))).toBe(CircuitState.Open);
      expect(await run(new compat.SamplingBreaker(options))).toBe(CircuitState.Closed);
    });

  // Ours only: cockatiel itself differs here (see docs/cockatiel-compat.md).
  if (impl !== 'cockatiel')
    it('rejects invalid options and states with errors that name the option and its range', () => {
      expect(() => new compat.ConsecutiveBreaker(0)).toThrow(
        /ConsecutiveBreaker threshold must be an integer from 1 to 4294967295, got 0/,
      );
      expect(() => new compat.CountBreaker({ threshold: 1, size: 10 })).toThrow(
        /CountBreaker threshold must be a number in \(0, 1\), got 1/,
      );
      expect(() => new compat.CountBreaker({ threshold: Number.NaN, size: 10 })).toThrow(RangeError);
      expect(() => new compat.CountBreaker({ threshold: 0.5, size: 0 })).toThrow(
        /size must be an integer from 1 to 16777216, got 0/,
      );
      // Sizes and durations that would take the process's memory: named, not allocated.
      expect(() => new compat.CountBreaker({ threshold: 0.5, size: 1e12 })).toThrow(/got 1000000000000/);
      expect(() => new compat.SamplingBreaker({ threshold: 0.5, duration: 1e12 })).toThrow(
        /duration must be a number of ms > 0 and at most 1073741823 \(12.4 days\), got 1000000000000/,
      );
      expect(() => new compat.CountBreaker({ threshold: 0.5, size: 10, minimumNumberOfCalls: 11 })).toThrow(
        /minimumNumberOfCalls must be an integer from 1 to size \(10\), got 11/,
      );
      expect(() => new compat.SamplingBreaker({ threshold: 0.5, duration: 0 })).toThrow(
        /duration must be a number of ms > 0 and at most 1073741823 \(12.4 days\), got 0/,
      );
      expect(() => new compat.SamplingBreaker({ threshold: 0.5, duration: 1000, minimumRps: -1 })).toThrow(
        /minimumRps must be a finite number >= 0/,
      );
      const count = new compat.CountBreaker({ threshold: 0.5, size: 3 });
      expect(() => (count.state = { samples: [true], currentSample: 0 })).toThrow(
        /state.samples must be an array of 3 entries \(this breaker's window\), got 1 entries/,
      );
      expect(() => (count.state = 'x')).toThrow(TypeError);
      expect(() => (new compat.ConsecutiveBreaker(2).state = -1)).toThrow(/an integer >= 0\), got -1/);
    });
});
