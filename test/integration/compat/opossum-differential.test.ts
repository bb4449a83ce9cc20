import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/clock';
import CircuitBreaker from '../../../src/compat/opossum/index';

// breakwater/opossum against opossum 10 itself (a dev dependency): random sequences of calls (in
// flight or settled), manual transitions and time steps must give the same events, with the same
// arguments, the same outcomes, states and stats. opossum runs on vitest's fake timers and Date,
// ours on a ManualClock; both start at time 0 and move by the same steps.

const Opossum = createRequire(__filename)('opossum') as typeof CircuitBreaker;

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
];
type Step =
  | 'ok'
  | 'fail'
  | 'filtered'
  | 'throw'
  | 'held'
  | 'settle-ok'
  | 'settle-fail'
  | 'open'
  | 'close'
  | 'disable'
  | 'enable'
  | 'wait-90'
  | 'wait-260'
  | 'wait-1000';

interface Scenario {
  threshold: number;
  volume: number;
  fallback: boolean;
  timeout?: number | false;
  warmUp?: boolean;
  capacity?: number;
  cache?: boolean;
  coalesce?: boolean;
}

/** Moves time: opossum's fake timers, or our ManualClock. */
type Advance = (ms: number) => void;

/** Events as comparable values: errors by code and message, latencies as "a number". */
function normalise(value: unknown): unknown {
  if (value instanceof Error) return { error: value.message, code: (value as { code?: string }).code };
  if (Array.isArray(value)) return value.map(normalise);
  return value;
}

async function run(
  Breaker: typeof CircuitBreaker,
  steps: Step[],
  options: Scenario,
  advance: Advance,
  clock?: ManualClock,
) {
  const held: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  const action = (step: Step) => {
    if (step === 'held') return new Promise((resolve, reject) => held.push({ resolve, reject }));
    if (step === 'throw') throw new Error('thrown');
    if (step === 'fail') return Promise.reject(new Error('failed'));
    if (step === 'filtered') return Promise.reject(new Error('filtered'));
    return Promise.resolve('value');
  };
  const breaker = new Breaker(action, {
    timeout: options.timeout ?? false,
    resetTimeout: 500,
    rollingCountTimeout: 1000,
    rollingCountBuckets: 4,
    allowWarmUp: options.warmUp ?? false,
    ...(options.capacity ? { capacity: options.capacity } : {}),
    ...(options.cache ? { cache: true, cacheTTL: 300 } : {}),
    ...(options.coalesce ? { coalesce: true, coalesceTTL: 500, coalesceResetOn: ['error' as const] } : {}),
    errorThresholdPercentage: options.threshold,
    volumeThreshold: options.volume,
    errorFilter: (error: unknown) => (error as Error).message === 'filtered',
    ...(clock ? { clock } : {}),
  });
  if (options.fallback) breaker.fallback((...args: unknown[]) => `fallback for ${String(args[0])}`);
  const log: unknown[] = [];
  for (const event of EVENTS) breaker.on(event, (...args: unknown[]) => log.push([event, ...args.map(normalise)]));
  for (const step of steps) {
    if (step === 'open') breaker.open();
    else if (step === 'close') breaker.close();
    else if (step.startsWith('wait-')) {
      advance(Number(step.slice(5)));
      await new Promise((resolve) => setImmediate(resolve));
    } else if (step === 'settle-ok' || step === 'settle-fail') {
      const call = held.shift();
      if (step === 'settle-ok') call?.resolve('held value');
      else call?.reject(new Error('held failure'));
      await new Promise((resolve) => setImmediate(resolve));
    } else if (step === 'held') {
      // In flight: opossum counts it as a fire before it settles.
      breaker.fire(step).then(
        (value) => log.push(['held resolved', value]),
        (error) => log.push(['held rejected', normalise(error)]),
      );
    } else if (step === 'disable') breaker.disable();
    else if (step === 'enable') breaker.enable();
    else {
      let call: Promise<unknown>;
      try {
        call = breaker.fire(step);
      } catch (error) {
        // A disabled breaker runs the action bare: a synchronous throw escapes fire() itself.
        log.push(['threw', normalise(error)]);
        continue;
      }
      log.push(
        await call.then(
          (value) => ['resolved', value],
          (error) => ['rejected', normalise(error)],
        ),
      );
    }
    log.push({
      closed: breaker.closed,
      opened: breaker.opened,
      halfOpen: breaker.halfOpen,
      pendingClose: breaker.pendingClose,
      enabled: breaker.enabled,
    });
  }
  for (const call of held.splice(0)) call.resolve('late');
  await new Promise((resolve) => setImmediate(resolve));
  log.push(breaker.stats, breaker.status.window);
  breaker.shutdown();
  return log;
}

const STEPS: Step[] = [
  'ok',
  'fail',
  'filtered',
  'throw',
  'ok',
  'fail',
  'held',
  'held',
  'settle-ok',
  'settle-fail',
  'settle-fail',
  'open',
  'close',
  'disable',
  'enable',
  'wait-90',
  'wait-260',
  'wait-1000',
];

async function compare(steps: Step[], scenario: Scenario): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 0 });
  let theirs: unknown[];
  try {
    theirs = await run(Opossum, steps, scenario, (ms) => vi.advanceTimersByTime(ms));
  } finally {
    vi.useRealTimers();
  }
  const clock = new ManualClock(0);
  const ours = await run(CircuitBreaker, steps, scenario, (ms) => clock.advance(ms), clock);
  expect(ours).toEqual(theirs);
}

describe('breakwater/opossum against opossum 10', () => {
  it('gives the same events, outcomes, states and stats for any sequence of calls, transitions and time steps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...STEPS), { maxLength: 30 }),
        fc.record({
          threshold: fc.integer({ min: 0, max: 100 }),
          volume: fc.integer({ min: 0, max: 6 }),
          fallback: fc.boolean(),
          timeout: fc.constantFrom<number | false>(false, 150, 1200),
          warmUp: fc.boolean(),
          capacity: fc.constantFrom(0, 1, 2),
          cache: fc.boolean(),
          coalesce: fc.boolean(),
        }),
        compare,
      ),
      { numRuns: 1000 },
    );
  });
});
