import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CORE_FEATURES, CORE_FEATURE_COUNT } from '../../../src/features/core-features';
import { EarlyWarning, type ScoringModel } from '../../../src/adaptive/early-warning';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { CircuitBreaker, ManualClock, Registry } from '../../../src/index';
import { boom } from '../helpers';

/**
 * A registry's life as a service lives it, at random: breakers made, called, removed, disposed,
 * reconfigured, forced open or closed while the early warning (a model that answers on a later
 * turn, as onnxruntime does from its thread) and the tuner run on the registry's tick, rounds
 * started by hand, and a shutdown. No task may fail: a failed task is a process warning
 * (BREAKWATER_TASK_ERROR), and a round that throws leaves every breaker of the round unacted on.
 */
const warnings: string[] = [];
const onWarning = (w: Error) => void warnings.push(w.message);
beforeEach(() => void process.on('warning', onWarning));
afterEach(() => {
  process.off('warning', onWarning);
});

const op = fc.oneof(
  fc.record({ t: fc.constant('create'), n: fc.nat(1), k: fc.nat(1), o: fc.nat(3) }),
  fc.record({ t: fc.constant('calls'), n: fc.nat(1), k: fc.nat(1), fails: fc.nat(30), oks: fc.nat(30) }),
  fc.record({ t: fc.constant('remove'), n: fc.nat(1), k: fc.nat(1) }),
  fc.record({ t: fc.constant('dispose'), n: fc.nat(1), k: fc.nat(1) }),
  fc.record({ t: fc.constant('reconfigure'), n: fc.nat(1), k: fc.nat(1), o: fc.nat(3) }),
  fc.record({ t: fc.constant('configure'), k: fc.nat(1), o: fc.nat(3) }),
  fc.record({ t: fc.constant('manual'), n: fc.nat(1), k: fc.nat(1), a: fc.nat(3) }),
  fc.record({ t: fc.constant('run'), ms: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ t: fc.constant('step') }),
  fc.record({ t: fc.constant('shutdown') }),
);
const OPTIONS = [
  { failureThreshold: 0, minimumCalls: 10 },
  {
    failureThreshold: 5,
    failureRateThreshold: 50,
    minimumCalls: 5,
    slidingWindowType: 'count' as const,
    slidingWindowSize: 20,
  },
  {
    failureRateThreshold: 30,
    minimumCalls: 1,
    slidingWindowSize: 5000,
    slowCallRateThreshold: 50,
    slowCallDuration: 10,
  },
  { failureThreshold: 3, recoveryTimeout: 1000, halfOpenMaxCalls: 2 },
];
const RECONF = [
  { failureRateThreshold: 70 },
  { minimumCalls: 3, recoveryTimeout: 2000 },
  { slidingWindowSize: 20000, slidingWindowBuckets: 4 },
  { failureThreshold: 2 },
];
/** One failing call: fn's error when the breaker admits it, a rejection when it refuses. */
function failOnce(breaker: CircuitBreaker): void {
  try {
    expect(breaker.attempt(boom)).toMatchObject({ ok: false });
  } catch (error) {
    expect(error).toMatchObject({ message: 'boom' });
  }
}
const KINDS = ['endpoint', 'worker'] as const;

describe('a registry with the early warning and the tuner, at random', () => {
  it('no scheduled task fails, whatever the service does to its breakers meanwhile', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 10, maxLength: 60, size: 'max' }),
        fc.boolean(),
        fc.constantFrom('open', 'shed', 'observe'),
        async (ops, slow, mode) => {
          warnings.length = 0;
          const clock = new ManualClock(0);
          const registry = new Registry({ clock, summaryEveryMs: 500 });
          const model: ScoringModel = {
            featureList: CORE_FEATURES,
            score: (rows) =>
              new Promise((resolve) => {
                const out = new Float32Array(rows.length / CORE_FEATURE_COUNT);
                for (let i = 0; i < out.length; i++) out[i] = (i * 0.37) % 1; // a spread of answers, some past the threshold;
                if (slow) setImmediate(() => resolve(out));
                else resolve(out);
              }),
          };
          const warning = new EarlyWarning(registry, model, { mode: mode as 'open' });
          new AdaptiveTuner(registry, { retrainingInterval: 1000, minDataPoints: 1 });
          const pending: Promise<unknown>[] = []; // rounds started by hand, and the shutdown
          let closed = false;
          for (const o of ops) {
            const kind = 'k' in o ? KINDS[o.k] : 'endpoint';
            const name = 'n' in o ? `b${o.n}` : 'b0';
            const b = registry.get(kind, name);
            switch (o.t) {
              case 'create':
                try {
                  registry.getOrCreate(kind, name, OPTIONS[o.o]);
                } catch (e) {
                  if (!closed) throw e;
                }
                break;
              case 'calls':
                if (!b) break;
                for (let i = 0; i < o.oks; i++) b.attempt(() => 1);
                for (let i = 0; i < o.fails; i++) failOnce(b);
                break;
              case 'remove':
                registry.remove(kind, name);
                break;
              case 'dispose':
                b?.dispose();
                break;
              case 'reconfigure':
                b?.reconfigure(RECONF[o.o]);
                break;
              case 'configure':
                registry.configure(kind, RECONF[o.o]);
                break;
              case 'manual':
                if (!b) break;
                if (o.a === 0) registry.forceOpen(kind, name);
                else if (o.a === 1) registry.close(kind, name);
                else if (o.a === 2) registry.reset(kind, name);
                else registry.isOpen(kind, name);
                break;
              case 'run':
                await clock.runFor(o.ms);
                break;
              case 'step':
                pending.push(warning.step(clock.now()));
                break;
              case 'shutdown':
                if (!closed) pending.push(registry.shutdown());
                closed = true;
                break;
            }
          }
          await Promise.all(pending);
          await clock.runFor(3000);
          await registry.shutdown();
          expect(warnings).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
