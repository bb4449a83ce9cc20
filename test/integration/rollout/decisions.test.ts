import { describe, expect, it } from 'vitest';
import { feed, manualRollout } from './helpers';
import type { RolloutOptions } from '../../../src/rollout/index';

/**
 * A rollout already in its first phase (PROBE). These tests judge at evaluateAndDecide(), so the
 * rollback check on each failure (immediateRollback, tested on its own below) is off.
 */
function inProbe(options: RolloutOptions = {}) {
  const made = manualRollout({ immediateRollback: false, ...options });
  expect(made.rollout.evaluateAndDecide()).toMatchObject({ action: 'advance', phase: { name: 'PROBE' } });
  return made;
}

describe('decisions', () => {
  it('a fresh rollout starts: OFF -> PROBE on the first evaluation', () => {
    const { rollout } = manualRollout();
    expect(rollout.status).toBe('pending');
    const decision = rollout.evaluateAndDecide();
    expect(decision).toMatchObject({
      action: 'advance',
      previousPhase: { name: 'OFF' },
      phase: { name: 'PROBE', weight: 0.01 },
      status: 'rolling',
    });
  });

  it('advance: enough samples at or above advancementThreshold moves to the next phase', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 20, 1); // 0.95 exactly: the edge passes
    const decision = rollout.evaluateAndDecide();
    expect(decision.action).toBe('advance');
    expect(decision.phase.name).toBe('SMALL');
    expect(decision.reason).toMatch(/completion 0\.95 >= advancementThreshold 0\.95 over 20 calls/);
    expect(decision.metrics.new).toMatchObject({ calls: 20, successes: 19, failures: 1, completionRate: 0.95 });
  });

  it('the windows start empty in each phase', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 20);
    feed(rollout, 'old', 50);
    rollout.evaluateAndDecide();
    expect(rollout.getMetrics().new.calls).toBe(0);
    expect(rollout.getMetrics().old.calls).toBe(0);
  });

  it('walks every phase to FULL and then reports complete', () => {
    const { rollout } = inProbe();
    const names = ['PROBE'];
    while (rollout.status !== 'complete') {
      feed(rollout, 'new', 10);
      names.push(rollout.evaluateAndDecide().phase.name);
    }
    expect(names).toEqual(['PROBE', 'SMALL', 'MEDIUM', 'FULL']);
    feed(rollout, 'new', 10);
    expect(rollout.evaluateAndDecide()).toMatchObject({ action: 'maintain', reason: 'complete: FULL reached' });
  });

  it('maintain: fewer than minSamplesPerPhase calls (one short of the edge)', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 9);
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'maintain',
      reason: 'collecting samples: 9 of minSamplesPerPhase 10',
    });
    feed(rollout, 'new', 1);
    expect(rollout.evaluateAndDecide().action).toBe('advance');
  });

  it('maintain: between minTaskCompletionRate and advancementThreshold', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 100, 6); // 0.94
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'maintain',
      reason: 'completion 0.94 < advancementThreshold 0.95: holding',
    });
  });

  it('maintain: below minTaskCompletionRate but not below rollbackThreshold', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 100, 16); // 0.84
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'maintain',
      reason: 'completion 0.84 < minTaskCompletionRate 0.85: holding',
    });
  });

  it('rollback threshold edge: exactly rollbackThreshold holds, just below rolls back', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 100, 20); // 0.80 exactly
    expect(rollout.evaluateAndDecide().action).toBe('maintain');
    feed(rollout, 'new', 1, 1); // 80 / 101 < 0.80
    const decision = rollout.evaluateAndDecide();
    expect(decision).toMatchObject({
      action: 'rollback',
      phase: { name: 'OFF', weight: 0 },
      previousPhase: { name: 'PROBE' },
      status: 'rolledBack',
    });
    expect(decision.reason).toMatch(/< rollbackThreshold 0\.8$/);
    expect(rollout.shouldUseNewVersion('anyone')).toBe(false);
  });

  it('rolls back before minSamplesPerPhase when failures already make the rollback line unreachable', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 2, 2); // best case over 10 calls: 8/10 = 0.8, not below the line
    expect(rollout.evaluateAndDecide().action).toBe('maintain');
    feed(rollout, 'new', 1, 1); // best case 7/10
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'rollback',
      reason: '3 failures in the first 3 calls: completion over 10 calls can be at most 0.7 < rollbackThreshold 0.8',
    });
  });

  it('rolls back on mean latency above maxLatencyMs; exactly the limit passes', () => {
    const { rollout } = inProbe();
    feed(rollout, 'new', 10, 0, 2000);
    expect(rollout.evaluateAndDecide().action).toBe('advance');
    feed(rollout, 'new', 9, 0, 2000);
    feed(rollout, 'new', 1, 0, 2010); // mean 2001
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'rollback',
      reason: 'mean latency 2001 ms > maxLatencyMs 2000 ms',
    });
  });

  it('rolls back on p99 latency when maxP99LatencyMs is set (percentiles from the core histogram)', () => {
    const { rollout } = inProbe({ maxP99LatencyMs: 500, maxLatencyMs: 0 });
    feed(rollout, 'new', 90, 0, 20);
    feed(rollout, 'new', 10, 0, 3000); // 10% at 3 s: p99 is ~3 s, mean 318 ms
    const decision = rollout.evaluateAndDecide();
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/^p99 latency \d+(\.\d+)? ms > maxP99LatencyMs 500 ms$/);
    expect(decision.metrics.new.p99LatencyMs).toBeGreaterThan(2500);
  });

  it('rolls back on p90 latency when maxP90LatencyMs is set', () => {
    const { rollout } = inProbe({ maxP90LatencyMs: 100 });
    feed(rollout, 'new', 50, 0, 20);
    feed(rollout, 'new', 50, 0, 400);
    expect(rollout.evaluateAndDecide().reason).toMatch(/^p90 latency .* > maxP90LatencyMs 100 ms$/);
  });

  it('minimum time per phase: healthy phases wait for minPhaseDurationMs', () => {
    const { rollout, clock } = inProbe({ minPhaseDurationMs: 60_000 });
    feed(rollout, 'new', 10);
    clock.advance(59_999);
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'maintain',
      reason: 'healthy, phase has lasted 59999 of minPhaseDurationMs 60000 ms',
    });
    clock.advance(1);
    expect(rollout.evaluateAndDecide().action).toBe('advance');
  });

  it('a degrading phase rolls back at once, minimum time or not', () => {
    const { rollout } = inProbe({ minPhaseDurationMs: 60_000, consecutiveGoodEvaluations: 3 });
    feed(rollout, 'new', 10, 5);
    expect(rollout.evaluateAndDecide().action).toBe('rollback');
  });

  it('consecutive good evaluations: a bad one in between restarts the count', () => {
    const { rollout } = inProbe({ consecutiveGoodEvaluations: 3 });
    feed(rollout, 'new', 20);
    expect(rollout.evaluateAndDecide().reason).toBe('good evaluation 1 of consecutiveGoodEvaluations 3');
    expect(rollout.evaluateAndDecide().reason).toBe('good evaluation 2 of consecutiveGoodEvaluations 3');
    feed(rollout, 'new', 2, 2); // 20/22 = 0.909: not advance-worthy
    expect(rollout.evaluateAndDecide().action).toBe('maintain');
    feed(rollout, 'new', 30);
    expect(rollout.evaluateAndDecide().reason).toBe('good evaluation 1 of consecutiveGoodEvaluations 3');
    expect(rollout.evaluateAndDecide().reason).toBe('good evaluation 2 of consecutiveGoodEvaluations 3');
    expect(rollout.evaluateAndDecide().action).toBe('advance');
  });

  it('judges a rolling window of monitoringWindowMinutes: old failures age out', () => {
    const { rollout, clock } = inProbe({ monitoringWindowMinutes: 1 });
    feed(rollout, 'new', 100, 16); // 0.84: holding
    expect(rollout.evaluateAndDecide().action).toBe('maintain');
    clock.advance(61_000);
    feed(rollout, 'new', 20);
    const decision = rollout.evaluateAndDecide();
    expect(decision.metrics.new.calls).toBe(20);
    expect(decision.action).toBe('advance');
  });

  describe('against the old version in the same window', () => {
    const compare = { compareWithOldVersion: { maxCompletionRateDrop: 0.05, maxLatencyRatio: 1.5 } };

    it('waits for enough old-version samples before judging', () => {
      const { rollout } = inProbe(compare);
      feed(rollout, 'new', 20);
      feed(rollout, 'old', 9);
      expect(rollout.evaluateAndDecide().reason).toBe("waiting for the old version's samples to compare: 9 of 10");
    });

    it('rolls back when the new completion rate drops more than maxCompletionRateDrop below the old (edge passes)', () => {
      const { rollout } = inProbe({
        ...compare,
        rollbackThreshold: 0.5,
        minTaskCompletionRate: 0.5,
        advancementThreshold: 0.5,
      });
      feed(rollout, 'old', 500, 50); // 0.90
      feed(rollout, 'new', 500, 75); // 0.85: exactly 0.05 below
      expect(rollout.evaluateAndDecide().action).toBe('advance');
      feed(rollout, 'old', 500, 50);
      feed(rollout, 'new', 500, 80); // 0.84 (the windows start again in the next phase)
      expect(rollout.evaluateAndDecide()).toMatchObject({
        action: 'rollback',
        reason:
          "completion 0.84 is more than maxCompletionRateDrop 0.05 below the old version's 0.9 (significant: z 2.8129 >= 2.326)",
      });
    });

    it('holds, and does not roll back, while a drop past the margin is not yet significant', () => {
      const { rollout } = inProbe({ ...compare, immediateRollback: true });
      feed(rollout, 'old', 1000, 10); // 0.99
      // An identical version's one unlucky failure among the phase's first calls: 0.9167.
      feed(rollout, 'new', 11);
      rollout.recordExecution('new', false, 10);
      expect(rollout.status).toBe('rolling');
      expect(rollout.evaluateAndDecide()).toMatchObject({
        action: 'maintain',
        reason:
          "completion 0.9167 is more than maxCompletionRateDrop 0.05 below the old version's 0.99, not yet significant (z 1.4093 < 2.326): holding",
      });
      // A real regression (10% failures) comes off, at one of its failures, once the drop is significant.
      feed(rollout, 'new', 88, 9);
      expect(rollout.status).toBe('rolledBack');
      expect(rollout.getHistory().at(-1)!.reason).toMatch(
        /below the old version's 0.99 \(significant: z [\d.]+ >= 2.326\)$/,
      );
    });

    it('rolls back when the new mean latency exceeds maxLatencyRatio x the old (edge passes)', () => {
      const { rollout } = inProbe(compare);
      feed(rollout, 'old', 20, 0, 100);
      feed(rollout, 'new', 20, 0, 150);
      expect(rollout.evaluateAndDecide().action).toBe('advance');
      feed(rollout, 'old', 20, 0, 100);
      feed(rollout, 'new', 20, 0, 151);
      expect(rollout.evaluateAndDecide()).toMatchObject({
        action: 'rollback',
        reason: "mean latency 151 ms > maxLatencyRatio 1.5 x the old version's 100 ms",
      });
    });

    it('is off by default: an old version much better than the new one does not matter', () => {
      const { rollout } = inProbe();
      feed(rollout, 'old', 100, 0, 10);
      feed(rollout, 'new', 100, 4, 1500);
      expect(rollout.evaluateAndDecide().action).toBe('advance');
    });
  });

  describe('immediate rollback (the default): every new-version failure is checked at once', () => {
    it('rolls back inside recordExecution, with a decision and a rollback event', () => {
      const { rollout } = manualRollout();
      rollout.evaluateAndDecide();
      const decisions: string[] = [];
      const alerts: string[] = [];
      rollout.on('decision', (d) =>
        decisions.push(`${d.action} ${d.previousPhase.name}->${d.phase.name}: ${d.reason}`),
      );
      rollout.on('rollback', (t) => alerts.push(t.reason));
      rollout.recordExecution('new', false, 5);
      rollout.recordExecution('new', false, 5);
      expect(rollout.status).toBe('rolling'); // best case 8/10: not below the line yet
      rollout.recordExecution('new', false, 5);
      expect(rollout).toMatchObject({ status: 'rolledBack', phase: { name: 'OFF' } });
      const reason =
        '3 failures in the first 3 calls: completion over 10 calls can be at most 0.7 < rollbackThreshold 0.8';
      expect(decisions).toEqual([`rollback PROBE->OFF: ${reason}`]);
      expect(alerts).toEqual([reason]);
    });

    it('old-version failures, successes and latency wait for the evaluation', () => {
      const { rollout } = manualRollout();
      rollout.evaluateAndDecide();
      feed(rollout, 'old', 50, 50);
      feed(rollout, 'new', 10, 0, 5000); // far over maxLatencyMs, but no failure
      expect(rollout.status).toBe('rolling');
      expect(rollout.evaluateAndDecide()).toMatchObject({
        action: 'rollback',
        reason: 'mean latency 5000 ms > maxLatencyMs 2000 ms',
      });
    });

    it('a failure that leaves the phase above the line changes nothing', () => {
      const { rollout } = manualRollout();
      rollout.evaluateAndDecide();
      feed(rollout, 'new', 100, 20); // 0.80 at the end, never below it on the way
      expect(rollout.status).toBe('rolling');
    });

    it('is off with immediateRollback: false', () => {
      const { rollout } = manualRollout({ immediateRollback: false });
      rollout.evaluateAndDecide();
      feed(rollout, 'new', 10, 10);
      expect(rollout.status).toBe('rolling');
      expect(rollout.evaluateAndDecide().action).toBe('rollback');
    });
  });
});
