import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import { CircuitOpenError } from '../../../src/errors/CircuitOpenError';
import CircuitBreaker from '../../../src/compat/opossum/index';
import type { OpossumOptions } from '../../../src/compat/opossum/index';

// breakwater/opossum on a ManualClock: every deadline (half-open, warm-up, timeouts, rotation,
// snapshots, cache expiry) moves only inside clock.advance().

const EVENTS = [
  'fire',
  'success',
  'failure',
  'reject',
  'timeout',
  'fallback',
  'open',
  'close',
  'halfOpen',
  'semaphoreLocked',
  'cacheHit',
  'cacheMiss',
  'coalesceCacheHit',
  'coalesceCacheMiss',
  'shutdown',
  'healthCheckFailed',
];

function make(action: unknown, options: OpossumOptions = {}) {
  const clock = new ManualClock(1_000);
  const breaker = new CircuitBreaker(action, { timeout: false, clock, ...options });
  const events: string[] = [];
  for (const event of EVENTS) breaker.on(event, () => events.push(event));
  return { breaker, clock, events };
}

const ok = (x: unknown) => Promise.resolve(x);
const boom = () => Promise.reject(new Error('boom'));
/** An action whose calls settle when the test says so. */
function held() {
  const pending: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  const action = () => new Promise((resolve, reject) => pending.push({ resolve, reject }));
  return { action, pending };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('breakwater/opossum: trips', () => {
  it('opens only when the failure rate is strictly above errorThresholdPercentage and volumeThreshold fires are in', async () => {
    const { breaker, events } = make((fail: boolean) => (fail ? boom() : ok(1)), {
      errorThresholdPercentage: 50,
      volumeThreshold: 4,
    });
    await breaker.fire(false);
    await expect(breaker.fire(true)).rejects.toThrow('boom');
    await breaker.fire(false);
    await expect(breaker.fire(true)).rejects.toThrow('boom'); // 2 of 4: 50%, not above
    expect(breaker.closed).toBe(true);
    events.length = 0;
    await expect(breaker.fire(true)).rejects.toThrow('boom'); // 3 of 5
    expect(events).toEqual(['fire', 'failure', 'open']);
    expect(breaker.opened).toBe(true);
    const refused = await breaker.fire(false).catch((e: unknown) => e);
    expect(refused).toMatchObject({ message: 'Breaker is open', code: 'EOPENBREAKER' });
    expect(CircuitBreaker.isOurError(refused)).toBe(true);
    expect(CircuitBreaker.isOurError(new Error('boom'))).toBe(false);
    expect(breaker.stats).toMatchObject({ fires: 6, successes: 2, failures: 3, rejects: 1 });
  });

  it('does not open during the warm-up, and does once it is over', async () => {
    const { breaker, clock } = make(boom, {
      allowWarmUp: true,
      rollingCountTimeout: 1000,
      errorThresholdPercentage: 10,
    });
    expect(breaker.warmUp).toBe(true);
    await expect(breaker.fire()).rejects.toThrow('boom');
    expect(breaker.closed).toBe(true);
    clock.advance(1000);
    expect(breaker.warmUp).toBe(false);
    await expect(breaker.fire()).rejects.toThrow('boom');
    expect(breaker.opened).toBe(true);
  });
});

describe('breakwater/opossum: half-open', () => {
  it('half-opens after resetTimeout, admits one trial call, and closes before emitting its success', async () => {
    const { action, pending } = held();
    const { breaker, clock, events } = make(action, { resetTimeout: 500 });
    const halfOpenArgs: unknown[] = [];
    breaker.on('halfOpen', (arg: unknown) => halfOpenArgs.push(arg));
    breaker.open();
    clock.advance(499);
    expect(breaker.opened).toBe(true);
    clock.advance(1);
    expect(breaker.halfOpen).toBe(true);
    expect(breaker.pendingClose).toBe(true);
    expect(halfOpenArgs).toEqual([500]);
    const trial = breaker.fire('trial');
    expect(breaker.pendingClose).toBe(false);
    await expect(breaker.fire('second')).rejects.toMatchObject({ code: 'EOPENBREAKER' });
    events.length = 0;
    pending[0].resolve('done');
    await expect(trial).resolves.toBe('done');
    expect(events).toEqual(['close', 'success']);
    expect(breaker.closed).toBe(true);
    expect(pending).toHaveLength(1);
  });

  it('reopens when the trial fails and half-opens again after another resetTimeout', async () => {
    const { breaker, clock, events } = make(boom, { resetTimeout: 200 });
    await expect(breaker.fire()).rejects.toThrow('boom');
    expect(breaker.opened).toBe(true);
    clock.advance(200);
    expect(breaker.halfOpen).toBe(true);
    events.length = 0;
    await expect(breaker.fire()).rejects.toThrow('boom');
    expect(events).toEqual(['fire', 'failure', 'open']);
    clock.advance(199);
    expect(breaker.opened).toBe(true);
    clock.advance(1);
    expect(breaker.halfOpen).toBe(true);
  });

  it('open() and close() are no-ops in their own state and emit once otherwise', () => {
    const { breaker, events } = make(ok);
    breaker.close();
    breaker.open();
    breaker.open();
    breaker.close();
    expect(events).toEqual(['open', 'close']);
  });

  it("refuses on an open circuit with opossum's error, without a stack unless refusal stacks are on", async () => {
    const { breaker } = make(ok);
    breaker.open();
    const stacksBefore = CircuitOpenError.captureStacks;
    CircuitOpenError.captureStacks = false;
    try {
      const refusal = (await breaker.fire().catch((error: unknown) => error)) as Error & { code: string };
      expect(refusal).toBeInstanceOf(Error);
      expect({ message: refusal.message, code: refusal.code, name: refusal.name }).toEqual({
        message: 'Breaker is open',
        code: 'EOPENBREAKER',
        name: 'Error',
      });
      expect(CircuitBreaker.isOurError(refusal)).toBe(true);
      expect(Object.keys(refusal)).toEqual(['code']); // as opossum's: message and stack are not enumerable
      expect(refusal.stack).toBe('Error: Breaker is open'); // no frames: capturing them was most of a refusal's cost
      expect(await breaker.fire().catch((error: unknown) => error)).not.toBe(refusal); // one error per refusal
      CircuitOpenError.captureStacks = true;
      const traced = (await breaker.fire().catch((error: unknown) => error)) as Error;
      expect(traced.stack).toMatch(/^Error: Breaker is open\n\s+at /);
      expect(CircuitBreaker.isOurError(traced)).toBe(true);
    } finally {
      CircuitOpenError.captureStacks = stacksBefore;
    }
  });
});

describe('breakwater/opossum: timeouts, filters, fallbacks, capacity', () => {
  it('fails a call with ETIMEDOUT after `timeout`, emits timeout then failure, and aborts the abortController', async () => {
    const { action, pending } = held();
    const { breaker, clock, events } = make(action, { timeout: 50, autoRenewAbortController: true, resetTimeout: 10 });
    const signal = breaker.getSignal();
    const call = breaker.fire(7).catch((e: unknown) => e);
    const timeoutArgs: unknown[][] = [];
    breaker.on('timeout', (...args: unknown[]) => timeoutArgs.push(args));
    clock.advance(50);
    const error = await call;
    expect(error).toMatchObject({ message: 'Timed out after 50ms', code: 'ETIMEDOUT' });
    expect(timeoutArgs[0]).toEqual([error, 50, [7]]);
    expect(events).toEqual(['fire', 'timeout', 'failure', 'open']);
    expect(signal?.aborted).toBe(true);
    pending[0].resolve('late');
    await settle();
    expect(breaker.stats).toMatchObject({ timeouts: 1, failures: 1, successes: 0 });
    clock.advance(10);
    expect(breaker.halfOpen).toBe(true);
    expect(breaker.getSignal()).not.toBe(signal);
    expect(breaker.getSignal()?.aborted).toBe(false);
  });

  it('counts an error the errorFilter accepts as a success, rejects with it and skips the fallback', async () => {
    const fallbacks: unknown[] = [];
    const { breaker, events } = make(boom, {
      errorThresholdPercentage: 0,
      errorFilter: (e: unknown) => (e as Error).message === 'boom',
    });
    breaker.fallback(() => fallbacks.push(1));
    await expect(breaker.fire()).rejects.toThrow('boom');
    expect(events).toEqual(['fire', 'success']);
    expect(fallbacks).toEqual([]);
    expect(breaker.closed).toBe(true);
  });

  it('calls the fallback with the arguments then the error, and can fall back to another breaker', async () => {
    const { breaker, events } = make(boom, { errorThresholdPercentage: 100 });
    const seen: unknown[][] = [];
    breaker.fallback((...args: unknown[]) => {
      seen.push(args);
      return 'fallback value';
    });
    const fallbackArgs: unknown[][] = [];
    breaker.on('fallback', (...args: unknown[]) => fallbackArgs.push(args));
    await expect(breaker.fire(1, 2)).resolves.toBe('fallback value');
    expect(seen[0].slice(0, 2)).toEqual([1, 2]);
    expect((seen[0][2] as Error).message).toBe('boom');
    expect(fallbackArgs[0][0]).toBe('fallback value');
    expect(events).toEqual(['fire', 'failure', 'fallback']);
    const backup = make((x: number) => ok(x * 10)).breaker;
    breaker.fallback(backup);
    await expect(breaker.fire(4)).resolves.toBe(40);
  });

  it('refuses calls over capacity with ESEMLOCKED, counted as a failure and a semaphore rejection', async () => {
    const { action, pending } = held();
    const { breaker, events } = make(action, { capacity: 1, errorThresholdPercentage: 100 });
    const first = breaker.fire();
    const second = await breaker.fire().catch((e: unknown) => e);
    expect(second).toMatchObject({ message: 'Semaphore locked', code: 'ESEMLOCKED' });
    expect(events).toEqual(['fire', 'fire', 'semaphoreLocked', 'failure']);
    pending[0].resolve(1);
    await first;
    expect(breaker.semaphore.count).toBe(1);
    expect(breaker.stats).toMatchObject({ semaphoreRejections: 1, failures: 1, successes: 1 });
  });
});

describe('breakwater/opossum: enable, disable, shutdown', () => {
  it('runs the action unguarded while disabled, emitting only fire', async () => {
    const { breaker, events } = make(ok);
    breaker.open();
    breaker.disable();
    events.length = 0;
    await expect(breaker.fire(3)).resolves.toBe(3);
    expect(events).toEqual(['fire']);
    breaker.enable();
    await expect(breaker.fire(3)).rejects.toMatchObject({ code: 'EOPENBREAKER' });
  });

  it('after shutdown, rejects with ESHUTDOWN and has no listeners left', async () => {
    const { breaker, events } = make(ok);
    breaker.shutdown();
    expect(events).toEqual(['shutdown']);
    expect(breaker.isShutdown).toBe(true);
    expect(breaker.enabled).toBe(false);
    expect([breaker.closed, breaker.opened, breaker.halfOpen]).toEqual([false, false, false]);
    expect(breaker.listenerCount('fire')).toBe(0);
    await expect(breaker.fire()).rejects.toMatchObject({
      message: 'The circuit has been shutdown.',
      code: 'ESHUTDOWN',
    });
  });
});

describe('breakwater/opossum: stats, snapshots, persistence', () => {
  it('rotates the stats window one bucket per rollingCountTimeout / rollingCountBuckets', async () => {
    const { breaker, clock } = make(ok, { rollingCountTimeout: 1000, rollingCountBuckets: 4 });
    await breaker.fire(1);
    expect(breaker.status.window[0].fires).toBe(1);
    clock.advance(250);
    await breaker.fire(1);
    expect(breaker.status.window.map((b) => b.fires)).toEqual([1, 1, 0, 0]);
    clock.advance(750);
    expect(breaker.stats.fires).toBe(1);
    clock.advance(250);
    expect(breaker.stats.fires).toBe(0);
  });

  it('reports latency mean and percentiles from the window, or -1 when rollingPercentilesEnabled is false', async () => {
    const { action, pending } = held();
    const { breaker, clock } = make(action);
    for (const ms of [10, 20, 30, 40]) {
      const call = breaker.fire();
      clock.advance(ms);
      pending.shift()?.resolve(ms);
      await call;
    }
    const stats = breaker.stats;
    expect(stats.latencyTimes).toEqual([10, 20, 30, 40]);
    expect(stats.latencyMean).toBe(25);
    expect(stats.percentiles).toMatchObject({ 0: 10, 0.5: 20, 0.75: 30, 1: 40 });
    const off = make(ok, { rollingPercentilesEnabled: false }).breaker;
    expect(off.stats.latencyMean).toBe(-1);
    expect(off.stats.percentiles[0.5]).toBe(-1);
  });

  it('emits a snapshot per bucket period while someone listens', async () => {
    const { breaker, clock } = make(ok, { rollingCountTimeout: 1000, rollingCountBuckets: 10 });
    const snapshots: number[] = [];
    breaker.status.on('snapshot', (stats: { fires: number }) => snapshots.push(stats.fires));
    await breaker.fire();
    clock.advance(100);
    await breaker.fire();
    clock.advance(100);
    expect(snapshots).toEqual([1, 2]);
  });

  it('rotates on a rotateBucketController instead of time, and stops following it while disabled', async () => {
    const controller = new EventEmitter();
    const { breaker, clock } = make(ok, { rotateBucketController: controller, rollingCountBuckets: 2 });
    await breaker.fire();
    clock.advance(60_000);
    expect(breaker.stats.fires).toBe(1);
    controller.emit('rotate');
    controller.emit('rotate');
    expect(breaker.stats.fires).toBe(0);
    breaker.disable();
    expect(controller.listenerCount('rotate')).toBe(0);
    breaker.enable();
    expect(controller.listenerCount('rotate')).toBe(1);
  });

  it('restores an open circuit, a half-open one and its stats from toJSON()', async () => {
    const { breaker } = make(boom, { name: 'saved', errorThresholdPercentage: 0 });
    await expect(breaker.fire()).rejects.toThrow('boom');
    const saved = breaker.toJSON();
    expect(saved.state).toMatchObject({
      name: 'saved',
      enabled: true,
      closed: false,
      open: true,
      halfOpen: false,
      warmUp: false,
      shutdown: false,
    });
    expect(saved.status).toMatchObject({ fires: 1, failures: 1 });

    const clock = new ManualClock(saved.state.lastTimerAt);
    const reopened = new CircuitBreaker(ok, { clock, resetTimeout: 100, state: saved.state, status: saved.status });
    expect(reopened.opened).toBe(true);
    expect(reopened.stats).toMatchObject({ fires: 1, failures: 1 });
    clock.advance(100);
    expect(reopened.halfOpen).toBe(true);

    const late = new CircuitBreaker(ok, {
      clock: new ManualClock(saved.state.lastTimerAt + 101),
      resetTimeout: 100,
      state: saved.state,
    });
    expect(late.halfOpen).toBe(true);
    expect(late.pendingClose).toBe(true);

    const halfOpen = new CircuitBreaker(ok, { clock, state: { ...saved.state, halfOpen: true } });
    expect(halfOpen.pendingClose).toBe(true);
    await expect(halfOpen.fire(5)).resolves.toBe(5);
    expect(halfOpen.closed).toBe(true);
  });
});

describe('breakwater/opossum: cache and coalesce', () => {
  it('caches a success per cacheGetKey until cacheTTL, and clearCache() empties it', async () => {
    let runs = 0;
    const { breaker, clock, events } = make((x: number) => ok(x + ++runs * 0), { cache: true, cacheTTL: 100 });
    await breaker.fire(1);
    await breaker.fire(1);
    await breaker.fire(2);
    expect(runs).toBe(2);
    expect(events.filter((e) => e.startsWith('cache'))).toEqual(['cacheMiss', 'cacheHit', 'cacheMiss']);
    clock.advance(100);
    await breaker.fire(1);
    expect(runs).toBe(3);
    breaker.clearCache();
    await breaker.fire(1);
    expect(runs).toBe(4);
  });

  it('rejects a cacheTransport without get, set and flush', () => {
    expect(() => new CircuitBreaker(ok, { cache: true, cacheTransport: { get: () => 1 } as never })).toThrow(TypeError);
  });

  it('shares one in-flight call among identical fires when coalescing', async () => {
    const { action, pending } = held();
    const { breaker, events } = make(action, { coalesce: true, coalesceTTL: 1000, coalesceResetOn: ['success'] });
    const a = breaker.fire('k');
    const b = breaker.fire('k');
    expect(b).toBe(a);
    expect(pending).toHaveLength(1);
    pending[0].resolve('v');
    await a;
    breaker.fire('k');
    expect(pending).toHaveLength(2);
    expect(events.filter((e) => e.startsWith('coalesce'))).toEqual([
      'coalesceCacheMiss',
      'coalesceCacheHit',
      'coalesceCacheMiss',
    ]);
  });
});

describe('breakwater/opossum: construction and health checks', () => {
  it('needs an action, wraps a non-function action, and names the breaker', async () => {
    expect(() => new CircuitBreaker(undefined)).toThrow(
      'No action provided. Cannot construct a CircuitBreaker without an invocable action.',
    );
    const { breaker } = make('plain value');
    await expect(breaker.fire()).resolves.toBe('plain value');
    expect(make(function namedAction() {}).breaker.name).toBe('namedAction');
    const grouped = make(ok, { name: 'n', group: 'g' }).breaker;
    expect([grouped.name, grouped.group]).toEqual(['n', 'g']);
    expect(make(() => 1).breaker.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('writes the defaults into the options object it was given', () => {
    const options: OpossumOptions = { clock: new ManualClock() };
    const breaker = new CircuitBreaker(ok, options);
    expect(breaker.options).toBe(options);
    expect(options).toMatchObject({
      timeout: 10000,
      resetTimeout: 30000,
      errorThresholdPercentage: 50,
      rollingCountTimeout: 10000,
      rollingCountBuckets: 10,
      capacity: Number.MAX_SAFE_INTEGER,
      cacheTTL: 0,
      coalesceTTL: 10000,
    });
    expect(breaker.volumeThreshold).toBe(0);
  });

  it('names the option and its range when the core cannot hold a period', () => {
    expect(() => new CircuitBreaker(ok, { resetTimeout: 2 ** 31 })).toThrow(
      /option "resetTimeout" must be a number of ms from 0 to 1073741823, got 2147483648/,
    );
    expect(() => new CircuitBreaker(ok, { rollingCountTimeout: -1 })).toThrow(RangeError);
  });

  it('names a function option that is not a function, and a bucket count out of range, when it is made', () => {
    // A non-function errorFilter was called at the first failure, from the call's settlement:
    // an uncaught TypeError, and a fire() that never settled. Zero buckets broke every fire().
    const filter = { errorFilter: {} } as unknown as OpossumOptions;
    expect(() => new CircuitBreaker(ok, filter)).toThrow(/option "errorFilter" must be a function, got \{\}/);
    const key = { cache: true, cacheGetKey: 'id' } as unknown as OpossumOptions;
    expect(() => new CircuitBreaker(ok, key)).toThrow(/option "cacheGetKey" must be a function, got "id"/);
    expect(() => new CircuitBreaker(ok, { rollingCountBuckets: 0.5 })).toThrow(
      /option "rollingCountBuckets" must be an integer from 1 to 10000, got 0.5/,
    );
    expect(() => new CircuitBreaker(ok, { rollingCountBuckets: -1 })).toThrow(RangeError);
    const asOpossum = new CircuitBreaker(ok, { rollingCountBuckets: 0, errorFilter: undefined });
    expect(asOpossum.options.rollingCountBuckets).toBe(0); // kept as given, as opossum keeps it
  });

  it('runs a health check now and every interval on the shared scheduler; a rejection opens the circuit', async () => {
    const { breaker, clock, events } = make(ok);
    let runs = 0;
    breaker.healthCheck(() => (++runs === 2 ? Promise.reject(new Error('unhealthy')) : Promise.resolve()), 1000);
    expect(runs).toBe(1);
    clock.advance(1000);
    expect(runs).toBe(2);
    await settle();
    expect(events).toEqual(['healthCheckFailed', 'open']);
    expect(() => breaker.healthCheck('nope' as never)).toThrow('Health check function must be a function');
  });
});

describe('breakwater/opossum: no timer per breaker', () => {
  it('keeps at most one timer for a hundred open circuits with snapshots listened to', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const breakers = Array.from(
      { length: 100 },
      () => new CircuitBreaker(boom, { timeout: false, errorThresholdPercentage: 0, resetTimeout: 60_000 }),
    );
    for (const breaker of breakers) {
      breaker.status.on('snapshot', () => {});
      await breaker.fire().catch(() => undefined);
    }
    expect(breakers.every((b) => b.opened)).toBe(true);
    // One shared scheduler timer, plus breakwater's shared tick at most.
    expect(timers() - before).toBeLessThanOrEqual(2);
    for (const breaker of breakers) breaker.shutdown();
  });

  it('shares one timer among the timeouts of every pending call', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { action, pending } = held();
    const before = timers();
    const breakers = Array.from({ length: 50 }, () => new CircuitBreaker(action, { timeout: 60_000 }));
    const calls = breakers.flatMap((breaker) => [breaker.fire(), breaker.fire()]);
    expect(pending).toHaveLength(100);
    expect(timers() - before).toBeLessThanOrEqual(2);
    for (const call of pending) call.resolve('done');
    await expect(Promise.all(calls)).resolves.toHaveLength(100);
    for (const breaker of breakers) breaker.shutdown();
  });
});
