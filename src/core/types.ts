/**
 * The core contract: one interface, two implementations (native C++ and reference TypeScript).
 * Both operate on the same arena layout (native/LAYOUT.md). Operations take an arena id (from
 * attach) and a slot index, write their answer into `scratch`, and never allocate.
 */
export interface CoreBackend {
  readonly kind: 'native' | 'reference';
  /** Host-wide arenas in shared memory (native core on POSIX only): undefined on the reference core. */
  readonly host?: HostBinding;
  /** Registers per-thread answer registers (see layout `Scratch`). */
  readonly scratch: Int32Array;
  /** Validates an arena (a SharedArrayBuffer whose header is written) and returns its id for this thread. */
  attach(buffer: ArrayBufferLike): number;
  /** 1 when the call is admitted (scratch.generation holds its generation), 0 when rejected. */
  admit(arena: number, slot: number): number;
  /** Records an outcome; returns 1 when it caused a transition (described in scratch). */
  record(arena: number, slot: number, generation: number, outcome: number, count: number, latencyUs: number): number;
  /** Folds rejections decided in JS into the totals and the window. */
  rejected(arena: number, slot: number, count: number): void;
  forceOpen(arena: number, slot: number): number;
  disable(arena: number, slot: number): number;
  close(arena: number, slot: number): number;
  reset(arena: number, slot: number): number;
  restore(arena: number, slot: number, state: number, remainingMs: number, reopens: number): number;
  /**
   * Claims this thread's lane of an arena (LAYOUT.md "Lanes"): the lane, or -1 when all are taken.
   * The native core gives it back when the thread ends (however it ends); the reference core never does.
   */
  claimLane(arena: number): number;
  /** Zeroes a slot for its next owner, bumping its epoch and generation; returns the new epoch. */
  release(arena: number, slot: number): number;
  /** Ms until the state's deadline (OPEN, or HALF_OPEN with a timeout), 0 once reached or when it has none. */
  remainingMs(arena: number, slot: number): number;
  /** CLOSED -> OPEN for periodMs (reason PREDICTED); 1 when it opened the circuit. */
  preOpen(arena: number, slot: number, periodMs: number): number;
  /** The cluster's decision: OPEN for periodMs (from CLOSED, OPEN or HALF_OPEN), or CLOSED; reason CLUSTER. 1 when it moved. */
  clusterMove(arena: number, slot: number, state: number, periodMs: number): number;
  configure(arena: number, slot: number, config: Float64Array): void;
  snapshot(arena: number, slot: number, out: Float64Array): void;
  /** Fills out with up to 8 entries of [atUs, from, to, reason, newGeneration]; returns the count. */
  history(arena: number, slot: number, out: Float64Array): number;
  /** Fills out with one WINDOW_STATS_SIZE row per slot (see layout `WindowStat`): one crossing for many breakers. */
  windowStats(arena: number, slots: Int32Array, out: Float64Array): void;
  /** The arena's clock in microseconds (manual or monotonic). */
  nowUs(arena: number): number;
  /** Int32 words [nowMs32, parked, demand, era] refreshed by a background clock; parked=1 means stale. */
  clockPage(): Int32Array;
  /** The monotonic clock in microseconds; also wakes a parked clock page. */
  monotonicNowUs(): number;
}

/** A host arena attached in this thread: its id, its memory, and whether this call made the file. */
export interface OpenedHostArena {
  readonly arenaId: number;
  /** An external ArrayBuffer over the arena part of the mapping (the mapping outlives it). */
  readonly buffer: ArrayBuffer;
  readonly created: boolean;
}

/** The native core's host-wide arenas (native/core/host_arena.h). */
export interface HostBinding {
  /** Maps the file at `path` (with `create`, making it 0600 with this geometry when absent) and attaches it in this thread. */
  openHost(path: string, capacity: number, maxBuckets: number, bins: number, create: boolean): OpenedHostArena;
  /** The slot named `key` (configured with `config` when this call names it first): slot * 2 + (1 if created). */
  hostLookup(arena: number, key: string, config: Float64Array): number;
  /** Directory entry `index`: its key (the record its slot was last configured with into configOut), or null when it names nothing. */
  hostEntry(arena: number, index: number, configOut: Float64Array): string | null;
  /** out[i] = the config version of slots[i], which every configure() of it in any process of the host bumps. */
  hostConfigVersions(arena: number, slots: Int32Array, out: Float64Array): void;
  /** 1 while this process is the host's one cluster syncer (taking the lease over from a dead or silent holder). */
  hostSyncLease(arena: number, staleMs: number, holder: number): number;
  /** null while the file covers the mapping; else its size when this process met it cut shorter, and the bytes it still shares. */
  hostCut(arena: number): HostArenaCut | null;
}

/** A host arena file found cut shorter under this process's mapping (the part past its end became private zero pages). */
export interface HostArenaCut {
  /** The file's size when this process last met the cut. */
  readonly fileBytes: number;
  /** Bytes of the mapping, from the file's start, still shared with other processes. */
  readonly sharedBytes: number;
  /** The file's size when this process mapped it. */
  readonly mappedBytes: number;
}
