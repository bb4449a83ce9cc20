import { describe, expect, it } from 'vitest';
import { ManualClock, Registry, healthPercentage } from '../../../src/index';
import { assertCore, fail, succeed } from '../helpers';

describe('registry health', () => {
  it('healthPercentage follows the documented formula', () => {
    assertCore();
    expect(healthPercentage('closed', 0, 0)).toBe(100);
    expect(healthPercentage('closed', 0.25, 0)).toBe(75);
    expect(healthPercentage('closed', 0, 0.5)).toBe(75);
    expect(healthPercentage('half-open', 0.5, 0)).toBe(25);
    expect(healthPercentage('open', 0, 0)).toBe(0);
    expect(healthPercentage('forced-open', 0, 0)).toBe(0);
    expect(healthPercentage('disabled', 0.1, 0)).toBe(90);
  });

  it('reports each breaker from its window and the aggregate by state and kind', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const a = registry.workerBreaker('a', { failureThreshold: 0, failureRateThreshold: 90, minimumCalls: 100 });
    succeed(a, 3);
    fail(a);
    const b = registry.workerBreaker('b', { failureThreshold: 1 });
    fail(b);
    registry.endpointBreaker('https://api.example/v1');
    const gpu = registry.hardwareBreaker('gpu');
    gpu.forceOpen();

    expect(registry.breakerHealth('worker', 'a')).toMatchObject({
      state: 'closed',
      healthPercentage: 75,
      failureRate: 0.25,
      successRate: 0.75,
      totalCalls: 4,
      windowCalls: 4,
    });
    expect(registry.breakerHealth('worker', 'b')).toMatchObject({ state: 'open', healthPercentage: 0 });
    expect(registry.breakerHealth('hardware', 'gpu')?.labels).toEqual({ hardware: 'gpu' });
    expect(registry.breakerHealth('task', 'missing')).toBeUndefined();

    const health = registry.health();
    expect(health).toMatchObject({
      total: 4,
      closed: 2,
      open: 1,
      forcedOpen: 1,
      halfOpen: 0,
      disabled: 0,
      averageHealth: 43.75,
    });
    // Traffic-weighted: a (75, 4 calls), b (0, 1 call), endpoint (100, idle: weight 1), gpu (0, weight 1).
    expect(health.overallHealth).toBeCloseTo((75 * 4 + 0 + 100 + 0) / 7, 2);
    expect(health.byKind.worker).toMatchObject({ total: 2, closed: 1, open: 1, averageHealth: 37.5 });
    expect(health.byKind.endpoint).toMatchObject({ total: 1, averageHealth: 100 });
    expect(health.byKind.hardware).toMatchObject({ total: 1, forcedOpen: 1 });
  });

  it('an empty registry is fully healthy', () => {
    expect(new Registry().health()).toMatchObject({ total: 0, averageHealth: 100, overallHealth: 100, byKind: {} });
  });

  it('reset, resetKind, resetAll, forceOpen, close and isOpen act on the named circuits', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    for (const id of ['w1', 'w2']) fail(registry.workerBreaker(id, { failureThreshold: 1 }));
    fail(registry.taskTypeBreaker('embed', { failureThreshold: 1 }));
    expect(registry.isOpen('worker', 'w1')).toBe(true);
    expect(registry.isOpen('worker', 'never-registered')).toBe(false);
    registry.reset('worker', 'w1');
    expect(registry.isOpen('worker', 'w1')).toBe(false);
    expect(registry.get('worker', 'w1')!.getMetrics().totalCalls).toBe(0);
    registry.resetKind('worker');
    expect(registry.isOpen('worker', 'w2')).toBe(false);
    expect(registry.isOpen('task', 'embed')).toBe(true);
    registry.resetAll();
    expect(registry.health().open).toBe(0);
    registry.forceOpen('task', 'embed');
    expect(registry.isOpen('task', 'embed')).toBe(true);
    registry.close('task', 'embed');
    expect(registry.isOpen('task', 'embed')).toBe(false);
    expect(() => registry.reset('worker', 'nope')).toThrow(/no worker breaker named "nope"/);
  });

  it('list() filters, sorts and pages', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    for (let i = 0; i < 25; i++) {
      const breaker = registry.endpointBreaker(`svc-${String(i).padStart(2, '0')}`, { failureThreshold: 1 });
      if (i % 5 === 0) fail(breaker);
    }
    registry.workerBreaker('svc-worker');
    expect(registry.list({ kind: 'endpoint', state: 'open' }).total).toBe(5);
    const page = registry.list({ kind: 'endpoint', sort: 'name', order: 'desc', offset: 2, limit: 3 });
    expect(page.total).toBe(25);
    expect(page.items.map((row) => row.name)).toEqual(['svc-22', 'svc-21', 'svc-20']);
    expect(registry.list({ search: 'WORK' }).items.map((row) => row.name)).toEqual(['svc-worker']);
    expect(registry.list({ sort: 'healthPercentage', limit: 1 }).items[0].state).toBe('open');
    expect(() => registry.list({ sort: 'nope' as never })).toThrow(/option "sort" must be one of/);
    expect(() => registry.list({ limit: -1 })).toThrow(/option "limit" must be an integer/);
  });
});
