import {
  CLOCK_WORDS,
  ClockMode,
  ERA_SHIFT,
  HEADER_BYTES,
  HISTOGRAM_BINS,
  Header,
  LAYOUT_VERSION,
  MAGIC,
  LANES,
  MAX_BUCKETS,
  Slot,
  Total,
  ClockWord,
  arenaBytesFor,
  slotBytesFor,
} from './layout';

export interface ArenaOptions {
  /** Number of breaker slots. */
  capacity: number;
  /** Window buckets each slot can hold (1..64). */
  maxBuckets: number;
  clockMode: (typeof ClockMode)[keyof typeof ClockMode];
  /** Whether each bucket keeps a latency histogram (240-byte buckets) or only counters (32). Default true. */
  histogram?: boolean;
}

/**
 * One contiguous buffer of fixed-size breaker slots (native/LAYOUT.md). A breaker is a number:
 * its slot index. The buffer is always a SharedArrayBuffer: it can be posted to a worker and
 * attached there, and unlike an ArrayBuffer it can never be detached and freed under the core.
 */
export class Arena {
  /** A SharedArrayBuffer, or for a host arena the external ArrayBuffer over its mapping (host-arena.ts). */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  readonly capacity: number;
  readonly maxBuckets: number;
  readonly slotBytes: number;
  /** Latency histogram bins per bucket: HISTOGRAM_BINS, or 0 when the arena keeps none. */
  readonly bins: number;
  readonly manualClock: boolean;
  /** The file of a host arena (host-arena.ts); undefined for an arena of this process. */
  readonly hostPath: string | undefined;
  /** Int32 view over the whole arena: the facade reads state words through it. */
  readonly words: Int32Array;
  /** Float64 view over the whole arena: the facade counts successes in its lanes through it. */
  readonly lanes: Float64Array;
  private readonly header: DataView;
  private clockWords: Int32Array | undefined;
  private manualNowView: BigInt64Array | undefined;

  private constructor(buffer: SharedArrayBuffer | ArrayBuffer, hostPath?: string) {
    this.buffer = buffer;
    this.hostPath = hostPath;
    this.header = new DataView(buffer, 0, HEADER_BYTES);
    this.capacity = this.header.getUint32(Header.capacity, true);
    this.maxBuckets = this.header.getUint32(Header.maxBuckets, true);
    this.slotBytes = this.header.getUint32(Header.slotBytes, true);
    this.bins = this.header.getUint32(Header.bins, true);
    this.manualClock = this.header.getUint32(Header.clockMode, true) === ClockMode.manual;
    this.words = new Int32Array(buffer);
    this.lanes = new Float64Array(buffer);
  }

  static create(options: ArenaOptions): Arena {
    const bins = options.histogram === false ? 0 : HISTOGRAM_BINS;
    const bytes = arenaBytesFor(options.capacity, options.maxBuckets, bins);
    const buffer = new SharedArrayBuffer(bytes);
    const header = new DataView(buffer, 0, HEADER_BYTES);
    header.setUint32(Header.magic, MAGIC, true);
    header.setUint32(Header.version, LAYOUT_VERSION, true);
    header.setUint32(Header.capacity, options.capacity, true);
    header.setUint32(Header.maxBuckets, options.maxBuckets, true);
    header.setUint32(Header.slotBytes, slotBytesFor(options.maxBuckets, bins), true);
    header.setUint32(Header.bins, bins, true);
    header.setUint32(Header.clockMode, options.clockMode, true);
    return new Arena(buffer);
  }

  /**
   * Wraps an arena buffer received from elsewhere (e.g. a worker's handle), checking its header;
   * `field` names where the buffer came from in errors (e.g. "handle.buffer").
   */
  static from(buffer: unknown, field = 'arena buffer'): Arena {
    if (!(buffer instanceof SharedArrayBuffer)) {
      const why =
        buffer instanceof ArrayBuffer
          ? ' (a plain ArrayBuffer can be transferred and freed while the core still uses it)'
          : '';
      throw new TypeError(
        `breakwater: ${field} must be a SharedArrayBuffer holding a breakwater arena, got ${describe(buffer)}${why}`,
      );
    }
    if (buffer.byteLength < HEADER_BYTES) {
      throw new RangeError(
        `breakwater: arena buffer is ${buffer.byteLength} bytes, smaller than its ${HEADER_BYTES}-byte header`,
      );
    }
    const header = new DataView(buffer, 0, HEADER_BYTES);
    const magic = header.getUint32(Header.magic, true);
    if (magic !== MAGIC) {
      throw new TypeError(
        `breakwater: buffer is not a breakwater arena (magic 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)})`,
      );
    }
    const version = header.getUint32(Header.version, true);
    if (version !== LAYOUT_VERSION) {
      throw new RangeError(
        `breakwater: arena layout version ${version} is not supported (this build reads version ${LAYOUT_VERSION})`,
      );
    }
    const maxBuckets = header.getUint32(Header.maxBuckets, true);
    const capacity = header.getUint32(Header.capacity, true);
    const bins = header.getUint32(Header.bins, true);
    if (bins !== HISTOGRAM_BINS && bins !== 0)
      throw new RangeError(
        `breakwater: arena header is corrupt (histogram bins ${bins}, expected ${HISTOGRAM_BINS} or 0)`,
      );
    const clockMode = header.getUint32(Header.clockMode, true);
    if (clockMode !== ClockMode.monotonic && clockMode !== ClockMode.manual)
      throw new RangeError(
        `breakwater: arena header is corrupt (clock mode ${clockMode}, expected ${ClockMode.monotonic} monotonic or ${ClockMode.manual} manual)`,
      );
    if (
      maxBuckets < 1 ||
      maxBuckets > MAX_BUCKETS ||
      header.getUint32(Header.slotBytes, true) !== slotBytesFor(maxBuckets, bins)
    ) {
      throw new RangeError(`breakwater: arena header is corrupt (maxBuckets ${maxBuckets})`);
    }
    if (buffer.byteLength < arenaBytesFor(capacity, maxBuckets, bins)) {
      throw new RangeError(
        `breakwater: arena buffer is ${buffer.byteLength} bytes, its header needs ${arenaBytesFor(capacity, maxBuckets, bins)}`,
      );
    }
    return new Arena(buffer);
  }

  /**
   * The arena part of a host arena's mapping, which the native core validated and attached: its
   * memory belongs to the mapping, not to this buffer, so nothing done to the buffer can free it.
   */
  static ofHostMapping(buffer: ArrayBuffer, path: string): Arena {
    return new Arena(buffer, path);
  }

  /** Claims a free slot, or returns -1 when the arena is full. */
  allocate(): number {
    const next = Atomics.add(this.words, Header.nextSlot >> 2, 1);
    if (next >= this.capacity) {
      Atomics.sub(this.words, Header.nextSlot >> 2, 1);
      return -1;
    }
    return next;
  }

  /** Slots claimed so far (a slot given back to its pool for reuse still counts). */
  allocated(): number {
    return Math.min(Atomics.load(this.words, Header.nextSlot >> 2), this.capacity);
  }

  /** Int32 index of a slot's state word (low half; the deadline is the next word). */
  stateIndex(slot: number): number {
    return (HEADER_BYTES + slot * this.slotBytes) >> 2;
  }

  /**
   * Whether a breaker holds the slot now: a configured slot has 1 or more window buckets, and a
   * slot never taken, or given back (zeroed but its epoch), has none.
   */
  holdsBreaker(slot: number): boolean {
    return Atomics.load(this.words, this.stateIndex(slot) + (Slot.buckets >> 2)) !== 0;
  }

  /** Int32 index of a slot's epoch, which release() bumps each time the slot is given back. */
  private epochIndex(slot: number): number {
    return (HEADER_BYTES + slot * this.slotBytes + Slot.epoch) >> 2;
  }

  /** The slot's epoch: how many times it was given back. */
  epochOf(slot: number): number {
    return Atomics.load(this.words, this.epochIndex(slot)) >>> 0;
  }

  /**
   * Whether the slot counts slow calls (a slowCallDuration is set), as any view of it, in any
   * thread or process, configured it last: a call through it must then be timed.
   */
  timesCalls(slot: number): boolean {
    const at = this.stateIndex(slot) + (Slot.slowCallDurationUs >> 2);
    return (Atomics.load(this.words, at) | Atomics.load(this.words, at + 1)) !== 0;
  }

  /** Float64 index of a slot's lane `lane` in `lanes`. */
  laneIndex(slot: number, lane: number): number {
    return ((HEADER_BYTES + slot * this.slotBytes + Slot.lanes) >> 3) + lane;
  }

  /**
   * A number that changes whenever a call completes or is refused: the low words of the call and
   * rejection totals plus the lanes, read without a crossing.
   */
  activity(slot: number): number {
    const totals = this.stateIndex(slot) + (Slot.totals >> 2);
    let lanes = 0;
    for (let lane = 0, at = this.laneIndex(slot, 0); lane < LANES; lane++) lanes += this.lanes[at + lane];
    return (this.words[totals + 2 * Total.calls] + this.words[totals + 2 * Total.rejections] + lanes) | 0;
  }

  /** The manual clock's words [nowMs32, parked=0, demand, era] inside the header, one view per arena. */
  manualClockWords(): Int32Array {
    return (this.clockWords ??= new Int32Array(this.buffer, Header.clockWords, CLOCK_WORDS));
  }

  /** Sets a manual-clock arena's time. Microsecond value, then the ms32 and era words JS fast paths read. */
  setManualNowUs(nowUs: number): void {
    const ms = Math.floor(nowUs / 1000);
    Atomics.store(this.manualNow(), 0, BigInt(nowUs));
    Atomics.store(this.words, (Header.clockWords >> 2) + ClockWord.era, Math.floor(ms / 2 ** ERA_SHIFT) | 0);
    Atomics.store(this.words, (Header.clockWords >> 2) + ClockWord.nowMs32, ms | 0);
  }

  manualNowUs(): number {
    return Number(Atomics.load(this.manualNow(), 0));
  }

  private manualNow(): BigInt64Array {
    return (this.manualNowView ??= new BigInt64Array(this.buffer, Header.manualNowUs, 1));
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
