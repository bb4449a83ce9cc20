import { ManualClock } from '../../../src/clock';
import { Registry } from '../../../src/registry/registry';

export const TOKEN = 'test-token-0123456789abcdef';
export const XSS_NAME = '<img src=x onerror=alert(1)>';

const fail = (): never => {
  throw new Error('down');
};

/**
 * A registry with breakers in every interesting state: 12 healthy endpoints, 3 tripped workers,
 * a forced-open hardware class, one breaker whose name is markup, and tuning history.
 */
export function dashboardRegistry(): Registry {
  const clock = new ManualClock(1_700_000_000_000);
  const registry = new Registry({ clock, summaryEveryMs: 0 });
  for (let i = 0; i < 12; i++) {
    const breaker = registry.endpointBreaker(`https://api.example/svc-${String(i).padStart(2, '0')}`, {
      failureThreshold: 5,
    });
    for (let k = 0; k <= i; k++) breaker.executeSync(() => k);
  }
  for (let i = 0; i < 3; i++) {
    clock.advance(20_000);
    const breaker = registry.workerBreaker(`worker-${i}`, {
      failureThreshold: 2,
      recoveryTimeout: 600_000,
      slidingWindowType: 'count',
      slidingWindowSize: 100,
    });
    breaker.executeSync(() => 1);
    for (let k = 0; k < 2; k++) {
      try {
        breaker.executeSync(fail);
      } catch {
        // the failures trip it
      }
    }
  }
  clock.advance(30_000);
  registry.hardwareBreaker('gpu');
  registry.forceOpen('hardware', 'gpu');
  registry.getOrCreate('task', XSS_NAME, { labels: { owner: '<b>bold</b>' } }).executeSync(() => 1);
  // Tuning history over two minutes: the endpoint kind retuned twice.
  registry.configure('endpoint', { failureRateThreshold: 50, recoveryTimeout: 30_000 });
  clock.advance(60_000);
  registry.configure('endpoint', { failureRateThreshold: 40, recoveryTimeout: 20_000 });
  registry.setProbability('worker', 'worker-1', 0.9);
  return registry;
}
