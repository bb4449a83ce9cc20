import { describe, expect, it } from 'vitest';
import type { Timers } from '../../../src/clock';
import { RolloutController, type RolloutDecision, type RolloutTransition } from '../../../src/rollout/index';
import { feed, manualRollout } from './helpers';

describe('events', () => {
  it('emits a decision for every evaluation, and transition/advance/rollback/complete as they happen', () => {
    const { rollout } = manualRollout({ phases: [0.1, 1], immediateRollback: false });
    const seen: string[] = [];
    const decisions: RolloutDecision[] = [];
    rollout.on('decision', (d) => decisions.push(d));
    rollout.on('transition', (t) => seen.push(`transition ${t.action} ${t.from}->${t.to}`));
    rollout.on('advance', (t) => seen.push(`advance ${t.to}`));
    rollout.on('complete', (t) => seen.push(`complete ${t.to}`));
    const alerts: Array<RolloutTransition & { metrics: unknown }> = [];
    rollout.on('rollback', (t) => alerts.push(t));

    rollout.evaluateAndDecide(); // OFF -> 10%
    rollout.evaluateAndDecide(); // collecting samples
    feed(rollout, 'new', 10, 5);
    rollout.evaluateAndDecide(); // rollback
    rollout.retry();
    feed(rollout, 'new', 10);
    rollout.evaluateAndDecide(); // -> 100%, complete

    expect(decisions.map((d) => d.action)).toEqual(['advance', 'maintain', 'rollback', 'advance']);
    expect(seen).toEqual([
      'transition advance OFF->10%',
      'advance 10%',
      'transition rollback 10%->OFF',
      'transition retry OFF->10%',
      'advance 10%',
      'transition advance 10%->100%',
      'advance 100%',
      'complete 100%',
    ]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      action: 'rollback',
      from: '10%',
      to: 'OFF',
      metrics: { new: { calls: 10, failures: 5 } },
    });
    expect(rollout.getHistory().map((h) => h.action)).toEqual(['advance', 'rollback', 'retry', 'advance']);
    expect(rollout.attempt).toBe(2);
  });

  it('a throwing listener becomes a warning, never a failed evaluation', async () => {
    const { rollout } = manualRollout();
    rollout.on('decision', () => {
      throw new Error('pager down');
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(rollout.evaluateAndDecide().action).toBe('advance');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((m) => m.includes('pager down'))).toBe(true);
  });

  it('the unsubscribe function stops the events', () => {
    const { rollout } = manualRollout();
    let count = 0;
    const off = rollout.on('decision', () => count++);
    rollout.evaluateAndDecide();
    off();
    rollout.evaluateAndDecide();
    expect(count).toBe(1);
  });
});

describe('manual controls', () => {
  it('pause holds the phase even when healthy; resume lets it advance', () => {
    const { rollout } = manualRollout();
    rollout.evaluateAndDecide();
    rollout.pause('waiting for the release notes');
    feed(rollout, 'new', 50);
    const decision = rollout.evaluateAndDecide();
    expect(decision).toMatchObject({ action: 'maintain', status: 'paused', phase: { name: 'PROBE' } });
    expect(decision.reason).toMatch(/^paused \(watchdog: healthy/);
    rollout.resume();
    expect(rollout.evaluateAndDecide()).toMatchObject({ action: 'advance', phase: { name: 'SMALL' } });
    expect(rollout.getHistory().slice(1, 3)).toMatchObject([
      { action: 'pause', from: 'PROBE', to: 'PROBE', reason: 'waiting for the release notes' },
      { action: 'resume', from: 'PROBE', to: 'PROBE' },
    ]);
  });

  it('a paused rollout still rolls back when the new version degrades', () => {
    const { rollout } = manualRollout();
    rollout.evaluateAndDecide();
    rollout.pause();
    feed(rollout, 'new', 10, 9);
    expect(rollout).toMatchObject({ status: 'rolledBack', phase: { name: 'OFF' } });
    // Without the check on each failure, the paused rollout's evaluation rolls back.
    const judgedLater = manualRollout({ immediateRollback: false }).rollout;
    judgedLater.evaluateAndDecide();
    judgedLater.pause();
    feed(judgedLater, 'new', 10, 9);
    expect(judgedLater.evaluateAndDecide()).toMatchObject({
      action: 'rollback',
      status: 'rolledBack',
      previousPhase: { name: 'PROBE' },
    });
  });

  it('a rollout paused before it starts stays OFF until resumed', () => {
    const { rollout } = manualRollout();
    rollout.pause();
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'maintain',
      reason: 'paused at OFF: resume() to start',
      phase: { name: 'OFF' },
    });
    rollout.resume();
    expect(rollout.status).toBe('pending');
    expect(rollout.evaluateAndDecide().phase.name).toBe('PROBE');
  });

  it('promote moves one phase without waiting; promote({ full: true }) goes to the last phase', () => {
    const { rollout } = manualRollout();
    rollout.promote();
    expect(rollout.phase.name).toBe('PROBE');
    rollout.promote();
    expect(rollout.phase.name).toBe('SMALL');
    rollout.promote({ full: true });
    expect(rollout).toMatchObject({ status: 'complete', phase: { name: 'FULL', weight: 1 } });
    expect(() => rollout.promote()).toThrow('breakwater/rollout: cannot promote a rollout that is complete');
  });

  it('abort takes the new version off until retry(), with no automatic retry', () => {
    const { rollout, clock } = manualRollout({ autoRetryDelayMs: 1000 });
    rollout.evaluateAndDecide();
    rollout.promote();
    rollout.abort('customer complaint');
    expect(rollout).toMatchObject({ status: 'aborted', phase: { name: 'OFF' } });
    expect(() => rollout.promote()).toThrow(/cannot promote a rollout that is aborted; retry\(\) first/);
    expect(() => rollout.pause()).toThrow(/cannot pause a rollout that is aborted/);
    expect(() => rollout.resume()).toThrow(/only a paused one/);
    clock.advance(10_000);
    expect(rollout.evaluateAndDecide()).toMatchObject({ action: 'maintain', reason: 'aborted: OFF until retry()' });
    rollout.retry();
    expect(rollout).toMatchObject({ status: 'rolling', phase: { name: 'PROBE' }, attempt: 2 });
  });

  it('retry() is refused while rolling', () => {
    const { rollout } = manualRollout();
    rollout.evaluateAndDecide();
    expect(() => rollout.retry()).toThrow(
      'breakwater/rollout: retry() needs a rolled-back or aborted rollout, this one is rolling',
    );
  });
});

describe('after a rollback', () => {
  it('stays OFF until retry() when no automatic retry is configured', () => {
    const { rollout, clock } = manualRollout();
    rollout.evaluateAndDecide();
    feed(rollout, 'new', 10, 10);
    rollout.evaluateAndDecide();
    clock.advance(86_400_000);
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'maintain',
      reason: 'rolled back: OFF until retry()',
      phase: { name: 'OFF' },
    });
    rollout.retry();
    expect(rollout.phase.name).toBe('PROBE');
    expect(rollout.getMetrics().new.calls).toBe(0);
  });

  it('retries on its own after autoRetryDelayMs (the clock fires the timer)', () => {
    const { rollout, clock } = manualRollout({ autoRetryDelayMs: 30_000 });
    rollout.evaluateAndDecide();
    feed(rollout, 'new', 10, 10);
    rollout.evaluateAndDecide();
    clock.advance(29_999);
    expect(rollout.status).toBe('rolledBack');
    expect(rollout.evaluateAndDecide().reason).toBe('rolled back: OFF until retry() or the automatic retry in 1 ms');
    clock.advance(1);
    expect(rollout).toMatchObject({ status: 'rolling', phase: { name: 'PROBE' }, attempt: 2 });
    expect(rollout.getHistory().at(-1)).toMatchObject({
      action: 'autoRetry',
      from: 'OFF',
      to: 'PROBE',
      reason: 'automatic retry 30000 ms after the rollback',
    });
  });

  it('an evaluation past the retry time retries even on a clock that never fires timers', () => {
    let now = 5_000;
    const frozenTimers: Timers = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
    const rollout = new RolloutController({ clock: frozenTimers, autoRetryDelayMs: 1000 });
    rollout.evaluateAndDecide();
    feed(rollout, 'new', 10, 10);
    expect(rollout.status).toBe('rolledBack');
    now += 1000;
    expect(rollout.evaluateAndDecide()).toMatchObject({
      action: 'advance',
      phase: { name: 'PROBE' },
      reason: 'automatic retry 1000 ms after the rollback',
    });
  });
});

describe('on its own', () => {
  it('start() evaluates every evaluationIntervalMs on the clock; stop() ends it', () => {
    const { rollout, clock } = manualRollout({ evaluationIntervalMs: 10_000 });
    const at: number[] = [];
    rollout.on('decision', (d) => at.push(d.at - 1_000_000));
    rollout.start();
    rollout.start(); // idempotent
    clock.advance(35_000);
    expect(at).toEqual([10_000, 20_000, 30_000]);
    rollout.stop();
    clock.advance(35_000);
    expect(at).toHaveLength(3);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('runs on any virtual clock: windows follow a clock that is not a ManualClock', () => {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const virtual: Timers = {
      now: () => now,
      setTimeout: (fn, ms) => {
        const timer = { at: now + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimeout: (handle) => void timers.splice(timers.indexOf(handle as (typeof timers)[0]), 1),
    };
    const rollout = new RolloutController({ clock: virtual, monitoringWindowMinutes: 1, evaluationIntervalMs: 60_000 });
    rollout.start();
    const step = (ms: number) => {
      now += ms;
      for (const due of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(due), 1);
        due.fn();
      }
    };
    step(60_000); // starts: PROBE
    feed(rollout, 'new', 100, 16); // 0.84: holds
    step(60_000);
    expect(rollout.phase.name).toBe('PROBE');
    step(1); // the failures are a minute old: out of the window, which follows the virtual clock
    expect(rollout.getMetrics().new.calls).toBe(0);
    rollout.dispose();
    expect(timers).toHaveLength(0);
  });

  it('dispose() stops timers; later calls say the controller was disposed', () => {
    const { rollout, clock } = manualRollout({ autoRetryDelayMs: 1000 });
    rollout.start();
    rollout.evaluateAndDecide();
    feed(rollout, 'new', 10, 10);
    rollout.evaluateAndDecide();
    rollout.dispose();
    expect(clock.pendingTimers()).toBe(0);
    expect(() => rollout.evaluateAndDecide()).toThrow(/was disposed/);
  });
});
