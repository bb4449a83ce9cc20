import {
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  write as fsWrite,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { inspectTail } from '../../fs/torn-tail';
import { isBreakerEventLine, type BreakerEvent, type EventSink } from '../../registry/event';
import { enqueueWhatFits } from './bounded-queue';
import { eventJson } from '../event-json';
import { show } from '../../error-message';
import { knownOptions } from '../../options-object';

/** Options of {@link createJsonlSink}. */
export interface JsonlSinkOptions {
  /** The file events are appended to, one JSON object per line. Its folder must exist. */
  path: string;
  /** Rotate before a batch would make the file larger than this many bytes. Default 64 MiB. */
  maxBytes?: number;
  /** Rotated files kept beside the live one (`path.1` newest … `path.N` oldest). Default 5; 0 keeps none. */
  maxFiles?: number;
  /**
   * Events waiting for the disk at most. Beyond it events are dropped and counted: a batch larger
   * than the room left keeps its oldest events (the start of a burst) and drops the rest. Default 10 000.
   */
  maxQueuedEvents?: number;
}

/** A JSONL event sink, with what it has done for monitoring. */
export interface JsonlSink extends EventSink {
  /** The live file. */
  readonly path: string;
  /** Events written to disk. */
  readonly written: number;
  /** Rotations done. */
  readonly rotations: number;
  /** The last write, rotation or serialisation error, if any (what it hit was counted as dropped). */
  readonly lastError: Error | undefined;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_FILES = 5;
const DEFAULT_MAX_QUEUED = 10_000;
const MAX_WRITE_CHARS = 1 << 20;

function positiveInteger(value: unknown, option: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new RangeError(
      `breakwater/observe: JSONL sink option ${option} must be an integer >= ${minimum}, got ${String(value)}`,
    );
  }
  return value;
}

const NEWLINE = 0x0a;

/** How long a torn last line must stay as it is before it is taken for a dead writer's, and how often to look. */
const TORN_SETTLE_MS = 50;
const TORN_LOOKS = 20;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Opens `path` for appending. A writer killed inside the kernel's copy of a batch can leave a last
 * line without its newline; that fragment is cut off so the file holds whole lines only, but only
 * when it provably is ours (a partial object after an event line) and only once the file has stopped
 * growing: a batch another process is appending this very moment looks torn too, and must not be
 * cut. Any other file is refused, untouched.
 */
function openForAppend(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EISDIR'
        ? `breakwater/observe: JSONL sink file ${path} is a folder; name a file in it, e.g. ${join(path, 'events.jsonl')}`
        : `breakwater/observe: cannot open JSONL sink file ${path} for appending (${code ?? (error as Error).message})`,
      { cause: error },
    );
  }
  try {
    let quietLooks = 0;
    for (let look = 0; ; look++) {
      const size = fstatSync(fd).size;
      const tail = Buffer.alloc(Math.min(size, 1 << 20));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      const verdict = inspectTail(tail, size - tail.length, isBreakerEventLine);
      if (verdict.kind === 'foreign') {
        throw new Error(
          `breakwater/observe: JSONL sink file ${path} is not an event history (${verdict.problem}); expected JSON lines of breakwater events, one per line. Choose another path or move the file away`,
        );
      }
      if (verdict.kind === 'whole') return { fd, size };
      if (verdict.kind === 'unterminated') return { fd, size: size + writeSync(fd, '\n') };
      // Torn: a live writer's batch in flight grows the file (the kernel serialises appends, so
      // ours land after it); a dead writer's fragment stays as it is.
      Atomics.wait(pause, 0, 0, TORN_SETTLE_MS);
      if (fstatSync(fd).size !== size) {
        quietLooks = 0;
        if (look + 1 < TORN_LOOKS) continue;
        return { fd, size: fstatSync(fd).size };
      }
      if (++quietLooks < 2) continue;
      ftruncateSync(fd, verdict.keepBytes);
      return { fd, size: verdict.keepBytes };
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * After a short write (a full disk) of the first `count` bytes of `bytes`: keeps its whole lines and
 * cuts the part line after them, when the file still ends with exactly what was written (a writer of
 * another process appending after it is left alone). A reader refuses a broken line in the middle
 * of a history, and the next batch would be appended straight after it.
 */
function keepWholeLines(fd: number, bytes: Buffer, count: number): { bytes: number; lines: number } {
  if (count <= 0) return { bytes: 0, lines: 0 }; // (a negative lastIndexOf offset counts from the end)
  const whole = bytes.lastIndexOf(NEWLINE, count - 1) + 1;
  let lines = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < whole; i = bytes.indexOf(NEWLINE, i + 1)) lines++;
  try {
    const end = fstatSync(fd).size;
    const tail = Buffer.alloc(count);
    if (end >= count && readSync(fd, tail, 0, count, end - count) === count && tail.equals(bytes.subarray(0, count)))
      ftruncateSync(fd, end - (count - whole));
  } catch {
    // Left as it is: the next open cuts a torn last line; a broken line in the middle stays named by readers.
  }
  return { bytes: whole, lines };
}

/**
 * Writes history events as JSON lines. Every batch becomes one `write()` of whole lines on a file
 * opened with O_APPEND, so lines from concurrent batches (or other sinks on the same file) never
 * interleave; one write is in flight at a time. Rotation renames the live file to `path.1` (and
 * shifts older ones) before a batch would overflow `maxBytes`. write() only queues: what would
 * take the queue past `maxQueuedEvents` is dropped and counted (oldest kept).
 *
 * The sink never touches a descriptor after closing it: when the live file cannot be reopened
 * (its folder is gone), it holds none, drops and counts what arrives, and reopens on the next
 * batch once it can.
 */
export function createJsonlSink(options: JsonlSinkOptions): JsonlSink {
  if (options === null || typeof options !== 'object')
    throw new TypeError('breakwater/observe: createJsonlSink(options) needs an object with a path');
  knownOptions(options, 'breakwater/observe: createJsonlSink options', {
    path: true,
    maxBytes: true,
    maxFiles: true,
    maxQueuedEvents: true,
  });
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new TypeError(
      `breakwater/observe: JSONL sink option path must be a non-empty file path, got ${show(options.path)}`,
    );
  }
  const path = resolve(options.path);
  const maxBytes = positiveInteger(options.maxBytes, 'maxBytes', DEFAULT_MAX_BYTES, 1);
  const maxFiles = positiveInteger(options.maxFiles, 'maxFiles', DEFAULT_MAX_FILES, 0);
  const maxQueued = positiveInteger(options.maxQueuedEvents, 'maxQueuedEvents', DEFAULT_MAX_QUEUED, 1);
  const folder = dirname(path);
  let folderIsDirectory = false;
  try {
    folderIsDirectory = statSync(folder).isDirectory();
  } catch {
    // reported below with the path the user gave
  }
  if (!folderIsDirectory)
    throw new Error(
      `breakwater/observe: JSONL sink file ${path}: its folder ${folder} does not exist (create it first)`,
    );

  let { fd, size }: { fd: number | undefined; size: number } = openForAppend(path);
  let queue: BreakerEvent[] = [];
  let writing = false;
  let closed = false;
  let dropped = 0;
  let written = 0;
  let rotations = 0;
  let lastError: Error | undefined;
  let idleWaiters: Array<() => void> = [];

  /**
   * Renames the live file away and opens a fresh one; if renaming fails, keeps appending to the
   * live file rather than lose events. If reopening fails, the sink is left holding no descriptor.
   */
  const rotate = (open: number): void => {
    closeSync(open);
    fd = undefined;
    try {
      if (maxFiles === 0) rmSync(path, { force: true });
      else {
        rmSync(`${path}.${maxFiles}`, { force: true });
        for (let i = maxFiles - 1; i >= 1; i--) {
          try {
            renameSync(`${path}.${i}`, `${path}.${i + 1}`);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          }
        }
        renameSync(path, `${path}.1`);
      }
      rotations++;
    } catch (error) {
      lastError = error as Error;
    }
    ({ fd, size } = openForAppend(path));
  };

  const dropUnserialisable = (error: Error): void => {
    lastError = error;
    dropped++;
  };

  const settle = (): void => {
    if (writing || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  /** Writes the head of the queue, then the rest, one write in flight at a time. */
  const drain = (): void => {
    if (writing || queue.length === 0) return settle();
    // Whole lines, up to ~1 MiB a write: a long queue becomes several writes, each checked for rotation.
    let taken = 0;
    let lines = 0;
    let text = '';
    while (taken < queue.length && text.length < MAX_WRITE_CHARS) {
      const line = eventJson(queue[taken++], dropUnserialisable);
      if (line === undefined) continue;
      text += `${line}\n`;
      lines++;
    }
    queue = taken === queue.length ? [] : queue.slice(taken);
    if (lines === 0) return drain();
    const bytes = Buffer.from(text);
    let open: number;
    try {
      if (fd === undefined) ({ fd, size } = openForAppend(path));
      if (size > 0 && size + bytes.length > maxBytes) rotate(fd);
      open = fd!;
    } catch (error) {
      // The file could not be reopened (its folder is gone?): this batch is lost, the next ones try again.
      lastError = error as Error;
      dropped += lines;
      return schedule();
    }
    writing = true;
    fsWrite(open, bytes, 0, bytes.length, null, (error, count) => {
      writing = false;
      if (error !== null || count !== bytes.length) {
        lastError =
          error ??
          new Error(
            `breakwater/observe: JSONL sink ${path}: short write, the file system took part of a batch (full?)`,
          );
        const kept = error === null ? keepWholeLines(open, bytes, count) : { bytes: 0, lines: 0 };
        written += kept.lines;
        dropped += lines - kept.lines;
        size += kept.bytes;
      } else {
        written += lines;
        size += count;
      }
      drain();
    });
  };

  let scheduled = false;
  /** Serialising and writing happen on a later turn of the event loop, never on the caller's stack. */
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      drain();
    });
  };

  return {
    path,
    get dropped() {
      return dropped;
    },
    get written() {
      return written;
    },
    get rotations() {
      return rotations;
    },
    get lastError() {
      return lastError;
    },
    write(events: readonly BreakerEvent[]): void {
      if (events.length === 0) return;
      if (closed) {
        dropped += events.length;
        return;
      }
      dropped += enqueueWhatFits(queue, events, maxQueued);
      if (!writing) schedule();
    },
    flush(): Promise<void> {
      if (!writing && queue.length === 0) return Promise.resolve();
      return new Promise((wake) => {
        idleWaiters.push(wake);
        drain();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      await this.flush();
      closed = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
