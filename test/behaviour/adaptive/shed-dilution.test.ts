import { describe, expect, it } from 'vitest';
import { EarlyWarning } from '../../../src/adaptive/early-warning';
import { tripsCountingShed } from '../../../src/adaptive/shed-dilution';
import { CircuitBreaker, ManualClock, Registry } from '../../../src/index';
import { runTick } from '../../../src/tick';
import { boom } from '../helpers';
import { panickingModel } from './early-warning-fixtures';

/** 60 s of window in 20 buckets, tripping at 50% failing: where diluted onset buckets weigh least. */
const RULES = {
  failureThreshold: 0,
  failureRateThreshold: 50,
  minimumCalls: 50,
  slidingWindowSize: 60_000,
  slidingWindowBuckets: 20,
};

/** One second of 100 calls (every 10 ms), `failing` of them failing, spread evenly; refusals are caught. */
function second(breakers: CircuitBreaker[], clock: ManualClock, failing: number): void {
  for (let call = 0; call < 100; call++) {
    const fails = Math.floor(((call + 1) * failing) / 100) > Math.floor((call * failing) / 100);
    for (const breaker of breakers) {
      try {
        breaker.executeSync(fails ? boom : () => 1);
      } catch {
        // a failure, or a refusal (shed, or the open circuit)
      }
    }
    clock.advance(10);
  }
}

describe('shedding and the breaker’s own rule', () => {
  it('counts shed calls at the recent failure share, and only against a failure-rate rule with enough calls', () => {
    const window = { successes: 300, failures: 200, rejections: 100 };
    // 200 + 100 x 0.9 = 290 of 600: 48%, under 50%; at 1.0, 300 of 600: 50%.
    expect(tripsCountingShed(window, 0.9, 50, 50)).toBe(false);
    expect(tripsCountingShed(window, 1, 50, 50)).toBe(true);
    expect(tripsCountingShed({ ...window, rejections: 0 }, 1, 40, 50)).toBe(false); // nothing shed: the core decides
    expect(tripsCountingShed(window, 1, 0, 50)).toBe(false); // no failure-rate rule
    expect(tripsCountingShed(window, 1, 50, 601)).toBe(false); // under minimumCalls even counting the shed
  });

  it('a breaker that sheds during an onset trips no later than the same breaker without the warning', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const warned = registry.endpointBreaker('warned', RULES);
    const plain = new CircuitBreaker({ ...RULES, clock, name: 'plain' });
    const warning = new EarlyWarning(registry, panickingModel, { mode: 'shed' });
    const trips = new Map<CircuitBreaker, number>();
    for (const breaker of [warned, plain])
      breaker.on('stateChange', (change) => {
        if (change.to === 'open' && !trips.has(breaker)) trips.set(breaker, change.at);
      });
    let shed = false;
    for (let s = 0; s < 120 && !trips.has(warned); s++) {
      // Healthy for a minute, then 2% more of the calls fail each second: the window nears its
      // threshold slowly, where a little dilution moves the crossing by seconds.
      second([warned, plain], clock, Math.min(100, Math.max(0, 2 * (s - 60))));
      runTick();
      await warning.step(clock.now());
      shed ||= warned.sheddingShare > 0;
    }
    for (let s = 0; s < 10 && !trips.has(plain); s++) second([plain], clock, 100); // (it tripped first, here)
    expect(shed).toBe(true); // the warning shed before the trip
    // Within the warning's round. Before, the shed calls kept the onset's buckets light, and the
    // trip came 2.1 s after the plain breaker's here (3 s in a run of the acting benchmark).
    expect(trips.get(warned)).toBeLessThanOrEqual(trips.get(plain)! + 1000);
    expect(registry.recent({ event_type: 'prediction', breaker: 'warned' }).at(-1)?.detail).toMatchObject({
      action: 'pre-open',
      reason: expect.stringMatching(
        /^tripped by failureRateThreshold 50%: its window crosses it once the calls shed count as sent/,
      ),
    });
  });
});
