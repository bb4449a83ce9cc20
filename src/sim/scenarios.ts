import type { ScheduleEntry } from '../chaos/schedule';
import type { ClientSpec } from './client';
import { POOL_SCENARIOS } from './pool/scenarios';
import { ROLLOUT_SCENARIOS } from './rollout/scenarios';
import type { RunSize, Scenario, ScenarioDefinition, SimulationDefinition } from './scenario';
import type { ServiceSpec } from './service';

const MINUTE = 60_000;
/** Quick runs play a quarter of the full timeline (fault lengths that a breaker's timings depend on stay). */
const SCALE: Record<RunSize, number> = { quick: 0.25, full: 1 };

const client = (target: string, overrides: Partial<ClientSpec> = {}): ClientSpec => ({
  name: 'client',
  target,
  ratePerSecond: 20,
  concurrency: 100,
  timeoutMs: 1_000,
  ...overrides,
});

const api = (overrides: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name: 'api',
  capacity: 20,
  latencyMs: 40,
  ...overrides,
});

/** One service behind one client: most scenarios differ only in the api's faults. */
function single(
  name: string,
  title: string,
  minutes: number,
  faults: (m: (x: number) => number, size: RunSize) => ScheduleEntry[],
  extra: { service?: Partial<ServiceSpec>; client?: Partial<ClientSpec> } = {},
): ScenarioDefinition {
  return {
    name,
    title,
    build(size: RunSize): Scenario {
      const m = (x: number) => Math.round(x * MINUTE * SCALE[size]);
      return {
        name,
        title,
        durationMs: m(minutes),
        services: [api({ faults: faults(m, size), ...extra.service })],
        clients: [client('api', extra.client)],
        sickService: 'api',
        watchedEdge: 'client->api',
        cascades: false,
      };
    },
  };
}

export const healthy = single('healthy', 'healthy baseline: no fault', 30, () => []);

export const hardOutage = single(
  'hard-outage',
  'hard outage: every call reset for 15 min, then 60 s of warm-up',
  60,
  (m) => [{ type: 'connection-reset', intensity: 'severe', from: m(10), to: m(25) }],
  { service: { capacity: 10, warmupMs: 60_000 } },
);

export const brownout = single('brownout', 'brownout: 40% of calls fail for 20 min', 60, (m) => [
  { type: 'reject', intensity: 'moderate', from: m(10), to: m(30) },
]);

export const latencyCreep = single(
  'latency-creep',
  'latency creep: +100, +500 then +2000 ms (past the 1 s timeout) over 20 min',
  60,
  (m) => [{ type: 'latency', ramp: ['mild', 'severe'], from: m(10), to: m(30) }],
);

export const flapping = single(
  'flapping',
  'flapping: 45 s outages every 3 min',
  60,
  (m, size) => {
    const count = size === 'quick' ? 3 : 8;
    return Array.from({ length: count }, (_, i) => ({
      type: 'connection-reset' as const,
      intensity: 'severe' as const,
      from: m(10) + i * 3 * MINUTE,
      to: m(10) + i * 3 * MINUTE + 45_000,
    }));
  },
  { service: { warmupMs: 10_000 } },
);

export const slowDegradation = single(
  'slow-degradation',
  'slow degradation (memory-leak shape): latency and EAGAIN/EMFILE errors grow, then a 3 min crash',
  60,
  (m) => [
    { type: 'latency', ramp: ['mild', 'moderate'], from: m(10), to: m(30) },
    { type: 'resource-exhaustion', ramp: ['mild', 'moderate'], from: m(10), to: m(30) },
    { type: 'crash', intensity: 'severe', from: m(30), to: m(30) + 3 * MINUTE },
  ],
  { service: { warmupMs: 60_000 } },
);

export const retryStorm = single(
  'retry-storm',
  'overload: a 30 s outage, then clients retrying 3x keep the warming service saturated',
  60,
  (m) => [{ type: 'connection-refused', intensity: 'severe', from: m(10), to: m(10) + 30_000 }],
  {
    service: { capacity: 10, latencyMs: 250, warmupMs: 60_000 },
    client: { retries: { max: 3, delayMs: 100, backoff: 'fixed' } },
  },
);

export const fanOut: ScenarioDefinition = {
  name: 'fan-out',
  title: 'fan-out: payments (an optional leaf) hangs for 15 min under gateway -> checkout',
  build(size: RunSize): Scenario {
    const m = (x: number) => Math.round(x * MINUTE * SCALE[size]);
    return {
      name: 'fan-out',
      title: this.title,
      durationMs: m(60),
      services: [
        {
          name: 'gateway',
          capacity: 40,
          latencyMs: 10,
          dependencies: [
            { service: 'catalog', timeoutMs: 1_000, optional: false },
            { service: 'checkout', timeoutMs: 3_000, optional: false },
          ],
        },
        { name: 'catalog', capacity: 20, latencyMs: 30 },
        {
          name: 'checkout',
          capacity: 6,
          latencyMs: 30,
          dependencies: [
            { service: 'inventory', timeoutMs: 1_000, optional: false },
            { service: 'payments', timeoutMs: 2_000, optional: true },
          ],
        },
        { name: 'inventory', capacity: 20, latencyMs: 20 },
        {
          name: 'payments',
          capacity: 500,
          latencyMs: 50,
          warmupMs: 60_000,
          faults: [{ type: 'hang', intensity: 'severe', from: m(10), to: m(25) }],
        },
      ],
      clients: [client('gateway', { timeoutMs: 5_000 })],
      sickService: 'payments',
      watchedEdge: 'checkout->payments',
      cascades: true,
    };
  },
};

/** The breaker scenarios, in report order: each runs under every breaker policy. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  healthy,
  hardOutage,
  brownout,
  latencyCreep,
  flapping,
  slowDegradation,
  retryStorm,
  fanOut,
];

/** The breaker scenario of this name, or a TypeError listing the known ones. */
export function scenarioNamed(name: string): ScenarioDefinition {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined)
    throw new TypeError(
      `breakwater/chaos: unknown scenario ${JSON.stringify(name)} (known: ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  return scenario;
}

/**
 * Everything `breakwater simulate` runs, in report order: the breaker scenarios, then the rollout
 * scenarios (under big-bang and progressive) and the pool scenarios (without and with recovery).
 */
export const ALL_SCENARIOS: readonly SimulationDefinition[] = [...SCENARIOS, ...ROLLOUT_SCENARIOS, ...POOL_SCENARIOS];

/** The scenario of this name among ALL_SCENARIOS, or a TypeError listing the known ones. */
export function simulationNamed(name: string): SimulationDefinition {
  const scenario = ALL_SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined)
    throw new TypeError(
      `breakwater/chaos: unknown scenario ${JSON.stringify(name)} (known: ${ALL_SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  return scenario;
}
