import type { Scenario } from '../../../src/sim/index';
export { BreakerEdge, SimulationClock } from '../../../src/sim/index';

/** A small hand-sized system: one client, one service down from 10 s to 40 s, 2 minutes in all. */
export function hardOutageScenario(): Scenario {
  return {
    name: 'small-outage',
    title: 'one service down from 10 s to 40 s',
    durationMs: 120_000,
    services: [
      {
        name: 'api',
        capacity: 10,
        latencyMs: 20,
        faults: [{ type: 'connection-reset', intensity: 'severe', from: 10_000, to: 40_000 }],
      },
    ],
    clients: [{ name: 'client', target: 'api', ratePerSecond: 20, concurrency: 50, timeoutMs: 500 }],
    sickService: 'api',
    watchedEdge: 'client->api',
    cascades: false,
  };
}
