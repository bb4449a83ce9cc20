import { describe, expect, it } from 'vitest';
import { EarlyWarning } from '../../../src/adaptive/early-warning';
import { Predictor } from '../../../src/adaptive/predictor';
import { defaultModelPath } from '../../../src/adaptive/default-model';
import { ManualClock, Registry } from '../../../src/index';

/**
 * A registry on a manual clock scoring with onnxruntime, whose runs finish on its own threads:
 * however the clock is driven, by advance() and a registry.tick() awaited or by runFor(), the
 * rounds due have been scored once the caller's await returns, with the same probabilities.
 */
async function probabilitiesOver(
  seconds: number,
  step: (clock: ManualClock, registry: Registry) => Promise<unknown>,
): Promise<number[]> {
  const clock = new ManualClock(0);
  const registry = new Registry({ clock });
  const model = await Predictor.load(defaultModelPath(), { executionProviders: ['cpu'], intraOpThreads: 1 });
  new EarlyWarning(registry, model, { recordChange: 0 });
  const breaker = registry.endpointBreaker('inventory', { failureRateThreshold: 50, minimumCalls: 20 });
  const seen: number[] = [];
  registry.onEvent((event) => {
    if (event.event_type === 'prediction') seen.push(event.probability ?? NaN);
  });
  const probabilities: number[] = [];
  for (let second = 0; second < seconds; second++) {
    for (let call = 0; call < 40; call++) {
      try {
        breaker.executeSync(() => {
          if (call % 10 < second / 2) throw new Error('inventory: 503'); // failing more each second
        });
      } catch {
        // counted by the breaker
      }
    }
    await step(clock, registry);
    probabilities.push(seen.length === 0 ? NaN : seen[seen.length - 1]);
    seen.length = 0;
  }
  await registry.shutdown();
  return probabilities;
}

describe('the early warning on onnxruntime, on a manual clock', () => {
  it('advance() then an awaited registry.tick() leaves every round due scored, as runFor() does', async () => {
    const byTick = await probabilitiesOver(8, async (clock, registry) => {
      clock.advance(1000);
      await registry.tick();
    });
    const byRunFor = await probabilitiesOver(8, (clock) => clock.runFor(1000));
    expect(byTick.every((p) => p >= 0 && p <= 1)).toBe(true); // a round's event each second, none missing
    expect(byTick).toEqual(byRunFor);
    expect(byTick[7]).toBeGreaterThan(byTick[0]); // the score rose with the failures
  });
});
