import { describe, expect, it } from 'vitest';
import { GROUNDING_TOLERANCE, agree, runGrounding } from '../../../src/sim/grounding/grounding';
import { startFaultyServer } from '../../../src/sim/grounding/faulty-server';

describe('grounding: the simulator against real HTTP on 127.0.0.1', () => {
  it('the faulty server resets connections (TCP RST) on its schedule', async () => {
    const server = await startFaultyServer({
      faults: [{ type: 'connection-reset', intensity: 'severe', from: 0, to: 60_000 }],
      latencyMs: 1,
      seed: 1,
    });
    try {
      const error = await fetch(server.url).catch((e: unknown) => e);
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
      expect(server.injector.getFailureStats().byType['connection-reset']).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('hard-outage and latency-creep, with and without a breaker, agree with the simulator within the stated tolerance', async () => {
    const rows = await runGrounding(1);
    expect(rows.map((r) => `${r.scenario}/${r.policy}`)).toEqual([
      'hard-outage/none',
      'hard-outage/breaker',
      'latency-creep/none',
      'latency-creep/breaker',
    ]);
    for (const row of rows) {
      expect(row.real.requests).toBeGreaterThan(200);
      expect(
        Math.abs(row.real.successRate - row.simulated.successRate),
        `${row.scenario}/${row.policy} success rate`,
      ).toBeLessThanOrEqual(GROUNDING_TOLERANCE.successRate);
      expect(row.agrees, JSON.stringify(row)).toBe(true);
    }
    // The real breaker did cut the calls wasted on the real outage.
    expect(rows[1].real.wastedCalls).toBeLessThan(rows[0].real.wastedCalls * 0.75);
  });

  it('agree() applies the stated tolerance', () => {
    expect(agree({ successRate: 0.9, wastedCalls: 100 }, { successRate: 0.86, wastedCalls: 124 })).toBe(true);
    expect(agree({ successRate: 0.9, wastedCalls: 100 }, { successRate: 0.84, wastedCalls: 100 })).toBe(false);
    expect(agree({ successRate: 0.9, wastedCalls: 100 }, { successRate: 0.9, wastedCalls: 140 })).toBe(false);
    expect(agree({ successRate: 0.9, wastedCalls: 2 }, { successRate: 0.9, wastedCalls: 16 })).toBe(true);
  });
});
