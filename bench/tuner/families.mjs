// Held-out failure families for the tuner benchmark: none of them is one of the simulator's
// scenarios (src/sim/scenarios.ts), whose runs SIMULATED_TUNER's settings were chosen on. They vary
// what the tuner learns from (call rate 2 to 200/s, latency 5 to 300 ms) and the failure's shape:
// incidents shorter and longer than the static breaker's 30 s open period, relapses, hangs,
// latency past the timeout, a heavy brownout, short stop-the-world pauses; and a healthy service
// slow at a high rate, which a breaker should leave alone.
const MINUTE = 60_000;
const START = 8 * MINUTE; // eight healthy minutes first: the tuner has history before the fault

/** One service behind one client, `minutes` long, with these faults. */
function family(
  name,
  title,
  { minutes = 30, rate = 20, capacity = 20, latencyMs = 40, warmupMs = 10_000, timeoutMs = 1_000, faults },
) {
  return {
    name,
    title,
    durationMs: minutes * MINUTE,
    services: [{ name: 'api', capacity, latencyMs, warmupMs, faults }],
    clients: [{ name: 'client', target: 'api', ratePerSecond: rate, concurrency: Math.max(100, rate * 2), timeoutMs }],
    sickService: 'api',
    watchedEdge: 'client->api',
    cascades: false,
  };
}

/** `count` outages of `lengthMs` every `everyMs`, from START. */
const outages = (type, count, lengthMs, everyMs) =>
  Array.from({ length: count }, (_, i) => ({
    type,
    intensity: 'severe',
    from: START + i * everyMs,
    to: START + i * everyMs + lengthMs,
  }));

export const HELD_OUT_FAMILIES = [
  family('blips', 'four 20 s resets, 5 min apart (shorter than a 30 s open period)', {
    faults: outages('connection-reset', 4, 20_000, 5 * MINUTE),
  }),
  family('busy-long-outage', '200 calls/s on a 10 ms service, refused for 6 min', {
    rate: 200,
    capacity: 100,
    latencyMs: 10,
    warmupMs: 30_000,
    faults: outages('connection-refused', 1, 6 * MINUTE, 0),
  }),
  family('quiet-outage', '2 calls/s, reset for 5 min', {
    rate: 2,
    capacity: 5,
    faults: outages('connection-reset', 1, 5 * MINUTE, 0),
  }),
  family('relapse', 'reset 3 min, healthy 40 s, reset 2 min more', {
    faults: [
      { type: 'connection-reset', intensity: 'severe', from: START, to: START + 3 * MINUTE },
      {
        type: 'connection-reset',
        intensity: 'severe',
        from: START + 3 * MINUTE + 40_000,
        to: START + 5 * MINUTE + 40_000,
      },
    ],
  }),
  family('hang', 'every call hangs for 4 min (the client gives up at 1 s)', {
    faults: outages('hang', 1, 4 * MINUTE, 0),
  }),
  family('past-timeout', '50 calls/s, +2 s latency (past the 1 s timeout) for 5 min', {
    rate: 50,
    capacity: 40,
    faults: [{ type: 'latency', intensity: 'severe', from: START, to: START + 5 * MINUTE }],
  }),
  family('slow-heavy-brownout', 'a 300 ms service at 30 calls/s: 40% rejected and 40% reset for 8 min', {
    rate: 30,
    capacity: 30,
    latencyMs: 300,
    timeoutMs: 2_000,
    faults: [
      { type: 'reject', intensity: 'moderate', from: START, to: START + 8 * MINUTE },
      { type: 'connection-reset', intensity: 'moderate', from: START, to: START + 8 * MINUTE },
    ],
  }),
  family('fast-flaps', '6 outages of 25 s, 90 s apart, at 100 calls/s on a 5 ms service', {
    rate: 100,
    capacity: 50,
    latencyMs: 5,
    faults: outages('connection-reset', 6, 25_000, 90_000),
  }),
  family('pauses', 'a 2 s stop-the-world pause (+2 s latency, past the timeout) every 3 min, then 10 s of warm-up', {
    rate: 40,
    capacity: 40,
    faults: Array.from({ length: 7 }, (_, i) => ({
      type: 'latency',
      intensity: 'severe',
      from: START + i * 3 * MINUTE,
      to: START + i * 3 * MINUTE + 2_000,
    })),
  }),
  family('healthy-slow-busy', 'healthy: a 300 ms service at 45 calls/s, 2 s timeout, no fault', {
    rate: 45,
    capacity: 40,
    latencyMs: 300,
    timeoutMs: 2_000,
    faults: [],
  }),
];
