import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { Arena } from './arena';
import { CONFIG_SIZE, HISTOGRAM_BINS, MAX_BUCKETS, arenaBytesFor, slotBytesFor } from './layout';
import { attachArena } from './pool';
import { core } from './select';
import type { HostArenaCut, HostBinding } from './types';
import { show } from '../error-message';
import { knownOptions } from '../options-object';

export interface HostArenaOptions {
  /** The arena's name, shared by every process of the host that opens it: letters, digits, `_`, `-`, `.` (1-64). */
  name: string;
  /** The folder of the arena's file. Default `/dev/shm` where it exists, else the temporary folder. */
  directory?: string;
  /** Breakers the arena holds, when this process creates it (an existing file keeps its own). Default 1024. */
  capacity?: number;
  /** The most window buckets a breaker in it may use, when this process creates it. Default 20. */
  maxBuckets?: number;
  /** Whether its breakers keep latency histograms, when this process creates it. Default true. */
  latencyHistogram?: boolean;
}

/** A breaker's place in a host arena. */
export interface HostSlot {
  readonly slot: number;
  /** Whether this call named it first (and configured it with the config given). */
  readonly created: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The largest arena a thread can use: Atomics refuse an index into a buffer of 2^31 bytes or more. */
const MAX_ARENA_BYTES = 2 ** 31 - 1;
const FILE_PREFIX = 'breakwater-';
/** One HostArena per file per thread: every registry of the thread shares its id and lane. */
const opened = new Map<string, HostArena>();

/**
 * A host-wide arena (native/LAYOUT.md "Host arenas"): a file in shared memory that every process
 * of the host maps, holding breaker slots and a directory naming them, so a breaker named alike
 * in two processes is one slot, one state word, one window. Native core, POSIX only.
 */
export class HostArena {
  private constructor(
    readonly path: string,
    readonly arena: Arena,
    readonly id: number,
    /** Whether this thread made the file. */
    readonly created: boolean,
    private readonly binding: HostBinding,
  ) {}

  private cutReported = false;

  /** Opens (creating when absent) the host arena that `options` names. */
  static open(given: HostArenaOptions): HostArena {
    const options = knownOptions(given, 'breakwater: Registry option "host"', {
      name: true,
      directory: true,
      capacity: true,
      maxBuckets: true,
      latencyHistogram: true,
    });
    return HostArena.openPath(HostArena.pathOf(options), options, true);
  }

  /**
   * The host arena a breaker handle names by `path`: only a file some process set up as one. A
   * handle is data that may come from anywhere, so this neither creates a file nor writes one it
   * did not find set up, and names only a `breakwater-<name>` file by its absolute path.
   */
  static attachPath(path: unknown): HostArena {
    const file = typeof path === 'string' ? basename(path) : '';
    const named = file.startsWith(FILE_PREFIX) && NAME.test(file.slice(FILE_PREFIX.length));
    if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0') || !named)
      throw new TypeError(
        `breakwater: handle.host must be the absolute path of a host arena file (${FILE_PREFIX}<name>), got ${show(path)}`,
      );
    return HostArena.openPath(path, {}, false);
  }

  /** The file of the host arena that `options` names (checking the name and folder). */
  static pathOf(options: Pick<HostArenaOptions, 'name' | 'directory'>): string {
    if (options === null || typeof options !== 'object')
      throw new TypeError('breakwater: `host` must be an object like { name: "orders" }');
    const { name } = options;
    if (typeof name !== 'string' || !NAME.test(name))
      throw new TypeError(
        `breakwater: host.name must be 1-64 letters, digits, "_", "-" or "." (not starting with one of the last three), got ${show(name)}`,
      );
    const directory = options.directory ?? defaultDirectory();
    if (typeof directory !== 'string' || !isAbsolute(directory))
      throw new TypeError(`breakwater: host.directory must be an absolute path, got ${show(directory)}`);
    return join(directory, FILE_PREFIX + name);
  }

  /** Opens the host arena file at `path`; `create`: make and set it up when absent or empty. */
  private static openPath(
    path: string,
    options: Omit<HostArenaOptions, 'name' | 'directory'>,
    create: boolean,
  ): HostArena {
    const capacity = hostInteger('host.capacity', options.capacity, 1024, 1, 1 << 20);
    const maxBuckets = hostInteger('host.maxBuckets', options.maxBuckets, 20, 1, MAX_BUCKETS);
    if (options.latencyHistogram !== undefined && typeof options.latencyHistogram !== 'boolean')
      throw new TypeError(
        `breakwater: host.latencyHistogram must be true or false, got ${String(options.latencyHistogram)}`,
      );
    const bins = options.latencyHistogram === false ? 0 : HISTOGRAM_BINS;
    if (arenaBytesFor(capacity, maxBuckets, bins) > MAX_ARENA_BYTES)
      throw new RangeError(
        `breakwater: host.capacity ${capacity} with host.maxBuckets ${maxBuckets}${bins === 0 ? '' : ' and latency histograms'} needs ${arenaBytesFor(capacity, maxBuckets, bins)} bytes of arena, more than the ${MAX_ARENA_BYTES} JavaScript can address: at most ${Math.floor((MAX_ARENA_BYTES - arenaBytesFor(0, maxBuckets, bins)) / slotBytesFor(maxBuckets, bins))} breakers with these settings`,
      );
    const existing = opened.get(path);
    if (existing !== undefined) return existing;
    const binding = core.host;
    if (binding === undefined)
      throw new Error(
        `breakwater: host arenas need the native core, and this process runs the ${core.kind} core (BREAKWATER_NATIVE=0, or the addon did not load)`,
      );
    let attachedHere;
    try {
      attachedHere = binding.openHost(path, capacity, maxBuckets, bins, create);
    } catch (error) {
      throw new Error(`breakwater: host arena: ${(error as Error).message}`);
    }
    const arena = Arena.ofHostMapping(attachedHere.buffer, path);
    attachArena(arena, attachedHere.arenaId);
    const host = new HostArena(path, arena, attachedHere.arenaId, attachedHere.created, binding);
    opened.set(path, host);
    return host;
  }

  /** The slot `key` names, claimed and configured with `config` when no process named it before. */
  lookup(key: string, config: Float64Array): HostSlot {
    let found: number;
    try {
      found = this.binding.hostLookup(this.id, key, config);
    } catch (error) {
      // The core knows the count, not the file or the option that sizes it.
      if (error instanceof RangeError && error.message.startsWith('host arena is full'))
        throw new RangeError(
          `breakwater: ${error.message} (${this.path}); names stay for the file's life, so a larger host.capacity needs a new arena: another host.name, or this file removed once no process has it open`,
        );
      throw error;
    }
    return { slot: Math.floor(found / 2), created: found % 2 === 1 };
  }

  /** The rules a slot's breaker was last configured with, by any process. */
  configOf(slot: number): Float64Array {
    const config = new Float64Array(CONFIG_SIZE);
    if (this.binding.hostEntry(this.id, slot, config) === null)
      throw new RangeError(`breakwater: slot ${slot} of host arena ${this.path} names no breaker`);
    return config;
  }

  /** out[i] = how many times any process configured slots[i] (x2; odd while one does): one crossing for many. */
  configVersions(slots: Int32Array, out: Float64Array): void {
    this.binding.hostConfigVersions(this.id, slots, out);
  }

  /**
   * Whether `holder` (a registry: 1..2^31-1) holds the host's control lease (the one that syncs with
   * a cluster and tunes the host's breakers), renewing it: a holder takes it when no live process
   * renewed it within `staleMs`, and within a process when no other holder of it did.
   */
  holdControlLease(staleMs: number, holder: number): boolean {
    return this.binding.hostSyncLease(this.id, staleMs, holder) === 1;
  }

  /**
   * Whether the file was cut shorter under this process's mapping (by `truncate` or another
   * program of its owner): touching a page past a shared file's end would raise SIGBUS, so the
   * core put private zero pages there, and breakers on them no longer share with other processes.
   */
  cut(): HostArenaCut | null {
    return this.binding.hostCut(this.id);
  }

  /**
   * Warns (BREAKWATER_HOST_ARENA_CUT) and returns true the first time cut() reads a cut; run on
   * the registry's tick.
   */
  noticeCut(): boolean {
    if (this.cutReported) return false;
    const cut = this.cut();
    if (cut === null) return false;
    this.cutReported = true;
    process.emitWarning(
      `breakwater: host arena ${this.path} was cut from ${cut.mappedBytes} to ${cut.fileBytes} bytes while this process had it mapped; past byte ${cut.sharedBytes} its breakers now run on zero pages of this process's own, sharing no state or counts with other processes. Stop the processes using it, remove the file and start them again.`,
      { code: 'BREAKWATER_HOST_ARENA_CUT' },
    );
    return true;
  }

  /** The key of every breaker the arena names, in slot order. */
  keys(): string[] {
    const found: string[] = [];
    const unused = new Float64Array(CONFIG_SIZE); // hostEntry fills a config too
    for (let slot = 0; slot < this.arena.capacity; slot++) {
      const key = this.binding.hostEntry(this.id, slot, unused);
      if (key !== null) found.push(key);
    }
    return found;
  }
}

function defaultDirectory(): string {
  return existsSync('/dev/shm') && statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir();
}

function hostInteger(option: string, value: unknown, fallback: number, low: number, high: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high)
    throw new RangeError(`breakwater: ${option} must be an integer from ${low} to ${high}, got ${String(value)}`);
  return value;
}
