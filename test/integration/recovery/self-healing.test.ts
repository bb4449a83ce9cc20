import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../src/recovery/worker-pool';
import { SelfHealingConfig } from '../../../src/recovery/self-healing';
import { coded, rig } from './helpers';

/** Three workers of kind 'worker' that trip after one failure and probe after 10 s. */
function setup() {
  const r = rig();
  r.registry.configure('worker', { failureThreshold: 1, recoveryTimeout: 10_000 });
  const pool = new WorkerPool({
    registry: r.registry,
    timers: r.timers,
    name: 'inference',
    random: () => 0,
    targets: ['w1', 'w2', 'w3'].map((id) => ({ id, hardware: 'gpu' })),
  });
  return { ...r, pool };
}

/** Trips each breaker, waits out its open period, and lets one probe succeed or fail. */
function probeAll(r: ReturnType<typeof setup>, succeed: boolean): void {
  for (const id of ['w1', 'w2', 'w3']) r.registry.get('worker', id)!.recordFailure(new Error('trip'));
  r.clock.advance(r.registry.get('worker', 'w1')!.options.recoveryTimeout);
  for (const id of ['w1', 'w2', 'w3']) {
    const breaker = r.registry.get('worker', id)!;
    if (succeed) expect(breaker.attempt(() => 'up').ok).toBe(true);
    else
      expect(() =>
        breaker.attempt(() => {
          throw new Error('still down');
        }),
      ).toThrow('still down');
  }
}

describe('self-healing configuration', () => {
  it('shortens recoveryTimeout when probes succeed, applies it to the kind, and records every change', () => {
    const r = setup();
    const healing = r.pool.selfHealing();
    probeAll(r, true);
    const changes = healing.adjust();
    expect(changes).toEqual([
      {
        kind: 'worker',
        option: 'recoveryTimeout',
        before: 10_000,
        after: 7500,
        because: '3 of 3 half-open probes succeeded: circuits stayed open longer than the faults lasted',
      },
    ]);
    expect(r.registry.kindConfiguration('worker').recoveryTimeout).toBe(7500);
    expect(r.registry.get('worker', 'w2')!.options.recoveryTimeout).toBe(7500);
    const selfHeal = r.registry
      .recent({ kind: 'pool', event_type: 'recovery' })
      .filter((e) => e.detail?.action === 'self-heal');
    expect(selfHeal).toHaveLength(1);
    expect(selfHeal[0]).toMatchObject({
      breaker: 'inference',
      detail: { kind: 'worker', option: 'recoveryTimeout', before: 10_000, after: 7500 },
    });
    // Each breaker's reconfiguration is in the history too.
    expect(r.registry.recent({ kind: 'worker', event_type: 'tuning' })).toHaveLength(3);
    // Nothing new seen: nothing changes.
    expect(healing.adjust()).toEqual([]);
  });

  it('lengthens recoveryTimeout when probes fail', () => {
    const r = setup();
    const healing = r.pool.selfHealing();
    probeAll(r, false);
    expect(healing.adjust()).toMatchObject([{ option: 'recoveryTimeout', before: 10_000, after: 12_500 }]);
  });

  it('stays within its bounds, and makes no change (and no event) at a bound', () => {
    const r = setup();
    const healing = r.pool.selfHealing({ recoveryTimeout: { min: 9000, max: 60_000 } });
    probeAll(r, true);
    expect(healing.adjust()).toMatchObject([{ before: 10_000, after: 9000 }]);
    r.clock.advance(100_000);
    probeAll(r, true);
    expect(healing.adjust()).toEqual([]);
    expect(healing.changes).toHaveLength(1);
    expect(r.registry.recent({ event_type: 'recovery' }).filter((e) => e.detail?.action === 'self-heal')).toHaveLength(
      1,
    );
  });

  it('needs minEvidence observations before it acts', () => {
    const r = setup();
    const healing = r.pool.selfHealing({ minEvidence: 4 });
    probeAll(r, true);
    expect(healing.adjust()).toEqual([]);
  });

  it('raises failureThreshold when retries on the same worker fixed the failures that tripped circuits', async () => {
    const r = rig();
    // A high workerFailureLimit: three tasks failing once on w1 stay on w1 and are fixed by a retry.
    const pool = new WorkerPool({
      registry: r.registry,
      timers: r.timers,
      name: 'inference',
      workerFailureLimit: 10,
      targets: [
        { id: 'w1', hardware: 'gpu' },
        { id: 'w2', hardware: 'gpu' },
      ],
    });
    const healing = pool.selfHealing({ kinds: ['worker'] });
    for (const id of ['a', 'b', 'c']) {
      let calls = 0;
      await pool.run({
        id,
        run: () => {
          if (calls++ === 0) throw coded('ECONNRESET');
          return 1;
        },
      });
    }
    // A manual force-open is not a trip; failures that open the circuit are.
    r.registry.get('worker', 'w2')!.forceOpen();
    r.registry.get('worker', 'w2')!.close();
    for (let i = 0; i < 5; i++) r.registry.get('worker', 'w2')!.recordFailure(new Error('x'));
    expect(healing.adjust()).toEqual([
      {
        kind: 'worker',
        option: 'failureThreshold',
        before: 5,
        after: 6,
        because: '3 of 3 recoveries were retries on the same target, yet circuits tripped 1 time(s)',
      },
    ]);
  });

  it('lowers failureThreshold when recoveries needed a switch away from the failing worker', async () => {
    const r = rig();
    const pool = new WorkerPool({
      registry: r.registry,
      timers: r.timers,
      name: 'inference',
      targets: [
        { id: 'w1', hardware: 'gpu' },
        { id: 'w2', hardware: 'gpu' },
      ],
    });
    const healing = pool.selfHealing({ kinds: ['worker'] });
    for (const id of ['a', 'b', 'c']) {
      await pool.run({
        id,
        run: (attempt) => {
          if (attempt.worker === 'w1') throw coded('ECONNREFUSED');
          return 1;
        },
      });
    }
    expect(healing.adjust()).toMatchObject([{ option: 'failureThreshold', before: 5, after: 4 }]);
  });

  it('counts only the recoveries of its own pool', async () => {
    const r = rig();
    const other = new WorkerPool({
      registry: r.registry,
      timers: r.timers,
      name: 'other',
      targets: [
        { id: 'o1', hardware: 'gpu' },
        { id: 'o2', hardware: 'gpu' },
      ],
    });
    const mine = new WorkerPool({
      registry: r.registry,
      timers: r.timers,
      name: 'mine',
      targets: [{ id: 'm1', hardware: 'gpu' }],
    });
    const healing = mine.selfHealing({ kinds: ['worker'] });
    for (const id of ['a', 'b', 'c']) {
      await other.run({
        id,
        run: (attempt) => {
          if (attempt.worker === 'o1') throw coded('ECONNREFUSED');
          return 1;
        },
      });
    }
    expect(healing.adjust()).toEqual([]);
  });

  it('adjusts on the injected timers after start(), until stop()', () => {
    const r = setup();
    const healing = r.pool.selfHealing();
    healing.start(60_000);
    probeAll(r, true);
    r.clock.advance(60_000 - 10_000);
    expect(healing.changes).toHaveLength(1);
    const withHealing = r.clock.pendingTimers();
    healing.dispose();
    expect(r.clock.pendingTimers()).toBe(withHealing - 1); // its own timer gone; the registry's and breakers' ticks stay
  });

  it('bad options are named errors', () => {
    const r = setup();
    expect(() => new SelfHealingConfig({ registry: r.registry, eventsOn: { kind: 'pool', name: 'nope' } })).toThrow(
      /option "eventsOn" must name a breaker of the registry/,
    );
    expect(() => r.pool.selfHealing({ step: 1 })).toThrow(/option "step" must be a number between 0 and 1/);
    expect(() => r.pool.selfHealing({ recoveryTimeout: { min: 10, max: 5 } })).toThrow(
      /option "recoveryTimeout" must be \{ min, max \}/,
    );
    expect(() => r.pool.selfHealing({ kinds: [] })).toThrow(/option "kinds" must be a non-empty list/);
    expect(() => r.pool.selfHealing({ minEvidence: 0 })).toThrow(/option "minEvidence" must be an integer from 1/);
    expect(
      () =>
        new SelfHealingConfig({
          registry: r.registry,
          eventsOn: { kind: 'pool', name: 'inference' },
          every: 5,
        } as never),
    ).toThrow(/unknown self-healing option "every"/);
    expect(() => r.pool.selfHealing().start(0)).toThrow(/start\(everyMs\) needs a number of ms >= 1/);
  });
});
