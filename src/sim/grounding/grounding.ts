import type { CircuitBreakerOptions } from '../../options';
import type { ScheduleEntry } from '../../chaos/schedule';
import { BreakerEdge } from '../guards';
import { noBreaker } from '../policies';
import type { Policy } from '../policy';
import { runScenario } from '../run';
import type { Scenario } from '../scenario';
import { startFaultyServer } from './faulty-server';
import { runRealClient } from './real-client';

/** The real runs are short, so the breaker's timings are short too (the static policy's shape). */
export const GROUNDING_BREAKER_OPTIONS: Readonly<Omit<CircuitBreakerOptions, 'timeout' | 'clock'>> = Object.freeze({
  slidingWindowType: 'time',
  slidingWindowSize: 5_000,
  failureRateThreshold: 50,
  minimumCalls: 10,
  failureThreshold: 0,
  recoveryTimeout: 2_000,
  halfOpenMaxCalls: 1,
});

/** The agreement the grounding requires between the simulator and the real run. */
export const GROUNDING_TOLERANCE = Object.freeze({
  /** Success rates within this many points (0..1). */
  successRate: 0.05,
  /** Wasted calls within this share of the larger count, or this many calls. */
  wastedShare: 0.25,
  wastedCalls: 15,
});

const DURATION_MS = 14_000;
const RATE = 20;
const TIMEOUT_MS = 1_000;
/** Loopback HTTP through fetch answers in about this long. */
const LATENCY_MS = 2;

/** The two grounded scenarios, on a 14 s timeline: 6 s of outage; +100, +500, +2000 ms for 3 s each. */
export const GROUNDED_FAULTS: Readonly<Record<'hard-outage' | 'latency-creep', readonly ScheduleEntry[]>> =
  Object.freeze({
    'hard-outage': [{ type: 'connection-reset', intensity: 'severe', from: 3_000, to: 9_000 }],
    'latency-creep': [{ type: 'latency', ramp: ['mild', 'severe'], from: 2_000, to: 11_000 }],
  });

/** One grounded comparison: the same scenario and policy, simulated and real. */
export interface GroundingRow {
  scenario: string;
  policy: string;
  simulated: { requests: number; successRate: number; wastedCalls: number };
  real: { requests: number; successRate: number; wastedCalls: number };
  agrees: boolean;
}

/** The simulator's twin of the real set-up: one client, one service that never queues. */
function twin(name: string, faults: readonly ScheduleEntry[]): Scenario {
  return {
    name,
    title: `${name}, grounded`,
    durationMs: DURATION_MS,
    services: [{ name: 'api', capacity: 10_000, latencyMs: LATENCY_MS, faults }],
    clients: [{ name: 'client', target: 'api', ratePerSecond: RATE, concurrency: 10_000, timeoutMs: TIMEOUT_MS }],
    sickService: 'api',
    watchedEdge: 'client->api',
    cascades: false,
  };
}

const groundedBreaker: Policy = {
  name: 'breaker',
  description: 'the grounding breaker',
  guard: (edge) => BreakerEdge.on(edge, GROUNDING_BREAKER_OPTIONS),
};

/** Whether two measurements agree within GROUNDING_TOLERANCE. */
export function agree(
  a: { successRate: number; wastedCalls: number },
  b: { successRate: number; wastedCalls: number },
): boolean {
  const wastedSlack = Math.max(
    GROUNDING_TOLERANCE.wastedCalls,
    GROUNDING_TOLERANCE.wastedShare * Math.max(a.wastedCalls, b.wastedCalls),
  );
  return (
    Math.abs(a.successRate - b.successRate) <= GROUNDING_TOLERANCE.successRate &&
    Math.abs(a.wastedCalls - b.wastedCalls) <= wastedSlack
  );
}

/**
 * Runs hard-outage and latency-creep with no breaker and with a breaker, each for real (an HTTP
 * server on 127.0.0.1, fetch, 14 s of wall time, the four runs at once) and in the simulator.
 */
export async function runGrounding(seed = 1): Promise<GroundingRow[]> {
  const cases = (Object.keys(GROUNDED_FAULTS) as Array<keyof typeof GROUNDED_FAULTS>).flatMap((scenario) =>
    [noBreaker, groundedBreaker].map((policy) => ({ scenario, policy })),
  );
  const real = await Promise.all(
    cases.map(async ({ scenario, policy }) => {
      const server = await startFaultyServer({ faults: GROUNDED_FAULTS[scenario], latencyMs: LATENCY_MS, seed });
      try {
        return await runRealClient({
          url: server.url,
          durationMs: DURATION_MS,
          ratePerSecond: RATE,
          timeoutMs: TIMEOUT_MS,
          seed,
          breaker: policy === noBreaker ? undefined : { ...GROUNDING_BREAKER_OPTIONS, name: `${scenario}-real` },
        });
      } finally {
        await server.close();
      }
    }),
  );
  const rows: GroundingRow[] = [];
  for (const [i, { scenario, policy }] of cases.entries()) {
    const sim = await runScenario(twin(scenario, GROUNDED_FAULTS[scenario]), policy, { seed, size: 'quick' });
    const simulated = {
      requests: sim.metrics.requests,
      successRate: sim.metrics.successRate,
      wastedCalls: sim.metrics.wastedCalls,
    };
    const measured = { requests: real[i].requests, successRate: real[i].successRate, wastedCalls: real[i].wastedCalls };
    rows.push({ scenario, policy: policy.name, simulated, real: measured, agrees: agree(simulated, measured) });
  }
  return rows;
}
