import { describe, expect, it } from 'vitest';
import { fail, manualBreaker, succeed } from './helpers';

describe('manual states', () => {
  it('forceOpen refuses every call until close()', () => {
    const { breaker, clock } = manualBreaker();
    breaker.forceOpen();
    expect(breaker.getState()).toBe('forced-open');
    clock.advance(10 ** 9);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    breaker.close();
    expect(breaker.attempt(() => 1)).toEqual({ ok: true, value: 1 });
    expect(breaker.getMetrics().stateChanges.map((c) => c.reason)).toEqual(['force-open', 'manual-close']);
    expect(breaker.getMetrics().rejections).toBe(1);
  });

  it('disable admits everything, never trips, and still records', () => {
    const { breaker } = manualBreaker({ failureThreshold: 2 });
    breaker.disable();
    fail(breaker, 10);
    succeed(breaker, 3);
    expect(breaker.getState()).toBe('disabled');
    expect(breaker.getMetrics()).toMatchObject({ failures: 10, successes: 3, opens: 0 });
    breaker.close();
    fail(breaker, 2);
    expect(breaker.getState()).toBe('open');
  });

  it('close clears the window and the backoff but keeps totals; reset zeroes totals', () => {
    const { breaker } = manualBreaker({ failureThreshold: 2 });
    fail(breaker, 2);
    breaker.close();
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics()).toMatchObject({ failures: 2, window: { failures: 0 }, consecutiveFailures: 0 });
    fail(breaker);
    breaker.reset();
    expect(breaker.getMetrics()).toMatchObject({ failures: 0, totalCalls: 0, consecutiveFailures: 0, state: 'closed' });
    fail(breaker);
    expect(breaker.getState()).toBe('closed');
  });

  it('close() on a closed circuit clears the window and the failure run too, without a transition', () => {
    const { breaker } = manualBreaker({ failureThreshold: 3, failureRateThreshold: 50, minimumCalls: 4 });
    const changes: string[] = [];
    breaker.on('stateChange', (c) => changes.push(c.to));
    fail(breaker, 2);
    breaker.close();
    // Before, only a close from another state cleared them: one more failure tripped the breaker.
    expect(breaker.getMetrics()).toMatchObject({ failures: 2, window: { calls: 0 }, consecutiveFailures: 0 });
    fail(breaker);
    expect(breaker.getState()).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('a manual operation on the state it is already in is not a transition', () => {
    const { breaker } = manualBreaker();
    const changes: string[] = [];
    breaker.on('stateChange', (c) => changes.push(c.to));
    breaker.close();
    breaker.forceOpen();
    breaker.forceOpen();
    expect(changes).toEqual(['forced-open']);
  });
});

describe('preOpen', () => {
  it('opens a closed circuit for the given period with reason "predicted", then recovers as after a trip', () => {
    const { breaker, clock } = manualBreaker({ recoveryTimeout: 60_000 });
    const changes: string[] = [];
    breaker.on('stateChange', (change) => changes.push(`${change.from}->${change.to}:${change.reason}`));
    expect(breaker.preOpen(2000)).toBe(true);
    expect(breaker.getState()).toBe('open');
    expect(breaker.getMetrics()).toMatchObject({ opens: 1, retryAfterMs: 2000 });
    expect(breaker.preOpen()).toBe(false);
    clock.advance(2000);
    expect(breaker.attempt(() => 'probe')).toEqual({ ok: true, value: 'probe' });
    expect(breaker.getState()).toBe('closed');
    expect(changes).toEqual([
      'closed->open:predicted',
      'open->half-open:recovery-timeout',
      'half-open->closed:probe-success',
    ]);
  });

  it('defaults to recoveryTimeout and leaves a circuit that is not closed alone', () => {
    const { breaker, clock } = manualBreaker({ recoveryTimeout: 5000 });
    expect(breaker.preOpen()).toBe(true);
    clock.advance(4999);
    expect(breaker.attempt(() => 1).ok).toBe(false);
    breaker.forceOpen();
    expect(breaker.preOpen(10)).toBe(false);
    expect(breaker.getState()).toBe('forced-open');
    expect(() => breaker.preOpen(-1)).toThrow(/preOpen\(periodMs\) needs a number of ms/);
  });
});

describe('shed', () => {
  it('refuses the given share of calls of a closed circuit, spread evenly, as rejections', async () => {
    const { breaker } = manualBreaker({ failureThreshold: 0 });
    breaker.shed(0.25);
    const answers = Array.from({ length: 8 }, () => breaker.attempt(() => 'ok').ok);
    expect(answers).toEqual([true, true, true, false, true, true, true, false]);
    expect(breaker.getState()).toBe('closed');
    expect(() => breaker.executeSync(() => 1)).not.toThrow();
    const refused = await Promise.allSettled(Array.from({ length: 4 }, () => breaker.execute(async () => 1)));
    const errors = refused.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ECIRCUITOPEN', state: 'shedding', retryAfterMs: 0 });
    expect(errors[0].message).toMatch(/is shedding/);
    expect(breaker.getMetrics().rejections).toBe(3);
    expect(breaker.sheddingShare).toBe(0.25);
    breaker.shed(0);
    expect(Array.from({ length: 8 }, () => breaker.attempt(() => 1).ok).every(Boolean)).toBe(true);
    expect(() => breaker.shed(1.5)).toThrow(/shed\(share\) needs a number from 0 to 1/);
  });

  it('ends when the circuit leaves closed: a circuit that trips and recovers serves every call again', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 3, recoveryTimeout: 1000 });
    breaker.shed(0.25);
    const down = (): never => {
      throw new Error('down');
    };
    for (let call = 0; call < 3; call++) expect(() => breaker.executeSync(down)).toThrow('down'); // the third trips
    expect(breaker.getState()).toBe('open');
    expect(breaker.sheddingShare).toBe(0);
    clock.advance(1000);
    expect(breaker.attempt(() => 'probe').ok).toBe(true);
    expect(breaker.getState()).toBe('closed');
    // Before, the share set before the trip refused 25 of these 100 calls as 'shedding'.
    expect(Array.from({ length: 100 }, () => breaker.attempt(() => 1).ok).every(Boolean)).toBe(true);
    breaker.shed(0.5);
    breaker.forceOpen();
    breaker.close();
    expect(breaker.sheddingShare).toBe(0);
  });

  it("a refusal after shedding stopped names the circuit's own state, not shedding", () => {
    const { breaker } = manualBreaker({ failureThreshold: 0 });
    breaker.shed(1);
    expect(breaker.attempt(() => 1).ok).toBe(false); // refused without a listener to see why
    breaker.shed(0);
    breaker.forceOpen();
    expect(() => breaker.executeSync(() => 1)).toThrow(expect.objectContaining({ state: 'forced-open' }));
  });
});

describe('tryAcquirePermission', () => {
  it('admits calls whose outcomes are recorded elsewhere, and probes an open circuit past its deadline', () => {
    const { breaker, clock } = manualBreaker({ failureThreshold: 2, recoveryTimeout: 1000 });
    expect(breaker.tryAcquirePermission()).toBe(true);
    breaker.recordFailure(new Error('one'));
    breaker.recordFailure(new Error('two'));
    expect(breaker.getState()).toBe('open');
    expect(breaker.tryAcquirePermission()).toBe(false);
    clock.advance(1000);
    expect(breaker.tryAcquirePermission()).toBe(true); // the probe
    expect(breaker.getState()).toBe('half-open');
    expect(breaker.tryAcquirePermission()).toBe(false); // one probe at a time
    breaker.recordSuccess(5);
    expect(breaker.getState()).toBe('closed');
    expect(breaker.getMetrics().rejections).toBe(2);
  });
});
