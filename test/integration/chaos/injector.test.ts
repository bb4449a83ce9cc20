import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock } from '../../../src/index';
import {
  FaultInjector,
  INTENSITY_PROFILES,
  InjectedCrash,
  InjectedFault,
  isInjectedFault,
} from '../../../src/chaos/index';
import type { FaultType, Intensity } from '../../../src/chaos/index';

const ok = async () => 'ok';

/** An injector on a manual clock with one severe fault: severe hits every call. */
function severe(type: FaultType, intensity: Intensity = 'severe') {
  const clock = new ManualClock(0);
  const injector = new FaultInjector({ timers: clock, seed: 7 });
  injector.inject(type, intensity);
  return { clock, injector };
}

/** Settles a promise into a value the test can inspect synchronously after the clock moved. */
function observe<T>(promise: Promise<T>) {
  const seen: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(seen, { value, settled: true }),
    (error: unknown) => Object.assign(seen, { error, settled: true }),
  );
  return seen;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('FaultInjector: fault types', () => {
  it('throw: the wrapper throws synchronously, before fn runs', () => {
    const { injector } = severe('throw');
    let ran = false;
    const wrapped = injector.wrap(async () => (ran = true));
    expect(() => wrapped()).toThrow(InjectedFault);
    expect(ran).toBe(false);
  });

  it('reject: the promise rejects with an InjectedFault coded ECHAOSFAULT', async () => {
    const { injector } = severe('reject');
    await expect(injector.wrap(ok)()).rejects.toMatchObject({
      code: 'ECHAOSFAULT',
      fault: 'reject',
      intensity: 'severe',
      injected: true,
    });
  });

  it.each([
    ['connection-refused', 'ECONNREFUSED'],
    ['connection-reset', 'ECONNRESET'],
  ] as const)('%s: rejects with code %s', async (type, code) => {
    const { injector } = severe(type);
    const error = await injector
      .wrap(ok)()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InjectedFault);
    expect(error).toMatchObject({ code, fault: type });
  });

  it.each([
    ['mild', 'EAGAIN'],
    ['moderate', 'EMFILE'],
    ['severe', 'ENOMEM'],
  ] as const)('resource-exhaustion at %s carries code %s', async (intensity, code) => {
    const clock = new ManualClock(0);
    const injector = new FaultInjector({ timers: clock, seed: 3 });
    injector.inject('resource-exhaustion', intensity);
    const wrapped = injector.wrap(ok);
    const errors = await Promise.all(Array.from({ length: 200 }, () => wrapped().catch((e: unknown) => e)));
    const faults = errors.filter(isInjectedFault);
    expect(faults.length).toBeGreaterThan(0);
    expect(new Set(faults.map((f) => f.code))).toEqual(new Set([code]));
  });

  it('crash: an InjectedCrash, fatal, coded ECHAOSCRASH', async () => {
    const { injector } = severe('crash');
    const error = await injector
      .wrap(ok)()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InjectedCrash);
    expect(error).toMatchObject({ fatal: true, code: 'ECHAOSCRASH' });
  });

  it.each(['mild', 'moderate', 'severe'] as const)(
    'latency at %s delays the call by the profile latency, then runs it',
    async (intensity) => {
      const clock = new ManualClock(0);
      const injector = new FaultInjector({ timers: clock, seed: 11 });
      injector.inject('latency', intensity);
      const wrapped = injector.wrap(ok);
      // At rate < 1 some calls are not hit: find one that is (it leaves a timer behind).
      let seen = observe(wrapped());
      while (clock.pendingTimers() === 0) seen = observe(wrapped());
      await flush();
      const latency = INTENSITY_PROFILES[intensity].latencyMs;
      clock.advance(latency - 1);
      await flush();
      expect(seen.settled).toBe(false);
      clock.advance(1);
      await flush();
      expect(seen).toMatchObject({ settled: true, value: 'ok' });
    },
  );

  it('hang at mild and moderate stalls for the profile hang, then runs the call', async () => {
    for (const intensity of ['mild', 'moderate'] as const) {
      const clock = new ManualClock(0);
      const injector = new FaultInjector({ timers: clock, seed: 5 });
      injector.inject('hang', intensity);
      const wrapped = injector.wrap(ok);
      let seen = observe(wrapped());
      while (clock.pendingTimers() === 0) seen = observe(wrapped());
      clock.advance(INTENSITY_PROFILES[intensity].hangMs - 1);
      await flush();
      expect(seen.settled).toBe(false);
      clock.advance(1);
      await flush();
      expect(seen.value).toBe('ok');
    }
  });

  it('hang at severe never settles on its own, and rejects with the abort reason when the call is aborted', async () => {
    const { clock, injector } = severe('hang');
    const controller = new AbortController();
    const seen = observe(
      injector.wrap(async (_: string, signal: AbortSignal) => signal.aborted)('x', controller.signal),
    );
    clock.advance(3_600_000);
    await flush();
    expect(seen.settled).toBe(false);
    controller.abort(new Error('gave up'));
    await flush();
    expect((seen.error as Error).message).toBe('gave up');
  });

  it('a hang ends with the timeout of a breaker that runs the call (the CallContext signal)', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, timeout: 500 });
    const injector = new FaultInjector({ timers: clock });
    injector.inject('hang', 'severe');
    const seen = observe(breaker.execute(injector.wrap(ok)));
    clock.advance(500);
    await flush();
    expect(seen.error).toMatchObject({ code: 'ETIMEDOUT' });
    expect(breaker.getMetrics().timeouts).toBe(1);
    clock.advance(300); // the breaker goes idle and leaves its clock's tick
    expect(clock.pendingTimers()).toBe(0);
  });

  it('hits the share of calls its intensity says (rate), replayably for a seed', async () => {
    const share = async (intensity: Intensity, seed: number) => {
      const injector = new FaultInjector({ timers: new ManualClock(0), seed });
      injector.inject('reject', intensity);
      const wrapped = injector.wrap(ok);
      const results = await Promise.all(
        Array.from({ length: 4000 }, () =>
          wrapped().then(
            () => 0,
            () => 1,
          ),
        ),
      );
      return results.reduce((a: number, b: number) => a + b, 0) / 4000;
    };
    expect(await share('mild', 1)).toBeCloseTo(0.1, 1);
    expect(await share('moderate', 1)).toBeCloseTo(0.4, 1);
    expect(await share('severe', 1)).toBe(1);
    expect(await share('moderate', 9)).toBe(await share('moderate', 9));
  });

  it('wrapSync throws the error faults and counts time faults as not applicable', () => {
    const clock = new ManualClock(0);
    const injector = new FaultInjector({ timers: clock });
    const add = injector.wrapSync((a: number, b: number) => a + b);
    const stopLatency = injector.inject('latency', 'severe');
    expect(add(1, 2)).toBe(3);
    expect(injector.getFailureStats()).toMatchObject({ notApplicable: 1, injected: 0 });
    stopLatency();
    injector.inject('connection-refused', 'severe');
    expect(() => add(1, 2)).toThrow(expect.objectContaining({ code: 'ECONNREFUSED' }) as unknown as Error);
  });

  it('inject() returns a disposer, clear() removes everything, and no fault means the call runs untouched', async () => {
    const { injector } = severe('reject');
    const stop = injector.inject('crash', 'severe');
    stop();
    await expect(injector.wrap(ok)()).rejects.toMatchObject({ fault: 'reject' });
    injector.clear();
    await expect(injector.wrap(ok)()).resolves.toBe('ok');
  });

  it('injectRandom picks a type and intensity from the seed, never severe or crash with excludeSevere', () => {
    const injector = new FaultInjector({ seed: 99 });
    const picks = Array.from({ length: 300 }, () => {
      const fault = injector.injectRandom({ excludeSevere: true });
      fault.stop();
      return fault;
    });
    expect(picks.some((f) => f.intensity === 'severe' || f.type === 'crash')).toBe(false);
    expect(new Set(picks.map((f) => f.type)).size).toBe(7);
    const all = Array.from({ length: 300 }, () => injector.injectRandom());
    expect(all.some((f) => f.intensity === 'severe')).toBe(true);
    const again = new FaultInjector({ seed: 99 });
    expect(again.injectRandom({ excludeSevere: true })).toMatchObject({
      type: picks[0].type,
      intensity: picks[0].intensity,
    });
  });
});

describe('FaultInjector: schedules', () => {
  it('a fixed entry is active from `from` to `to` after the injector was created', async () => {
    const clock = new ManualClock(10_000);
    const injector = new FaultInjector({
      timers: clock,
      schedule: [{ type: 'reject', intensity: 'severe', from: 1000, to: 2000 }],
    });
    const wrapped = injector.wrap(ok);
    await expect(wrapped()).resolves.toBe('ok');
    clock.advance(1000);
    await expect(wrapped()).rejects.toBeInstanceOf(InjectedFault);
    clock.advance(999);
    await expect(wrapped()).rejects.toBeInstanceOf(InjectedFault);
    clock.advance(1);
    await expect(wrapped()).resolves.toBe('ok');
  });

  it('a ramp walks mild, moderate, severe in equal steps; a reversed ramp walks back', () => {
    const clock = new ManualClock(0);
    const injector = new FaultInjector({ timers: clock });
    injector.schedule([
      { type: 'latency', from: 0, to: 3000, ramp: true },
      { type: 'reject', from: 0, to: 2000, ramp: ['severe', 'moderate'] },
    ]);
    const at = (ms: number) => {
      clock.set(ms);
      return injector.activeFaults().map((f) => `${f.type}:${f.intensity}`);
    };
    expect(at(0)).toEqual(['latency:mild', 'reject:severe']);
    expect(at(1000)).toEqual(['latency:moderate', 'reject:moderate']);
    expect(at(2999)).toEqual(['latency:severe']);
    expect(at(3000)).toEqual([]);
  });

  it('the disposer of schedule() removes its entries', () => {
    const injector = new FaultInjector({ timers: new ManualClock(0) });
    const stop = injector.schedule([{ type: 'crash', intensity: 'mild', from: 0, to: 10 }]);
    expect(injector.activeFaults()).toHaveLength(1);
    stop();
    expect(injector.activeFaults()).toHaveLength(0);
  });
});

describe('FaultInjector: bad input', () => {
  it('names the option or argument and what it expected', () => {
    expect(() => new FaultInjector({ seed: -1 })).toThrow(/seed must be an integer from 0 to 4294967295, got -1/);
    expect(() => new FaultInjector({ recordMildAndModerate: 'yes' as unknown as boolean })).toThrow(
      /"recordMildAndModerate" must be a boolean/,
    );
    expect(() => new FaultInjector({ breaker: {} as CircuitBreaker })).toThrow(/"breaker" must be a CircuitBreaker/);
    expect(() => new FaultInjector({ timers: {} as ManualClock })).toThrow(/"timers" must have now\(\)/);
    expect(() => new FaultInjector({ sead: 1 } as never)).toThrow(
      /FaultInjector options: unknown option "sead" \(known: breaker, /,
    );
    const injector = new FaultInjector();
    expect(() => injector.inject('explode' as FaultType, 'mild')).toThrow(
      /inject\(type\) must be one of throw, reject/,
    );
    expect(() => injector.inject('throw', 'extreme' as Intensity)).toThrow(
      /inject\(intensity\) must be one of mild, moderate, severe, got "extreme"/,
    );
    expect(() => injector.schedule([{ type: 'throw', intensity: 'mild', from: 5, to: 5 }])).toThrow(
      /schedule\[0\]\.to must be after schedule\[0\]\.from/,
    );
    expect(() => injector.schedule([{ type: 'throw', intensity: 'mild', from: -1, to: 5 }])).toThrow(
      /schedule\[0\]\.from must be a finite number of ms >= 0/,
    );
    expect(() => injector.schedule([{ type: 'throw', from: 0, to: 5, ramp: ['mild'] as never }])).toThrow(
      /schedule\[0\]\.ramp must be true or \[fromIntensity, toIntensity\]/,
    );
    expect(() => injector.wrap(42 as never)).toThrow(/wrap\(fn\) needs a function, got number/);
    expect(() => injector.injectRandom({ excludeSevere: 1 as never })).toThrow(/"excludeSevere" must be a boolean/);
  });
});
