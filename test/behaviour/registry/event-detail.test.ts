import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src/index';

const cyclic = (): Record<string, unknown> => {
  const detail: Record<string, unknown> = { action: 'failover', request: {} };
  (detail.request as Record<string, unknown>).self = detail.request;
  return detail;
};

describe('event details must be JSON data', () => {
  it('recordEvent refuses a detail with a cycle or a BigInt, naming the breaker, the event type and the problem', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    registry.endpointBreaker('payments');
    expect(() => registry.recordEvent('endpoint', 'payments', 'recovery', cyclic())).toThrow(
      /^breakwater: the recovery event of endpoint "payments" has a detail that is not JSON data \(Converting circular structure to JSON/,
    );
    expect(() => registry.recordEvent('endpoint', 'payments', 'rollout', { bytes: 10n })).toThrow(
      /the rollout event of endpoint "payments" has a detail that is not JSON data \(Do not know how to serialize a BigInt\)/,
    );
    expect(() => registry.recordEvent('endpoint', 'payments', 'recovery', cyclic())).toThrow(TypeError);
    expect(registry.recent()).toEqual([]);
    registry.recordEvent('endpoint', 'payments', 'recovery', { action: 'failover', at: new Date(0), to: null });
    expect(registry.recent()).toHaveLength(1);
  });

  it('setProbability refuses such a detail when it records, and leaves the probability as it was', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    registry.workerBreaker('w');
    expect(() => registry.setProbability('worker', 'w', 0.7, { detail: { model: 1n } })).toThrow(
      /the prediction event of worker "w" has a detail that is not JSON data/,
    );
    expect(registry.breakerHealth('worker', 'w')?.probability).toBeNull();
    registry.setProbability('worker', 'w', 0.7, { detail: { model: 1n }, record: false });
    expect(registry.breakerHealth('worker', 'w')?.probability).toBe(0.7);
  });

  it("the library's own wings record without the check: no JSON.stringify per event", () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    registry.workerBreaker('w');
    const stringify = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      calls++;
      return stringify(...args);
    }) as typeof stringify;
    try {
      registry.recordUncheckedEvent('worker', 'w', 'prediction', { threshold: 0.5, action: 'none' });
      registry.recordEvent('worker', 'w', 'recovery', { action: 'retry' });
    } finally {
      JSON.stringify = stringify;
    }
    expect(calls).toBe(1);
    expect(registry.recent().map((event) => event.event_type)).toEqual(['prediction', 'recovery']);
  });
});
