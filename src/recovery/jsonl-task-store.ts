import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { ONE_STRING_BYTES, unreadableFile } from '../fs/readable-file';
import { CheckpointError } from './errors/CheckpointError';
import { TaskStoreError } from './errors/TaskStoreError';
import {
  applyChange,
  applyCheckpoint,
  changeProblem,
  type TaskChange,
  type TaskRecord,
  type TaskStore,
} from './task-store';
import { replaceFile, writeAll } from '../fs/replace-file';
import { inspectTail } from '../fs/torn-tail';
import { parseJsonObject } from '../json-object';
import { messageOf } from '../error-message';
import { knownOptions } from '../options-object';

export interface JsonlTaskStoreOptions {
  /** fsync after every record, so an acknowledged checkpoint survives a power loss. Default true. */
  durable?: boolean;
  /** Compact when the file holds this many records more than it has tasks. Default 10000; 0 = never. */
  compactAfter?: number;
  /**
   * Finished tasks (succeeded or escalated) a compaction keeps, the most recently updated; the
   * older ones leave the file and memory, so a store of endless tasks stays bounded. Running tasks
   * are always kept. Default Infinity: every task is kept.
   */
  keepFinished?: number;
}

/** One line of the file. `snapshot` lines are what compaction writes. */
type Line =
  | { v: 1; type: 'task'; id: string; change: TaskChange }
  | { v: 1; type: 'checkpoint'; id: string; at: number; cleared?: true; checkpoint?: unknown }
  | { v: 1; type: 'snapshot'; record: TaskRecord };

/**
 * Task state and checkpoints in an append-only JSON Lines file. Opening replays the file to the
 * latest state. A crash mid-append leaves at most a torn last line: it is ignored with a counted
 * warning (and cut off, so the next append starts on a clean line), and every earlier record stays.
 * Only a partial record after a record of the store's own is cut; a file that is not a task store
 * is refused, untouched. A damaged line anywhere else is an error naming the file and line. compact() rewrites one
 * snapshot per task through a temp file and a rename, so a crash leaves the old file or the new.
 */
export class JsonlTaskStore implements TaskStore {
  private readonly records = new Map<string, TaskRecord>();
  private fd: number | undefined;
  private readonly durable: boolean;
  private readonly compactAfter: number;
  private readonly keepFinished: number;
  private lines = 0;
  /** Torn last lines ignored when the file was opened (0 or 1). */
  readonly tornLines: number;

  private constructor(
    readonly file: string,
    options: JsonlTaskStoreOptions,
  ) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('breakwater/recovery: JsonlTaskStore options must be an object');
    if (options.durable !== undefined && typeof options.durable !== 'boolean')
      throw new TypeError(
        `breakwater/recovery: JsonlTaskStore option "durable" must be a boolean, got ${typeof options.durable}`,
      );
    const compactAfter = options.compactAfter ?? 10_000;
    if (!Number.isInteger(compactAfter) || compactAfter < 0)
      throw new RangeError(
        `breakwater/recovery: JsonlTaskStore option "compactAfter" must be an integer >= 0, got ${String(compactAfter)}`,
      );
    const keepFinished = options.keepFinished ?? Number.POSITIVE_INFINITY;
    if (!(keepFinished === Number.POSITIVE_INFINITY || (Number.isInteger(keepFinished) && keepFinished >= 0)))
      throw new RangeError(
        `breakwater/recovery: JsonlTaskStore option "keepFinished" must be an integer >= 0 or Infinity, got ${String(keepFinished)}`,
      );
    this.durable = options.durable ?? true;
    this.compactAfter = compactAfter;
    this.keepFinished = keepFinished;
    this.tornLines = this.replay();
    this.fd = this.openForAppend();
  }

  /** Opens (or creates) the store at `file` and rebuilds every task's latest state. */
  static open(file: string, options: JsonlTaskStoreOptions = {}): JsonlTaskStore {
    if (typeof file !== 'string' || file.length === 0)
      throw new TypeError(
        `breakwater/recovery: JsonlTaskStore.open(file) needs a file path, got ${JSON.stringify(file)}`,
      );
    return new JsonlTaskStore(
      file,
      knownOptions(options, 'breakwater/recovery: JsonlTaskStore.open options', {
        durable: true,
        compactAfter: true,
        keepFinished: true,
      }),
    );
  }

  get(taskId: string): TaskRecord | undefined {
    return this.records.get(taskId);
  }

  all(): TaskRecord[] {
    return [...this.records.values()];
  }

  async update(taskId: string, change: TaskChange): Promise<TaskRecord> {
    const problem = changeProblem(change);
    if (problem !== undefined) throw new TypeError(`breakwater/recovery: update of task "${taskId}": ${problem}`);
    const record = applyChange(taskId, this.records.get(taskId), change);
    this.append({ v: 1, type: 'task', id: taskId, change });
    this.records.set(taskId, record);
    this.compactIfDue();
    return record;
  }

  async saveCheckpoint(taskId: string, checkpoint: unknown, at: number): Promise<void> {
    // What the file keeps is JSON: memory keeps the same value, so reads before and after a restart agree.
    const stored = checkpoint === undefined ? undefined : jsonValue(taskId, checkpoint);
    this.append(
      stored === undefined
        ? { v: 1, type: 'checkpoint', id: taskId, at, cleared: true }
        : { v: 1, type: 'checkpoint', id: taskId, at, checkpoint: stored },
    );
    this.records.set(taskId, applyCheckpoint(taskId, this.records.get(taskId), stored, at));
    this.compactIfDue();
  }

  async compact(): Promise<void> {
    this.compactNow();
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private compactIfDue(): void {
    if (this.compactAfter > 0 && this.lines - this.records.size >= this.compactAfter) this.compactNow();
  }

  private compactNow(): void {
    const fd = this.requireOpen();
    const dropped = this.finishedPastKeep();
    const text = [...this.records.values()]
      .filter((record) => !dropped.has(record.id))
      .map((record) => JSON.stringify({ v: 1, type: 'snapshot', record } satisfies Line) + '\n')
      .join('');
    try {
      replaceFile(this.file, text);
    } catch (error) {
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: cannot compact task store ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    for (const id of dropped) this.records.delete(id); // only once the file no longer holds them
    // The old descriptor points at the replaced file: appends must go to the new one.
    closeSync(fd);
    this.fd = this.openForAppend();
    this.lines = this.records.size;
  }

  /** The ids of the finished tasks past keepFinished, the least recently updated. */
  private finishedPastKeep(): Set<string> {
    if (this.keepFinished === Number.POSITIVE_INFINITY) return new Set();
    const finished = [...this.records.values()].filter((record) => record.status !== 'running');
    finished.sort((a, b) => b.updatedAt - a.updatedAt);
    return new Set(finished.slice(this.keepFinished).map((record) => record.id));
  }

  private append(line: Line): void {
    const fd = this.requireOpen();
    try {
      writeAll(fd, Buffer.from(JSON.stringify(line) + '\n', 'utf8'));
      if (this.durable) fsyncSync(fd);
    } catch (error) {
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: cannot write task store ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.lines++;
  }

  private requireOpen(): number {
    if (this.fd === undefined)
      throw new TaskStoreError(this.file, `breakwater/recovery: task store ${this.file} is closed`);
    return this.fd;
  }

  private openForAppend(): number {
    try {
      return openSync(this.file, 'a', 0o644);
    } catch (error) {
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: cannot open task store ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Rebuilds the state from the file; returns how many torn last lines it ignored. */
  private replay(): number {
    const unreadable = unreadableFile(this.file, ONE_STRING_BYTES);
    if (unreadable !== undefined)
      throw new TaskStoreError(this.file, `breakwater/recovery: task store ${this.file} ${unreadable}`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: cannot read task store ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const lines = bytes.toString('utf8').split('\n');
    // The text after the last newline: '' for a clean file, else a record whose newline never made it.
    const tail = lines.pop()!;
    lines.forEach((line, index) => {
      if (line.trim().length === 0) return;
      this.apply(this.parse(line, index + 1));
    });
    const verdict = inspectTail(bytes, 0, (line) => parseLine(line) !== undefined);
    if (verdict.kind === 'whole') return 0;
    if (verdict.kind === 'foreign') {
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: ${this.file} is not a task store (${verdict.problem}); expected JSON Lines task records ({"v":1,"type":"task"|"checkpoint"|"snapshot",...}), one per line. Choose another file or move it away`,
      );
    }
    if (verdict.kind === 'unterminated') {
      // A complete record that lost only its newline: keep it and finish the line.
      this.apply(this.parse(tail, lines.length + 1));
      this.withFile('a', (fd) => writeAll(fd, Buffer.from('\n')));
      return 0;
    }
    this.withFile('r+', (fd) => {
      ftruncateSync(fd, verdict.keepBytes);
      fsyncSync(fd);
    });
    process.emitWarning(
      `breakwater/recovery: task store ${this.file} ended in a torn line (${bytes.length - verdict.keepBytes} bytes, from a crash mid-write); ignored it, the ${this.lines} records before it are intact`,
      { code: 'BREAKWATER_TASKSTORE_TORN_LINE' },
    );
    return 1;
  }

  /** A line of the file as a record, or an error naming the line (and the field, for a change no store would accept). */
  private parse(text: string, lineNumber: number): Line {
    const parsed = parseLine(text);
    if (parsed === undefined)
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: task store ${this.file} line ${lineNumber} is not a task record: ${text.slice(0, 80)}`,
      );
    const problem = parsed.type === 'task' ? changeProblem(parsed.change) : undefined;
    if (problem !== undefined)
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: task store ${this.file} line ${lineNumber}: ${problem}`,
      );
    return parsed;
  }

  private apply(line: Line): void {
    this.lines++;
    if (line.type === 'snapshot') this.records.set(line.record.id, line.record);
    else if (line.type === 'task')
      this.records.set(line.id, applyChange(line.id, this.records.get(line.id), line.change));
    else
      this.records.set(
        line.id,
        applyCheckpoint(line.id, this.records.get(line.id), line.cleared ? undefined : line.checkpoint, line.at),
      );
  }

  private withFile(flags: string, work: (fd: number) => void): void {
    try {
      const fd = openSync(this.file, flags);
      try {
        work(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new TaskStoreError(
        this.file,
        `breakwater/recovery: cannot repair task store ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/** A parsed line, or undefined when it is not JSON or not one of the store's records. */
function parseLine(text: string): Line | undefined {
  const line = parseJsonObject(text);
  if (line === undefined) return undefined;
  const record = line as unknown as Line;
  if (line.v !== 1) return undefined;
  if (line.type === 'snapshot') {
    const snapshot = line.record as Partial<TaskRecord> | undefined;
    return snapshot !== null && typeof snapshot === 'object' && typeof snapshot.id === 'string' ? record : undefined;
  }
  if (typeof line.id !== 'string') return undefined;
  if (line.type === 'task')
    return line.change !== null && typeof line.change === 'object' && typeof (line.change as TaskChange).at === 'number'
      ? record
      : undefined;
  // JSON reads 1e999 as Infinity: a time saveCheckpoint() itself never writes.
  if (line.type === 'checkpoint') return Number.isFinite(line.at) ? record : undefined;
  return undefined;
}

/** The checkpoint as it reads back from JSON; a CheckpointError names the task when it can't be stored. */
function jsonValue(taskId: string, checkpoint: unknown): unknown {
  const cannot = `breakwater/recovery: checkpoint of task "${taskId}" can't be stored as JSON`;
  let text: string | undefined;
  try {
    text = JSON.stringify(checkpoint);
  } catch (error) {
    throw new CheckpointError(taskId, `${cannot}: ${messageOf(error)}`, { cause: error });
  }
  if (text === undefined) throw new CheckpointError(taskId, `${cannot} (got ${typeof checkpoint})`);
  return JSON.parse(text);
}
