import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock';
import CircuitBreaker from '../../../src/compat/opossum/index';
import type { OpossumOptions } from '../../../src/compat/opossum/index';

// Inputs opossum takes and fails on later (from a timer, or at the next failure): here they are
// refused where they are given, or handled, never left to end the process.

function make(action: unknown, options: OpossumOptions = {}) {
  const clock = new ManualClock(1_000);
  return { breaker: new CircuitBreaker(action, { timeout: false, clock, ...options }), clock };
}

const boom = () => Promise.reject(new Error('boom'));

describe('breakwater/opossum with bad input', () => {
  it('refuses a rotateBucketController that is not an EventEmitter, and rotates on time without one', async () => {
    expect(() => make(boom, { rotateBucketController: {} as never })).toThrow(
      /option "rotateBucketController" must be an EventEmitter, got \{\}/,
    );
    expect(() => make(boom, { rotateBucketController: true as never })).toThrow(/got true/);
    for (const none of [0, false, null]) {
      const { breaker, clock } = make(boom, {
        rotateBucketController: none as never,
        rollingCountTimeout: 1000,
        rollingCountBuckets: 2,
      });
      await breaker.fire().catch(() => {});
      expect(breaker.stats.failures).toBe(1);
      clock.advance(1000); // a whole window: its buckets rotate out, as with no controller at all
      expect(breaker.stats.failures).toBe(0);
      breaker.disable(); // stops following a controller there is none of
      breaker.shutdown();
    }
    const controller = new EventEmitter();
    const { breaker } = make(boom, { rotateBucketController: controller });
    expect(controller.listenerCount('rotate')).toBe(1);
    breaker.shutdown();
  });

  it('refuses a fallback that is neither a function nor a breaker; a falsy one sets none', async () => {
    const { breaker } = make(boom);
    expect(() => breaker.fallback('Infinity' as never)).toThrow(
      /fallback\(func\) needs a function or a CircuitBreaker, got "Infinity"/,
    );
    breaker.fallback(() => 'fallback value');
    expect(await breaker.fire()).toBe('fallback value');
    breaker.fallback(null as never);
    await expect(breaker.fire()).rejects.toThrow('Breaker is open'); // that failure opened it; no fallback answers
    breaker.shutdown();
  });

  it('fails a health check that throws or returns no promise, from healthCheck() and from its interval', async () => {
    const { breaker, clock } = make(boom);
    const failures: unknown[] = [];
    breaker.on('healthCheckFailed', (error) => failures.push(error));
    let runs = 0;
    breaker.healthCheck(() => {
      runs++;
      if (runs === 1) return Promise.resolve();
      if (runs === 2) throw new Error('check threw');
      return 'healthy' as never;
    }, 1000);
    await Promise.resolve();
    expect(failures).toEqual([]);
    expect(breaker.opened).toBe(false);
    clock.advance(1000); // the interval's run throws: opossum's would end the process here
    expect(failures).toEqual([new Error('check threw')]);
    expect(breaker.opened).toBe(true);
    breaker.close();
    clock.advance(1000);
    expect(String(failures[1])).toMatch(/the health check function must return a promise, got "healthy"/);
    expect(breaker.opened).toBe(true);
    breaker.shutdown();
  });
});

describe('breakwater/opossum with an errorFilter that throws', () => {
  it('counts the call as a failure and rejects fire() with its error, with one warning, where opossum never settles it', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      // A usual slip: the filter reads a field only some errors have.
      const errorFilter = (error: unknown) => (error as { response: { status: number } }).response.status === 404;
      const fallen = make(boom, { errorFilter });
      fallen.breaker.fallback(() => 'fallback');
      await expect(fallen.breaker.fire()).resolves.toBe('fallback');
      fallen.breaker.shutdown();
      const { breaker } = make(boom, { errorFilter, volumeThreshold: 10 }); // stays closed for the three
      for (let call = 0; call < 3; call++) await expect(breaker.fire()).rejects.toThrow('boom');
      expect(breaker.stats).toMatchObject({ failures: 3, successes: 0 });
      await new Promise((resolve) => setImmediate(resolve)); // process warnings arrive on a later turn
      const filterWarnings = warnings.filter((message) => message.includes('errorFilter threw'));
      expect(filterWarnings).toHaveLength(2); // one per breaker, however many calls
      expect(filterWarnings[0]).toMatch(/Cannot read properties of undefined \(reading 'status'\)/);
      breaker.shutdown();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
