import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/index';
import { fail } from './helpers';

describe('under fake-timer libraries', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('a replaced global performance (as sinon installs it) does not break the monotonic clock', () => {
    vi.stubGlobal('performance', { now: () => 0, timeOrigin: () => 0 });
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 60_000 });
    fail(breaker);
    expect(breaker.getState()).toBe('open');
    expect(breaker.attempt(() => 1).ok).toBe(false);
    const metrics = breaker.getMetrics();
    expect(metrics.retryAfterMs).toBeGreaterThan(59_000);
    expect(metrics.stateChanges[0].to).toBe('open');
  });
});
