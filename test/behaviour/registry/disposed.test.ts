import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EarlyWarning } from '../../../src/adaptive/early-warning';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry } from '../../../src/index';
import { fail, recentFailureShareModel, succeed, registryOnManualClock } from '../helpers';

// A failed registry task is a process warning (BREAKWATER_TASK_ERROR), not an exception.
const warnings: string[] = [];
const onWarning = (warning: Error) => void warnings.push(warning.message);
beforeEach(() => void process.on('warning', onWarning));
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe('a registry breaker disposed directly, not through remove()', () => {
  it('leaves the registry: getOrCreate() makes a new breaker that works', () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    const first = registry.getOrCreate('endpoint', 'payments', { failureThreshold: 1 });
    fail(first);
    expect(first.getState()).toBe('open');
    first.dispose();
    expect(registry.get('endpoint', 'payments')).toBeUndefined();
    expect(registry.size).toBe(0);
    const second = registry.getOrCreate('endpoint', 'payments', { failureThreshold: 1 });
    expect(second).not.toBe(first);
    expect(second.getState()).toBe('closed');
    succeed(second);
    expect(registry.list().items.map((health) => health.name)).toEqual(['payments']);
    expect(registry.remove('endpoint', 'payments')).toBe(true);
    expect(registry.remove('endpoint', 'payments')).toBe(false);
  });

  it('is told to onRemoved() listeners once, as remove() is; holds() says the breaker is gone', () => {
    const registry = new Registry({ clock: new ManualClock(0), summaryEveryMs: 0 });
    const removed: string[] = [];
    const stop = registry.onRemoved(({ kind, name }) => removed.push(`${kind}/${name}`));
    const disposed = registry.endpointBreaker('disposed');
    registry.workerBreaker('dropped');
    expect(registry.holds('endpoint', 'disposed', disposed)).toBe(true);
    disposed.dispose();
    disposed.dispose();
    expect(registry.remove('worker', 'dropped')).toBe(true);
    expect(registry.remove('worker', 'dropped')).toBe(false);
    expect(removed).toEqual(['endpoint/disposed', 'worker/dropped']);
    expect(registry.holds('endpoint', 'disposed', disposed)).toBe(false);
    const again = registry.endpointBreaker('disposed');
    expect(registry.holds('endpoint', 'disposed', disposed)).toBe(false); // another breaker under the name
    expect(registry.holds('endpoint', 'disposed', again)).toBe(true);
    stop();
    again.dispose();
    expect(removed).toHaveLength(2);
  });

  it('does not stop the early warning and the tuner for the other breakers', async () => {
    const { clock, registry, predictions } = registryOnManualClock();
    const warning = new EarlyWarning(registry, recentFailureShareModel, { mode: 'observe', everyMs: 1000 });
    const tuner = new AdaptiveTuner(registry, { retrainingInterval: 1000, minDataPoints: 1 });
    const options = { failureThreshold: 0, minimumCalls: 10 };
    const gone = registry.endpointBreaker('gone', options);
    const kept = registry.endpointBreaker('kept', options);
    succeed(gone, 20);
    succeed(kept, 20);
    await clock.runFor(1000);
    gone.dispose();
    fail(kept, 20);
    await clock.runFor(2000);
    const keptAfter = predictions.filter((event) => event.breaker === 'kept' && event.timestamp > 1000);
    expect(keptAfter.length).toBeGreaterThan(0); // scored after the other breaker was disposed
    expect(keptAfter.at(-1)?.probability).toBeGreaterThan(0);
    expect(warning.rounds).toBe(3);
    expect(predictions.filter((event) => event.breaker === 'gone' && event.timestamp > 1000)).toEqual([]);
    expect(tuner.step()).toEqual([]); // reads every breaker it holds without meeting the disposed one
    expect(warnings.filter((message) => message.includes('disposed'))).toEqual([]);
    await registry.shutdown();
  });
});
