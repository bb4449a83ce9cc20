import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type StateChange } from '../../src/index';
import { runTick } from '../../src/tick';
import { fail, manualBreaker, succeed } from './helpers';

/** A breaker on a manual clock, and a second view of its slot, as a worker attaches one from its handle. */
function sharedBreaker(): {
  owner: CircuitBreaker;
  view: CircuitBreaker;
  advance: (ms: number) => void;
  seen: { owner: StateChange[]; view: StateChange[] };
} {
  const { breaker: owner, clock } = manualBreaker({ failureThreshold: 2, recoveryTimeout: 5_000 });
  succeed(owner); // takes its slot
  const view = CircuitBreaker.fromHandle(owner.handle);
  const seen = { owner: [] as StateChange[], view: [] as StateChange[] };
  owner.on('stateChange', (change) => seen.owner.push(change));
  view.on('stateChange', (change) => seen.view.push(change));
  return { owner, view, advance: (ms) => clock.advance(ms), seen };
}

describe('transitions of a shared breaker', () => {
  it("are announced by every view: the owner's own as they happen, the others' on their next call, oldest first", () => {
    const { owner, view, advance, seen } = sharedBreaker();
    fail(owner, 2); // trips
    advance(5_000);
    succeed(owner); // the probe closes it
    expect(seen.owner.map((change) => `${change.from}>${change.to}`)).toEqual([
      'closed>open',
      'open>half-open',
      'half-open>closed',
    ]);
    expect(seen.owner.every((change) => change.madeElsewhere === undefined)).toBe(true);
    expect(seen.view).toEqual([]);

    succeed(view);
    // The same transitions, at the times they happened, marked as made elsewhere.
    expect(seen.view).toEqual(seen.owner.map((change) => ({ ...change, madeElsewhere: true })));
    succeed(view, 3);
    expect(seen.view).toHaveLength(3); // each once
  });

  it("announces the others' transitions before its own, in generation order", () => {
    const { owner, view, seen } = sharedBreaker();
    fail(owner, 2); // the owner trips it
    view.forceOpen(); // then this view forces it open
    expect(seen.view.map((change) => [change.to, change.generation, change.madeElsewhere ?? false])).toEqual([
      ['open', seen.owner[0].generation, true],
      ['forced-open', seen.owner[0].generation + 1, false],
    ]);
  });

  it('reaches a view that is not calling, on the tick', () => {
    const { owner, view, seen } = sharedBreaker();
    succeed(view); // on the tick while it is in use
    fail(owner, 2);
    runTick();
    expect(seen.view.map((change) => [change.to, change.reason, change.madeElsewhere])).toEqual([
      ['open', seen.owner[0].reason, true],
    ]);
  });

  it('does not announce what happened before the view attached', () => {
    const { breaker: owner } = manualBreaker({ failureThreshold: 1 });
    fail(owner); // opens before any view exists
    const view = CircuitBreaker.fromHandle(owner.handle);
    const seen: StateChange[] = [];
    view.on('stateChange', (change) => seen.push(change));
    expect(() => view.executeSync(() => 1)).toThrow(/open/i);
    runTick();
    expect(seen).toEqual([]);
  });
});
