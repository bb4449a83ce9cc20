import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/index';
import { BreakerEdge, SimulationClock, hardOutageScenario } from './fixtures';
import {
  BUILT_IN_POLICIES,
  STATIC_BREAKER_OPTIONS,
  noBreaker,
  runScenario,
  runSuite,
  scenarioNamed,
  staticBreaker,
} from '../../../src/sim/index';
import type { Policy, Scenario } from '../../../src/sim/index';

describe('SimulationClock', () => {
  it('moves from one due time to the next and lets promise reactions run at each', async () => {
    const clock = new SimulationClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        seen.push(`reaction at ${clock.now()}`);
        clock.setTimeout(() => {
          seen.push(`chained at ${clock.now()}`);
        }, 0);
      });
    }, 100);
    clock.setTimeout(() => {
      seen.push(`timer at ${clock.now()}`);
    }, 250);
    await clock.runUntil(1000);
    expect(seen).toEqual(['reaction at 100', 'chained at 100', 'timer at 250']);
    expect(clock.now()).toBe(1000);
  });
});

describe('the scenario simulator', () => {
  it('is deterministic: the same seed gives the same result, another seed another', async () => {
    const scenario = scenarioNamed('flapping').build('quick');
    const a = await runScenario(scenario, staticBreaker, { seed: 5, size: 'quick' });
    const b = await runScenario(scenario, staticBreaker, { seed: 5, size: 'quick' });
    const c = await runScenario(scenario, staticBreaker, { seed: 6, size: 'quick' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('drives the real CircuitBreaker on the virtual clock', async () => {
    const made: CircuitBreaker[] = [];
    const spy: Policy = {
      name: 'spy',
      description: 'the static breaker, keeping its breakers',
      guard(edge) {
        const guard = BreakerEdge.on(edge, STATIC_BREAKER_OPTIONS);
        made.push(guard.breaker);
        expect(guard.breaker).toBeInstanceOf(CircuitBreaker);
        expect(guard.breaker.options).toMatchObject({ failureRateThreshold: 50, timeout: edge.timeoutMs });
        return {
          call: (send) => guard.call(send),
          isRejection: (e) => guard.isRejection(e),
          breaker: guard.breaker,
          dispose: () => undefined,
        };
      },
    };
    const result = await runScenario(hardOutageScenario(), spy, { seed: 1, size: 'quick' });
    const metrics = made[0].getMetrics();
    expect(metrics.opens).toBeGreaterThan(0);
    expect(metrics.rejections).toBe(result.metrics.rejections);
    expect(metrics.stateChanges.at(-1)?.to).toBe('closed');
    // The state changes the report charts are the breaker's own, on virtual time.
    expect(result.states.filter((s) => s.state === 'open').length).toBe(metrics.opens);
    made[0].dispose();
  });

  it('a static breaker cuts the calls wasted on a hard outage and the load on the sick service', async () => {
    const scenario = scenarioNamed('hard-outage').build('quick');
    const none = await runScenario(scenario, noBreaker, { seed: 2, size: 'quick' });
    const breaker = await runScenario(scenario, staticBreaker, { seed: 2, size: 'quick' });
    expect(none.metrics.rejections).toBe(0);
    expect(breaker.metrics.wastedCalls).toBeLessThan(none.metrics.wastedCalls / 10);
    expect(breaker.metrics.sickLoadPerSecond).toBeLessThan(none.metrics.sickLoadPerSecond / 5);
    // Unloaded, the service warms up faster, so the clients recover sooner.
    expect(breaker.metrics.recoveryTimeMs!).toBeLessThan(none.metrics.recoveryTimeMs!);
    expect(breaker.metrics.recoverySuccessRate).not.toBeNull();
    expect(none.metrics.recoverySuccessRate).toBeNull();
  });

  it('recovery time on a small outage: at once without a breaker, at the closing probe with one', async () => {
    const none = await runScenario(hardOutageScenario(), noBreaker, { seed: 4, size: 'quick' });
    const breaker = await runScenario(hardOutageScenario(), staticBreaker, { seed: 4, size: 'quick' });
    expect(none.incidents).toEqual([{ service: 'api', start: 10_000, end: 40_000, healedAt: 40_000 }]);
    // Without a breaker the next requests succeed: recovered within the healing's own bucket or the next.
    expect(none.metrics.recoveryTimeMs).toBeLessThanOrEqual(1000);
    // With one, the clients recover when the probe closes the circuit: from the 1 s bucket of that
    // close (if the rejections before it in the bucket stay under 5%) or the next one.
    const closedAt = breaker.states.find((s) => s.state === 'closed' && s.at > 40_000)!.at;
    const bucket = Math.floor(closedAt / 1000) * 1000;
    expect([bucket - 40_000, bucket + 1000 - 40_000]).toContain(breaker.metrics.recoveryTimeMs);
    expect(breaker.metrics.probeRounds).toBeGreaterThan(0);
    expect(breaker.metrics.recoverySuccessRate).toBe(1 / breaker.metrics.probeRounds);
  });

  it('retries keep the warming service saturated without a breaker; a breaker lets it recover', async () => {
    const scenario = scenarioNamed('retry-storm').build('quick');
    const none = await runScenario(scenario, noBreaker, { seed: 3, size: 'quick' });
    const breaker = await runScenario(scenario, staticBreaker, { seed: 3, size: 'quick' });
    expect(none.metrics.recoveryTimeMs).toBeNull();
    expect(none.incidents[0].healedAt).toBeNull();
    expect(none.metrics.sickUtilisation).toBeGreaterThan(0.9);
    expect(breaker.incidents[0].healedAt).not.toBeNull();
    expect(breaker.metrics.successRate).toBeGreaterThan(none.metrics.successRate + 0.5);
  });

  it('the healthy baseline loses nothing under any policy', async () => {
    const suite = await runSuite({ seed: 1, size: 'quick', scenarios: [scenarioNamed('healthy')] });
    for (const run of suite.runs) {
      expect(run.metrics).toMatchObject({
        successRate: 1,
        wastedCalls: 0,
        rejections: 0,
        falseRejections: 0,
        incidents: 0,
        recoveryTimeMs: null,
      });
    }
  });

  it('counts cascades in the fan-out graph and what each policy prevented', async () => {
    const suite = await runSuite({
      seed: 1,
      size: 'quick',
      scenarios: [scenarioNamed('fan-out')],
      policies: BUILT_IN_POLICIES,
    });
    const [none, ...others] = suite.runs;
    expect(none.metrics.cascades).toBe(2);
    expect(none.cascaded.sort()).toEqual(['checkout', 'gateway']);
    for (const run of others) expect(run.metrics.cascadesPrevented).toBe(Math.max(0, 2 - run.metrics.cascades!));
    expect(others.find((r) => r.policy === 'backoff')!.metrics.cascades).toBe(0);
  });

  it('takes a new policy without any change to the simulator (a guard with a control-plane tick)', async () => {
    let ticks = 0;
    const ticking: Policy = {
      name: 'ticking',
      description: 'no breaker, but a tick on virtual time',
      guard(edge) {
        const inner = noBreaker.guard(edge);
        return {
          call: (send) => inner.call(send),
          isRejection: () => false,
          tick: () => void ticks++,
          dispose: () => inner.dispose(),
        };
      },
    };
    const scenario: Scenario = { ...hardOutageScenario(), durationMs: 20_000 };
    await runScenario(scenario, ticking, { seed: 1, size: 'quick' });
    expect(ticks).toBe(19);
  });
});
