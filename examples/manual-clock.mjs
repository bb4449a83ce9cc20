// Testing with a manual clock: a registry with the early warning and the tuner, on virtual time.
// Nothing here waits on the wall clock: `await clock.runFor(ms)` moves time timer by timer and
// awaits each scoring and tuning round. Run: npm run example:manual-clock
import { ManualClock, Registry } from 'breakwater';
import { AdaptiveTuner, EarlyWarning, Predictor, CORE_FEATURES, defaultModelPath } from 'breakwater/adaptive';

const clock = new ManualClock();
const registry = new Registry({ clock }); // ticks on the clock's time, never on the wall clock's
const model = await Predictor.load(defaultModelPath(), {
  featureList: CORE_FEATURES,
  executionProviders: ['typescript'],
});
// Scores every breaker once a second of the clock's time; recordChange: 0 records every round's
// probability (by default a 'prediction' event is recorded when its log-odds move by 1, it crosses
// the threshold, or an action is taken: lean enough for production history and sinks).
new EarlyWarning(registry, model, { recordChange: 0 });
new AdaptiveTuner(registry, { retrainingInterval: 10_000 });
registry.onEvent((event) => {
  if (event.event_type === 'prediction')
    console.log(`t=${event.timestamp} ms  P=${event.probability?.toFixed(2)}  ${event.detail?.action}`);
  if (event.event_type === 'transition')
    console.log(`t=${event.timestamp} ms  ${event.detail?.from} -> ${event.detail?.to} (${event.detail?.reason})`);
});

const breaker = registry.endpointBreaker('inventory', {
  failureRateThreshold: 50,
  minimumCalls: 20,
  recoveryTimeout: 5_000,
});
for (let second = 0; second < 30; second++) {
  const failureShare = second < 10 ? 0 : Math.min(1, (second - 10) / 20); // failing more each second
  for (let call = 0; call < 50; call++) {
    try {
      breaker.executeSync(() => {
        if ((call * 7) % 50 < failureShare * 50) throw new Error('inventory: 503'); // spread over the second
      });
    } catch {
      // the failure, or the open circuit's refusal: the breaker has counted it
    }
  }
  await clock.runFor(1000); // one second of virtual time: its ticks, scoring and tuning rounds, awaited
}
console.log(`after 30 s of virtual time: ${breaker.getState()}, ${breaker.getMetrics().failures} failures`);
await registry.shutdown();
