import { describe, expect, it } from 'vitest';
import { runTick } from '../../../src/tick';
import { fail, succeed } from '../helpers';
import { panickingModel, setup } from './early-warning-fixtures';

describe('early warning guard rails on a breaker too new to know its usual failures', () => {
  it('weighs its failures against half its threshold until its usual share is learnt', async () => {
    // A service failing a steady 30% of its calls against a 50% threshold, a breaker a few seconds
    // old: a second of 6 failures in 10 does not stand out of a usual 25%. Before, with no usual
    // share yet, nothing weighed it, and an outside harness's steady-partial service was shed at 4 s.
    const { clock, registry, breaker, warning } = setup({ mode: 'shed', recordChange: 0 }, panickingModel);
    const second = async (failing: number) => {
      succeed(breaker, 10 - failing);
      fail(breaker, failing);
      clock.advance(1000);
      runTick();
      return (await warning.step(clock.now()))[0];
    };
    for (const failing of [3, 3, 3, 6, 6]) expect((await second(failing)).shedding).toBe(0);
    expect(registry.recent({ event_type: 'prediction' }).at(-1)?.detail?.reason).toMatch(
      /failures within the breaker's usual share \(recent \d+% against a usual 25%, half the threshold until learnt\)/,
    );
    // A service failing for real still stands out of it: 10 of 10, two rounds in a row.
    await second(10);
    expect((await second(10)).shedding).toBeGreaterThan(0);
  });
});
