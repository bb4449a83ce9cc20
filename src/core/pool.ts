import { Arena } from './arena';
import { ClockMode, HEADER_BYTES } from './layout';
import { core } from './select';

/** Where a breaker lives: its arena, that arena's id in this thread's core, and its slot. */
export interface SlotRef {
  readonly arena: Arena;
  readonly arenaId: number;
  readonly slot: number;
}

/** Arenas of a chain grow from 16 to 256 slots, so a lone breaker of a rare size costs little. */
const FIRST_ARENA_SLOTS = 16;
const MAX_ARENA_SLOTS = 256;
const attached = new WeakMap<ArrayBufferLike, number>();

/** This thread's core id for an arena buffer, attaching it on first use. */
export function arenaId(arena: Arena): number {
  let id = attached.get(arena.buffer);
  if (id === undefined) {
    id = core.attach(arena.buffer);
    attached.set(arena.buffer, id);
  }
  return id;
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
      arena = Arena.create({ capacity, maxBuckets: buckets, shared: true, clockMode: this.clockMode, histogram });
      this.arenas.push(arena);
      this.open.set(shape, arena);
      this.onNewArena(arena);
      slot = arena.allocate();
    }
    return { arena, arenaId: arenaId(arena), slot };
  }

  /**
   * Takes back the slot of a disposed breaker: zeroed (a fresh CLOSED slot of generation 0, no
   * totals, no history) and handed to the next breaker of the same bucket count. Only the owner
   * may call this, once no thread uses the slot any more.
   */
  release(ref: SlotRef): void {
    const start = HEADER_BYTES + ref.slot * ref.arena.slotBytes;
    new Uint8Array(ref.arena.buffer, start, ref.arena.slotBytes).fill(0);
    const shape = ref.arena.bins > 0 ? ref.arena.maxBuckets : -ref.arena.maxBuckets;
    const free = this.released.get(shape) ?? [];
    free.push(ref);
    this.released.set(shape, free);
  }

  /** Hook for pools whose arenas need set-up (a manual clock writes its time into them). */
  protected onNewArena(_arena: Arena): void {}
}

export const monotonicPool = new ArenaPool(ClockMode.monotonic);
