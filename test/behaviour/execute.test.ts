import { describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, TimeoutError, type CallContext } from '../../src/index';
import { boom, fail, manualBreaker } from './helpers';

describe('guarded calls', () => {
  it('execute resolves with the value and passes args then a context', async () => {
    const { breaker } = manualBreaker();
    const seen: unknown[][] = [];
    const add = async (a: number, b: number, context: CallContext) => {
      seen.push([a, b, context.signal.aborted]);
      return a + b;
    };
    await expect(breaker.execute(add, 2, 3)).resolves.toBe(5);
    await expect(breaker.call(async () => 'ok')).resolves.toBe('ok');
    expect(seen).toEqual([[2, 3, false]]);
  });

  it('counts successes and failures of async calls; the tick picks one call to time', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 0 });
    for (let i = 0; i < 600; i++) await breaker.execute(async () => i);
    expect(breaker.getMetrics().latency.samples).toBe(1); // the first call arms the fast path, which times nothing
    clock.advance(100); // the clock's tick folds the count and asks for a sample
    await breaker.execute(async () => clock.advance(7));
    await breaker.execute(async () => clock.advance(50)); // fast again, before the next tick: not timed
    for (let i = 0; i < 7; i++)
      await expect(breaker.execute(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(breaker.execute(() => boom())).rejects.toThrow('boom'); // a synchronous throw becomes a rejection
    const metrics = breaker.getMetrics();
    expect(metrics).toMatchObject({ successes: 602, failures: 8, totalCalls: 610 });
    expect(metrics.latency.samples).toBe(2);
    expect(metrics.latency.p99).toBeCloseTo(7, 0);
  });

  it('times one synchronous call in 256, at most one a millisecond', () => {
    const { breaker, clock } = manualBreaker();
    for (let i = 0; i < 600; i++) breaker.executeSync(() => i); // the 256th timed, not the 512th: same ms
    expect(breaker.getMetrics()).toMatchObject({ successes: 600, latency: { samples: 1 } });
    for (let i = 0; i < 600; i++) {
      if (i % 100 === 0) clock.advance(1);
      expect(breaker.attempt(() => i)).toEqual({ ok: true, value: i }); // the 768th and the 1,024th timed
    }
    expect(breaker.getMetrics()).toMatchObject({ successes: 1200, latency: { samples: 3 } });
  });

  it('executeSync returns, throws, and counts', () => {
    const { breaker } = manualBreaker({ failureThreshold: 0 });
    for (let i = 0; i < 100; i++) expect(breaker.executeSync(() => i)).toBe(i);
    fail(breaker, 3);
    expect(breaker.getMetrics()).toMatchObject({ successes: 100, failures: 3 });
  });

  it('attempt returns a reused rejection object instead of throwing on an open circuit', () => {
    const { breaker, clock } = manualBreaker({ name: 'db', failureThreshold: 1, recoveryTimeout: 5000 });
    fail(breaker);
    const first = breaker.attempt(() => 1);
    clock.advance(1000);
    const second = breaker.attempt(() => 1);
    expect(first).toBe(second);
    expect(second).toMatchObject({ ok: false, breaker: 'db', retryAfterMs: 4000 });
    const rejected: number[] = [];
    breaker.on('reject', (e) => rejected.push(e.error.retryAfterMs));
    breaker.attempt(() => 1);
    expect(rejected).toEqual([4000]);
    expect(breaker.getMetrics().rejections).toBe(3);
  });

  it('wrap guards a function', async () => {
    const { breaker } = manualBreaker({ failureThreshold: 1 });
    const double = breaker.wrap(async (x: number) => x * 2);
    await expect(double(21)).resolves.toBe(42);
    await expect(breaker.wrap(async () => boom())()).rejects.toThrow('boom');
    await expect(double(1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('times out a call: the signal aborts with TimeoutError and the timeout counts as a failure', async () => {
    const { breaker, clock } = manualBreaker({ timeout: 100, failureThreshold: 1 });
    let signal!: AbortSignal;
    const call = breaker.execute((context) => {
      signal = context.signal;
      return new Promise(() => {});
    });
    clock.advance(99);
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError', timeoutMs: 100, code: 'ETIMEDOUT' });
    expect(breaker.getMetrics()).toMatchObject({ timeouts: 1, failures: 1, state: 'open' });
  });

  it('gives each call without a timeout a signal of its own, never aborted, on every path', async () => {
    const { breaker } = manualBreaker();
    const withFallback = manualBreaker({ fallback: () => 'fallback' }).breaker;
    const signals = new Set<AbortSignal>();
    const listen = (signal: AbortSignal): void => {
      signals.add(signal);
      signal.addEventListener('abort', () => {}); // as a fetch does
    };
    for (let call = 0; call < 12; call++) {
      await breaker.execute(({ signal }) => listen(signal)); // the first call's slow path, then the fast one
      await breaker.execute((_call: number, { signal }: CallContext) => listen(signal), call); // with arguments
      await withFallback.execute((_call: number, { signal }: CallContext) => listen(signal), call); // the slow path
    }
    // Before, every call got one shared signal: each call's listener stayed on it for good
    // (MaxListenersExceededWarning after ten calls).
    expect(signals.size).toBe(36);
    expect([...signals].some((signal) => signal.aborted)).toBe(false);
  });

  it('leaves no timer behind when a call settles before its timeout', async () => {
    const { breaker, clock } = manualBreaker({ timeout: 1000 });
    await breaker.execute(async () => 1);
    await expect(breaker.execute(async () => boom())).rejects.toThrow('boom');
    clock.advance(300); // the breaker goes idle and leaves its clock's tick; a call's timer would still be due
    expect(clock.pendingTimers()).toBe(0);
  });

  it('isFailure decides what counts: rejected errors are neither success nor failure', async () => {
    const { breaker } = manualBreaker({
      failureThreshold: 2,
      isFailure: (e) => (e as { status?: number }).status !== 404,
    });
    const notFound = Object.assign(new Error('not found'), { status: 404 });
    for (let i = 0; i < 5; i++)
      await expect(breaker.execute(async () => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics()).toMatchObject({ ignored: 5, failures: 0, successes: 0, totalCalls: 5 });
  });

  it('a throwing isFailure counts the error as a failure, and warns once, not on every call', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const { breaker } = manualBreaker({
      failureThreshold: 3,
      name: 'payments',
      isFailure: () => {
        throw new Error('bad filter');
      },
    });
    fail(breaker, 3);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(breaker.getState()).toBe('open');
    // Before, no word: a filter's bug went unnoticed while every error counted.
    expect(warnings.filter((w) => w.includes('isFailure'))).toEqual([
      'breakwater: isFailure of breaker "payments" threw (the error counts as a failure): bad filter',
    ]);
  });

  it('an async isFailure counts the error as a failure with a warning, and its rejection is handled', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('warning', onWarning);
    process.on('unhandledRejection', onUnhandled);
    const { breaker } = manualBreaker({
      failureThreshold: 3,
      name: 'orders',
      isFailure: (async () => {
        throw new Error('filter down');
      }) as never,
    });
    fail(breaker, 3);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    process.off('unhandledRejection', onUnhandled);
    expect(breaker.getState()).toBe('open');
    // Before: no word, every error counted, and each rejected verdict was an unhandled rejection,
    // which ends a process run with Node's defaults.
    expect(unhandled).toEqual([]);
    expect(warnings.filter((w) => w.includes('isFailure'))).toEqual([
      'breakwater: isFailure of breaker "orders" answered with a promise (the error counts as a failure): isFailure must answer at once with true or false, not a promise',
    ]);
  });

  it('fallback answers for failures and refusals, with the args', async () => {
    const fallback = vi.fn(
      (error: unknown, ...args: unknown[]) => `fallback:${(error as Error).name}:${args.join(',')}`,
    );
    const { breaker } = manualBreaker({ failureThreshold: 1, fallback });
    await expect(
      breaker.execute(async (id: number) => {
        throw new Error(`no ${id}`);
      }, 7),
    ).resolves.toBe('fallback:Error:7');
    await expect(breaker.execute(async (id: number) => id, 8)).resolves.toBe('fallback:CircuitOpenError:8');
    expect(breaker.executeSync(() => 1)).toBe('fallback:CircuitOpenError:');
    expect(fallback).toHaveBeenCalledTimes(3);
  });

  it('emits typed events; subscribing returns a disposer', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 1, recoveryTimeout: 100 });
    const log: string[] = [];
    const dispose = breaker.on('success', (e) => log.push(`success:${e.latencyMs}`));
    breaker.on('failure', (e) => log.push(`failure:${(e.error as Error).message}`));
    breaker.on('open', (e) => log.push(`open:${e.reason}:${e.retryAfterMs}`));
    breaker.on('halfOpen', () => log.push('halfOpen'));
    breaker.on('close', (e) => log.push(`close:${e.reason}`));
    breaker.on('reject', (e) => log.push(`reject:${e.error.retryAfterMs}`));
    breaker.on('stateChange', (e) => log.push(`${e.from}->${e.to}`));
    breaker.executeSync(() => clock.advance(5));
    dispose();
    breaker.executeSync(() => 1);
    fail(breaker);
    expect(() => breaker.executeSync(() => 1)).toThrow(CircuitOpenError);
    clock.advance(100);
    await breaker.execute(async () => 1);
    expect(log).toEqual([
      'success:5',
      'failure:boom',
      'closed->open',
      'open:consecutive-failures:100',
      'reject:100',
      'open->half-open',
      'halfOpen',
      'half-open->closed',
      'close:probe-success',
    ]);
  });

  it('refuses a listener for an event a breaker never emits, naming it and the events', () => {
    const { breaker } = manualBreaker();
    for (const misspelt of ['halfopen', 'half-open', 'stateChanged', 'trip']) {
      const events = 'stateChange, open, close, halfOpen, success, failure, reject, timeout, reconfigure';
      expect(() => breaker.on(misspelt as never, () => {})).toThrow(
        new TypeError(`breakwater: a breaker has no event "${misspelt}" (its events: ${events})`),
      );
      expect(() => breaker.once(misspelt as never, () => {})).toThrow(TypeError);
    }
    expect(() => breaker.on(Symbol('open') as never, () => {})).toThrow(/no event Symbol\(open\)/);
    expect(breaker.on('reconfigure', () => {})).toBeTypeOf('function');
  });

  it('a throwing listener never breaks the call, and warns once, not on every call', async () => {
    const { breaker } = manualBreaker();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    let bug = 'listener bug';
    breaker.on('success', () => {
      throw new Error(bug);
    });
    for (let i = 0; i < 1000; i++) expect(breaker.executeSync(() => 42)).toBe(42);
    bug = 'another listener bug';
    for (let i = 0; i < 1000; i++) expect(breaker.executeSync(() => 42)).toBe(42);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    // Before, 2,000 warnings: one per call.
    expect(warnings.filter((w) => w.includes('"success" listener threw'))).toEqual([
      'breakwater: a "success" listener threw: listener bug',
      'breakwater: a "success" listener threw: another listener bug',
    ]);
  });

  it('a guarded "function" that is not one is a TypeError, never a recorded failure', async () => {
    const { breaker } = manualBreaker({ failureThreshold: 1 });
    for (let i = 0; i < 300; i++) expect(() => breaker.executeSync(42 as never)).toThrow(/must be a function, got 42/);
    expect(() => breaker.attempt(null as never)).toThrow(/got null/);
    await expect(breaker.execute('x' as never)).rejects.toThrow(/got "x"/);
    await expect(breaker.execute(undefined as never, 1)).rejects.toThrow(TypeError);
    expect(() => breaker.wrap(42 as never)).toThrow(/must be a function, got 42/); // when wrapped, not when called
    expect(breaker.getMetrics()).toMatchObject({ failures: 0, state: 'closed' });
  });

  it('each call throws its own error when listeners make guarded calls that throw', () => {
    // executeSync and attempt hold what they throw for one frame: a listener's own guarded call,
    // failing or refused while the outer call records, must not take or leave the outer's error.
    const { breaker: inner } = manualBreaker({ name: 'inner', failureThreshold: 2, recoveryTimeout: 60_000 });
    const { breaker: outer } = manualBreaker({ name: 'outer', failureThreshold: 2, recoveryTimeout: 60_000 });
    const innerErrors: unknown[] = [];
    const nested = () => {
      try {
        inner.executeSync(() => {
          throw new Error('inner');
        });
      } catch (error) {
        innerErrors.push(error);
      }
    };
    outer.on('failure', nested);
    outer.on('reject', nested);
    const outerError = new Error('outer');
    const fails = () => {
      throw outerError;
    };
    expect(() => outer.executeSync(fails)).toThrow(outerError);
    let caught: unknown;
    try {
      outer.attempt(fails); // the second failure: outer opens
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(outerError);
    for (let i = 0; i < 2; i++) {
      try {
        outer.executeSync(() => 1); // refused, while the listener's inner call is refused too
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CircuitOpenError);
      expect((caught as CircuitOpenError).breaker).toBe('outer');
    }
    expect(
      innerErrors.map((e) => (e instanceof CircuitOpenError ? `open:${e.breaker}` : (e as Error).message)),
    ).toEqual(['inner', 'inner', 'open:inner', 'open:inner']);
    outer.reset();
    expect(outer.executeSync(() => 'fine after')).toBe('fine after');
  });

  it('recordSuccess and recordFailure feed outcomes observed elsewhere', () => {
    const { breaker } = manualBreaker({ failureThreshold: 2 });
    breaker.recordSuccess(12);
    breaker.recordFailure(new Error('a'), 30);
    breaker.recordFailure();
    expect(breaker.getState()).toBe('open');
    const metrics = breaker.getMetrics();
    expect(metrics).toMatchObject({ successes: 1, failures: 2 });
    expect(metrics.latency.samples).toBe(2);
    expect(() => breaker.recordSuccess(-1)).toThrow(/latencyMs/);
    for (const latency of [1e300, 2 ** 30, Infinity, NaN])
      expect(() => breaker.recordFailure(undefined, latency)).toThrow(
        new RangeError(`breakwater: latencyMs must be a number of ms from 0 to 1073741823, got ${latency}`),
      );
    breaker.recordSuccess(2 ** 30 - 1);
    expect(breaker.getMetrics().latency.samples).toBe(3);
  });
});

describe('in-flight calls', () => {
  it('counts async calls until they settle, on the fast path, the timed path and with a timeout', async () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 0 });
    const pending: Array<() => void> = [];
    const slow = () => new Promise<void>((resolve) => pending.push(resolve));
    const calls = [breaker.execute(slow), breaker.execute(slow), breaker.execute(slow)];
    expect(breaker.inFlightCalls).toBe(3);
    pending.splice(0).forEach((resolve) => resolve());
    await Promise.all(calls);
    expect(breaker.inFlightCalls).toBe(0);
    const failing = breaker.execute(() => Promise.reject(new Error('down')));
    expect(breaker.inFlightCalls).toBe(1);
    await expect(failing).rejects.toThrow('down');
    expect(breaker.inFlightCalls).toBe(0);

    const timed = manualBreaker({ timeout: 100 });
    const hanging = timed.breaker.execute(() => new Promise(() => {}));
    expect(timed.breaker.inFlightCalls).toBe(1);
    timed.clock.advance(100);
    await expect(hanging).rejects.toThrow(/timed out/i);
    expect(timed.breaker.inFlightCalls).toBe(0);
    clock.advance(300); // idle: off the clock's tick, and no call left a timer behind
    timed.clock.advance(300);
    expect(clock.pendingTimers() + timed.clock.pendingTimers()).toBe(0);
  });
});
