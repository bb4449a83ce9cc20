import { Arena } from './arena';
import { ClockMode } from './layout';
import { core } from './select';

/** Where a breaker lives: its arena, that arena's id and this thread's lane in it, and its slot. */
export interface SlotRef {
  readonly arena: Arena;
  readonly arenaId: number;
  /** This thread's success lane in the arena (LAYOUT.md "Lanes"), -1 when it has none. */
  readonly lane: number;
  /** Per slot, how much of this thread's lane is folded into the window (shared by its breakers on a slot). */
  readonly folded: Float64Array;
  /** Per slot, the epoch `folded` counts for: a slot given back starts its lanes, and the marks, at 0. */
  readonly foldedEpochs: Uint32Array;
  /** Per slot, when this thread last timed a synchronous call on it (ms on its breaker's clock). */
  readonly sampledAtMs: Float64Array;
  readonly slot: number;
}

/** An arena as this thread's core knows it: its id, the lane this thread counts in, its fold marks. */
export interface AttachedArena {
  readonly id: number;
  readonly lane: number;
  readonly folded: Float64Array;
  readonly foldedEpochs: Uint32Array;
  readonly sampledAtMs: Float64Array;
}

/** Arenas of a chain grow from 16 to 256 slots, so a lone breaker of a rare size costs little. */
const FIRST_ARENA_SLOTS = 16;
const MAX_ARENA_SLOTS = 256;
const attached = new WeakMap<ArrayBufferLike, AttachedArena>();

/**
 * This thread's core id and lane for an arena, attaching it (and claiming a lane) on first use;
 * `id` when the core attached it already (a host arena, which the core maps and attaches itself).
 */
export function attachArena(arena: Arena, id?: number): AttachedArena {
  let found = attached.get(arena.buffer);
  if (found === undefined) {
    const arenaId = id ?? core.attach(arena.buffer);
    const lane = core.claimLane(arenaId);
    const folded = new Float64Array(arena.capacity);
    const foldedEpochs = new Uint32Array(arena.capacity);
    // A lane freed by a thread that ended still holds its counts (in the window as far as that
    // thread folded them): this thread folds only what it adds.
    for (let slot = 0; lane >= 0 && slot < arena.capacity; slot++) {
      folded[slot] = arena.lanes[arena.laneIndex(slot, lane)];
      foldedEpochs[slot] = arena.epochOf(slot);
    }
    found = { id: arenaId, lane, folded, foldedEpochs, sampledAtMs: new Float64Array(arena.capacity).fill(-Infinity) };
    attached.set(arena.buffer, found);
  }
  return found;
}

/** A slot of an arena, addressed for this thread. */
export function slotRef(arena: Arena, slot: number): SlotRef {
  const { id, lane, folded, foldedEpochs, sampledAtMs } = attachArena(arena);
  return { arena, arenaId: id, lane, folded, foldedEpochs, sampledAtMs, slot };
}

/** Aligns this thread's fold mark of a slot with the slot's epoch before a breaker counts in it. */
export function adoptFoldMark(ref: SlotRef, epoch: number): void {
  if (ref.foldedEpochs[ref.slot] === epoch) return;
  ref.foldedEpochs[ref.slot] = epoch;
  ref.folded[ref.slot] = 0;
}

/**
 * Hands out slots from shared arenas, one chain of arenas per window bucket count, each arena
 * twice the last (16 up to 256 slots): a breaker costs a slot, not an allocation. One pool per
 * clock (monotonic or a manual clock).
 */
export class ArenaPool {
  readonly arenas: Arena[] = [];
  /** Chains by shape: the bucket count, negative for arenas without latency histograms. */
  private readonly open = new Map<number, Arena>();
  /** Slots given back by disposed breakers, per shape, zeroed and ready for reuse. */
  private readonly released = new Map<number, SlotRef[]>();
  /** Gives the slots of owners nobody can reach any more back (the held value is the SlotRef itself: no allocation). */
  private readonly unreachable = new FinalizationRegistry<SlotRef>((ref) => this.release(ref));

  constructor(private readonly clockMode: (typeof ClockMode)[keyof typeof ClockMode]) {}

  /** A slot of `buckets` window buckets, with latency histograms or (histogram false) counters only. */
  allocate(buckets: number, histogram = true): SlotRef {
    const shape = histogram ? buckets : -buckets;
    const reused = this.released.get(shape)?.pop();
    if (reused !== undefined) return reused;
    let arena = this.open.get(shape);
    let slot = arena ? arena.allocate() : -1;
    if (arena === undefined || slot < 0) {
      const capacity = arena === undefined ? FIRST_ARENA_SLOTS : Math.min(MAX_ARENA_SLOTS, arena.capacity * 2);
      arena = Arena.create({ capacity, maxBuckets: buckets, clockMode: this.clockMode, histogram });
      this.arenas.push(arena);
      this.open.set(shape, arena);
      this.onNewArena(arena);
      slot = arena.allocate();
    }
    return slotRef(arena, slot);
  }

  /**
   * Takes back the slot of a disposed breaker: the core zeroes it (a fresh CLOSED slot, no
   * totals, no history) and bumps its epoch and generation, so handles and views of the old
   * breaker never reach the next one; it goes to the next breaker of the same shape. Only the
   * owner may call this, once it no longer uses the slot.
   */
  release(ref: SlotRef): void {
    adoptFoldMark(ref, core.release(ref.arenaId, ref.slot));
    const shape = ref.arena.bins > 0 ? ref.arena.maxBuckets : -ref.arena.maxBuckets;
    const free = this.released.get(shape) ?? [];
    free.push(ref);
    this.released.set(shape, free);
  }

  /** Gives `ref` back once `owner` is garbage: for owners that may be dropped without giving it back. */
  releaseWhenUnreachable(owner: object, ref: SlotRef): void {
    this.unreachable.register(owner, ref, owner);
  }

  /** The owner gives its slot back itself, or shares it with other threads: never released for it by the collector. */
  keepWhenUnreachable(owner: object): void {
    this.unreachable.unregister(owner);
  }

  /** Hook for pools whose arenas need set-up (a manual clock writes its time into them). */
  protected onNewArena(_arena: Arena): void {}
}

export const monotonicPool = new ArenaPool(ClockMode.monotonic);
