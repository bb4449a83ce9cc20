import { describe, expect, it } from 'vitest';
import { EarlyWarning } from '../../../src/adaptive/early-warning';
import { AdaptiveTuner } from '../../../src/adaptive/tuner';
import { ManualClock, Registry } from '../../../src/index';
import { fail, succeed, recentFailureShareModel, registryOnManualClock } from '../helpers';

/** The tuner, counting its rounds. */
class CountingTuner extends AdaptiveTuner {
  rounds = 0;
  override step(): ReturnType<AdaptiveTuner['step']> {
    this.rounds++;
    return super.step();
  }
}

describe('ManualClock timers, one at a time', () => {
  it('says when its next timer is due, runs to it, and runs for a span timer by timer', async () => {
    const clock = new ManualClock(1000);
    expect(clock.nextTimerAt()).toBeUndefined();
    expect(await clock.runToNextTimer()).toBeUndefined();
    const fired: string[] = [];
    clock.setTimeout(() => void fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => void fired.push(`a@${clock.now()}`), 50);
    clock.setTimeout(() => void fired.push(`c@${clock.now()}`), 200);
    expect(clock.nextTimerAt()).toBe(1050);
    expect(await clock.runToNextTimer()).toBe(1050);
    expect(fired).toEqual(['a@1050']);
    expect(await clock.runToNextTimer()).toBe(1200);
    expect(fired).toEqual(['a@1050', 'b@1200', 'c@1200']); // every timer due at that time, in order
    clock.setTimeout(() => void fired.push(`d@${clock.now()}`), 300);
    await clock.runFor(1000);
    expect(fired.at(-1)).toBe('d@1500');
    expect(clock.now()).toBe(2200);
    await expect(clock.runFor(-1)).rejects.toThrow(/runFor\(ms\) needs a finite ms >= 0, got -1/);
  });

  it('fires a timer set without ms at the next move of time, and refuses a timer it could not fire', () => {
    const clock = new ManualClock(100);
    const seen: number[] = [];
    clock.setTimeout(() => void seen.push(clock.now())); // as the event loop's setTimeout(fn)
    clock.setTimeout(() => void seen.push(clock.now()), -5);
    clock.advance(10);
    expect(seen).toEqual([100, 100]); // due at once: the clock reads a time, never NaN
    expect(clock.now()).toBe(110);
    expect(() => clock.setTimeout(undefined as never, 10)).toThrow(
      /ManualClock.setTimeout\(callback, ms\) needs a function, got undefined/,
    );
    expect(() => clock.setTimeout(() => {}, NaN)).toThrow(/needs a number of ms, got NaN/);
    expect(() => clock.setTimeout(() => {}, '10' as never)).toThrow(/needs a number of ms, got "10"/);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(10); // nothing refused was left behind to break a later move
    expect(clock.now()).toBe(120);
  });

  it('awaits what a timer starts before the next one fires, in runFor (not in advance)', async () => {
    const clock = new ManualClock(0);
    const order: string[] = [];
    clock.setTimeout(async () => {
      await new Promise((resolve) => setImmediate(resolve)); // work that needs the event loop
      order.push('first done');
    }, 10);
    clock.setTimeout(() => void order.push('second'), 20);
    await clock.runFor(20);
    expect(order).toEqual(['first done', 'second']);
  });
});

describe('a registry on a ManualClock', () => {
  it('ticks on the clock: due tasks run as virtual time passes, with no registry.tick() call and no wall time', () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const runs: number[] = [];
    registry.schedule('probe', 1000, (now) => void runs.push(now));
    expect(clock.nextTimerAt()).toBeDefined();
    clock.advance(3500);
    expect(runs).toEqual([1000, 2000, 3000]);
  });

  it("keeps a task's own cadence on the 100 ms tick, and starts it afresh after a run more than a period late", async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const runs: number[] = [];
    let finish: (() => void) | undefined;
    registry.schedule('sync', 250, (now) => {
      runs.push(now);
      if (now === 1000) return new Promise<void>((resolve) => (finish = resolve)); // a run that takes long
    });
    clock.advance(1000);
    expect(runs).toEqual([300, 500, 800, 1000]); // 4 runs a second, as asked, not one every 300 ms
    clock.advance(1000); // the run started at 1000 ms has not finished
    finish!();
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(600);
    expect(runs).toEqual([300, 500, 800, 1000, 2100, 2400, 2600]); // no burst to catch up
  });

  it('registry.tick() resolves once the runs in progress finish, those advance() started too', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const finished: number[] = [];
    registry.schedule('score', 1000, async (now) => {
      await new Promise((resolve) => setImmediate(resolve)); // work that needs the event loop (onnxruntime's)
      finished.push(now);
    });
    clock.advance(1000); // starts the round at 1000 ms without waiting for it
    expect(finished).toEqual([]);
    await registry.tick(); // nothing new is due: it waits for the round advance() started
    expect(finished).toEqual([1000]);
    expect(registry.tick()).toBe(true); // nothing in progress, nothing due
    await registry.shutdown();
  });

  it('runs nothing while its clock stands still, and nothing after shutdown', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const runs: number[] = [];
    registry.schedule('probe', 100, (now) => void runs.push(now));
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([]);
    await registry.shutdown();
    expect(clock.pendingTimers()).toBe(0);
    await clock.runFor(10_000);
    expect(runs).toEqual([]);
  });

  it("runs each task's stop at shutdown, once, a failing stop as a warning", async () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const stopped: string[] = [];
    registry.schedule(
      'held',
      100,
      () => {},
      async () => {
        await new Promise((resolve) => setImmediate(resolve)); // a connection closing
        stopped.push('held');
      },
    );
    registry.schedule(
      'broken',
      100,
      () => {},
      () => {
        throw new Error('cannot close');
      },
    );
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await registry.shutdown();
      await registry.shutdown();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(stopped).toEqual(['held']);
    expect(warnings).toEqual(['breakwater: registry task "broken" failed: cannot close']);
  });

  it('ticks with its breakers on one timer of the clock, whose round runFor() awaits', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 0 });
    const finished: number[] = [];
    registry.schedule('slow', 100, async (now) => {
      await new Promise((resolve) => setImmediate(resolve)); // work that needs the event loop
      finished.push(now);
    });
    const breakers = ['a', 'b'].map((name) => registry.getOrCreate('endpoint', name));
    for (const breaker of breakers) succeed(breaker); // each joins the clock's tick
    expect(clock.pendingTimers()).toBe(1);
    await clock.runFor(300);
    expect(finished).toEqual([100, 200, 300]);
    expect(clock.pendingTimers()).toBe(1);
    await registry.shutdown();
    for (const breaker of breakers) breaker.dispose();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('scores with the early warning and tunes with the tuner on virtual time: runFor() awaits each round', async () => {
    const { clock, registry, predictions } = registryOnManualClock();
    const warning = new EarlyWarning(registry, recentFailureShareModel, { mode: 'open', everyMs: 1000 });
    const tuner = new CountingTuner(registry, { retrainingInterval: 5000, minDataPoints: 1 });
    const breaker = registry.endpointBreaker('inventory', {
      failureThreshold: 0,
      minimumCalls: 10,
      recoveryTimeout: 60_000,
    });
    succeed(breaker, 30);
    await clock.runFor(1000);
    expect(warning.rounds).toBe(1);
    expect(predictions.at(-1)).toMatchObject({ probability: 0, state: 'closed' });
    fail(breaker, 90);
    await clock.runFor(1000);
    expect(warning.rounds).toBe(2);
    expect(predictions.at(-1)).toMatchObject({ timestamp: 2000, probability: 0.75, detail: { action: 'held' } });
    await clock.runFor(1000); // the guard rails want the evidence two rounds in a row
    expect(predictions.at(-1)).toMatchObject({
      timestamp: 3000,
      probability: 0.75, // the recent quarter still holds the first second's successes: one bucket more at a bucket's start
      state: 'open',
      detail: { action: 'pre-open' },
    });
    expect(breaker.getState()).toBe('open');
    expect(tuner.rounds).toBe(0);
    await clock.runFor(2000);
    expect(tuner.rounds).toBe(1); // at 5000 ms of virtual time
    await registry.shutdown();
  });
});
