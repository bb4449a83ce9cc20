import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { BreakerEvent, EventSink } from '../../registry/event';
import { enqueueWhatFits } from './bounded-queue';
import { show } from '../../error-message';
import { knownOptions } from '../../options-object';

/** The npm package this sink loads on first use (an optional peer dependency). */
export const DUCKDB_PACKAGE = '@duckdb/node-api';

/** The table every breakwater history file uses. */
export const DUCKDB_TABLE = 'circuit_breaker_metrics';

/** Options of {@link createDuckDbSink}. */
export interface DuckDbSinkOptions {
  /** The database file (created when missing; its folder must exist), or ':memory:'. */
  path: string;
  /** Rows appended per appender flush; a larger queue is written over several turns of the event loop. Default 1000. */
  batchSize?: number;
  /**
   * Events waiting for the database at most. Beyond it events are dropped and counted: a batch
   * larger than the room left keeps its oldest events (the start of a burst). Default 10 000.
   */
  maxQueuedEvents?: number;
}

/** A DuckDB event sink, with what it has done and a way to query the table it writes. */
export interface DuckDbSink extends EventSink {
  /** The database file (absolute) or ':memory:'. */
  readonly path: string;
  /** Events written to the table. */
  readonly written: number;
  /** The last append error, if any (the batch it hit was counted as dropped). */
  readonly lastError: Error | undefined;
  /** Runs SQL on the sink's connection (after writing what is queued); rows as JSON-safe objects. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** The module's parts this sink uses. */
type DuckDbModule = Pick<typeof import('@duckdb/node-api'), 'DuckDBInstance'>;

/**
 * The table's columns, in BreakerEvent's order and shape: the nested objects are STRUCTs with the
 * same field names, so `thresholds.failureThreshold` reads the same in SQL as in JSON.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${DUCKDB_TABLE} (
  "timestamp" DOUBLE NOT NULL,
  breaker VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  labels MAP(VARCHAR, VARCHAR),
  event_type VARCHAR NOT NULL,
  state VARCHAR NOT NULL,
  thresholds STRUCT("failureThreshold" DOUBLE, "failureRateThreshold" DOUBLE, "slowCallRateThreshold" DOUBLE, "minimumCalls" DOUBLE),
  timeouts STRUCT("timeout" DOUBLE, "recoveryTimeout" DOUBLE, "halfOpenTimeout" DOUBLE, "slowCallDuration" DOUBLE),
  counts STRUCT(calls BIGINT, successes BIGINT, failures BIGINT, rejections BIGINT, timeouts BIGINT, "slowCalls" BIGINT),
  rates STRUCT("failureRate" DOUBLE, "slowCallRate" DOUBLE, "rejectionRate" DOUBLE),
  latency STRUCT(p50 DOUBLE, p90 DOUBLE, p99 DOUBLE),
  probability DOUBLE,
  detail JSON
)`;

const COLUMNS = [
  'timestamp',
  'breaker',
  'kind',
  'labels',
  'event_type',
  'state',
  'thresholds',
  'timeouts',
  'counts',
  'rates',
  'latency',
  'probability',
  'detail',
];

/**
 * The appender writes plain columns into a temporary staging table: appending STRUCT and MAP
 * values one by one costs ~30 us each in @duckdb/node-api, plain numbers and strings ~1 us a row.
 * One INSERT ... SELECT per batch then builds the STRUCTs, the MAP and the JSON inside DuckDB.
 */
const STAGING = 'breakwater_staging';
const STAGING_COLUMNS: ReadonlyArray<
  readonly [string, 'DOUBLE' | 'VARCHAR', (e: BreakerEvent) => number | string | null]
> = [
  ['ts', 'DOUBLE', (e) => e.timestamp],
  ['breaker', 'VARCHAR', (e) => e.breaker],
  ['kind', 'VARCHAR', (e) => e.kind],
  ['labels', 'VARCHAR', (e) => JSON.stringify(e.labels)],
  ['event_type', 'VARCHAR', (e) => e.event_type],
  ['state', 'VARCHAR', (e) => e.state],
  ['failure_threshold', 'DOUBLE', (e) => e.thresholds.failureThreshold],
  ['failure_rate_threshold', 'DOUBLE', (e) => e.thresholds.failureRateThreshold],
  ['slow_call_rate_threshold', 'DOUBLE', (e) => e.thresholds.slowCallRateThreshold],
  ['minimum_calls', 'DOUBLE', (e) => e.thresholds.minimumCalls],
  ['timeout', 'DOUBLE', (e) => e.timeouts.timeout],
  ['recovery_timeout', 'DOUBLE', (e) => e.timeouts.recoveryTimeout],
  ['half_open_timeout', 'DOUBLE', (e) => e.timeouts.halfOpenTimeout],
  ['slow_call_duration', 'DOUBLE', (e) => e.timeouts.slowCallDuration],
  ['calls', 'DOUBLE', (e) => e.counts.calls],
  ['successes', 'DOUBLE', (e) => e.counts.successes],
  ['failures', 'DOUBLE', (e) => e.counts.failures],
  ['rejections', 'DOUBLE', (e) => e.counts.rejections],
  ['timeouts', 'DOUBLE', (e) => e.counts.timeouts],
  ['slow_calls', 'DOUBLE', (e) => e.counts.slowCalls],
  ['failure_rate', 'DOUBLE', (e) => e.rates.failureRate],
  ['slow_call_rate', 'DOUBLE', (e) => e.rates.slowCallRate],
  ['rejection_rate', 'DOUBLE', (e) => e.rates.rejectionRate],
  ['p50', 'DOUBLE', (e) => e.latency.p50],
  ['p90', 'DOUBLE', (e) => e.latency.p90],
  ['p99', 'DOUBLE', (e) => e.latency.p99],
  ['probability', 'DOUBLE', (e) => e.probability],
  ['detail', 'VARCHAR', (e) => (e.detail === null ? null : JSON.stringify(e.detail))],
];

const CREATE_STAGING = `CREATE OR REPLACE TEMP TABLE ${STAGING} (${STAGING_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`;

const MOVE_STAGED = `INSERT INTO ${DUCKDB_TABLE} SELECT
  ts, breaker, kind, CAST(labels::JSON AS MAP(VARCHAR, VARCHAR)), event_type, state,
  struct_pack("failureThreshold" := failure_threshold, "failureRateThreshold" := failure_rate_threshold, "slowCallRateThreshold" := slow_call_rate_threshold, "minimumCalls" := minimum_calls),
  struct_pack("timeout" := timeout, "recoveryTimeout" := recovery_timeout, "halfOpenTimeout" := half_open_timeout, "slowCallDuration" := slow_call_duration),
  struct_pack(calls := calls::BIGINT, successes := successes::BIGINT, failures := failures::BIGINT, rejections := rejections::BIGINT, timeouts := timeouts::BIGINT, "slowCalls" := slow_calls::BIGINT),
  struct_pack("failureRate" := failure_rate, "slowCallRate" := slow_call_rate, "rejectionRate" := rejection_rate),
  struct_pack(p50 := p50, p90 := p90, p99 := p99),
  probability, detail::JSON
FROM ${STAGING}`;

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_QUEUED = 10_000;

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `breakwater/observe: DuckDB sink option ${option} must be an integer >= 1, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Loads @duckdb/node-api on first use: it is optional, so only creating a DuckDB sink needs it and
 * `import { CircuitBreaker } from 'breakwater'` never loads it.
 */
function loadDuckDb(): DuckDbModule {
  try {
    return createRequire(__filename)(DUCKDB_PACKAGE) as DuckDbModule;
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      (error as Error).message.includes(DUCKDB_PACKAGE)
    ) {
      throw new Error(
        `breakwater/observe: the DuckDB event sink needs the optional package ${DUCKDB_PACKAGE}; install it with \`npm install ${DUCKDB_PACKAGE}\``,
      );
    }
    throw new Error(
      `breakwater/observe: ${DUCKDB_PACKAGE} is installed but failed to load: ${(error as Error).message}`,
    );
  }
}

/** Appends one event as a staging row, column by column. */
function appendEvent(appender: DuckDBAppender, event: BreakerEvent): void {
  for (const [, type, read] of STAGING_COLUMNS) {
    const value = read(event);
    if (value === null) appender.appendNull();
    else if (type === 'DOUBLE') appender.appendDouble(value as number);
    else appender.appendVarchar(value as string);
  }
  appender.endRow();
}

async function openTable(connection: DuckDBConnection, path: string): Promise<void> {
  await connection.run(CREATE_TABLE);
  const described = await connection.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_name = '${DUCKDB_TABLE}' AND table_catalog = current_database() ORDER BY ordinal_position`,
  );
  const names = described.getRows().map((row) => String(row[0]));
  if (names.join(',') !== COLUMNS.join(',')) {
    throw new Error(
      `breakwater/observe: DuckDB file ${path} has a table ${DUCKDB_TABLE} with columns (${names.join(', ')}), expected (${COLUMNS.join(', ')})`,
    );
  }
  await connection.run(CREATE_STAGING);
}

/**
 * Writes history events into the DuckDB table `circuit_breaker_metrics`, through the appender, in
 * batches. write() only queues; rows are appended on later turns of the event loop, `batchSize`
 * at a time. What would take the queue past `maxQueuedEvents` is dropped and counted (oldest kept).
 * Resolves once the file is open and the table exists; rejects with a named error when the
 * package is missing, the folder does not exist or the table has another shape.
 */
export async function createDuckDbSink(options: DuckDbSinkOptions): Promise<DuckDbSink> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('breakwater/observe: createDuckDbSink(options) needs an object with a path');
  knownOptions(options, 'breakwater/observe: createDuckDbSink options', {
    path: true,
    batchSize: true,
    maxQueuedEvents: true,
  });
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new TypeError(
      `breakwater/observe: DuckDB sink option path must be a file path or ':memory:', got ${show(options.path)}`,
    );
  }
  const batchSize = positiveInteger(options.batchSize, 'batchSize', DEFAULT_BATCH_SIZE);
  const maxQueued = positiveInteger(options.maxQueuedEvents, 'maxQueuedEvents', DEFAULT_MAX_QUEUED);
  const path = options.path === ':memory:' ? options.path : resolve(options.path);
  if (path !== ':memory:') {
    let folderIsDirectory = false;
    try {
      folderIsDirectory = statSync(dirname(path)).isDirectory();
    } catch {
      // reported below
    }
    if (!folderIsDirectory)
      throw new Error(
        `breakwater/observe: DuckDB sink file ${path}: its folder ${dirname(path)} does not exist (create it first)`,
      );
  }
  const duckdb = loadDuckDb();
  let instance: DuckDBInstance;
  try {
    instance = await duckdb.DuckDBInstance.create(path);
  } catch (error) {
    throw new Error(`breakwater/observe: DuckDB sink could not open ${path}: ${(error as Error).message}`);
  }
  const connection = await instance.connect();
  try {
    await openTable(connection, path);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  const appender = await connection.createAppender(STAGING, null, 'temp');

  let queue: BreakerEvent[] = [];
  let draining = false;
  let closed = false;
  let dropped = 0;
  let written = 0;
  let lastError: Error | undefined;
  let idleWaiters: Array<() => void> = [];

  const appendBatch = async (): Promise<void> => {
    const batch = queue.length <= batchSize ? queue : queue.slice(0, batchSize);
    queue = queue.length <= batchSize ? [] : queue.slice(batchSize);
    try {
      for (const event of batch) appendEvent(appender, event);
      appender.flushSync();
      await connection.run(MOVE_STAGED);
      written += batch.length;
    } catch (error) {
      lastError = error as Error;
      dropped += batch.length;
      appender.clear();
    } finally {
      await connection.run(`DELETE FROM ${STAGING}`).catch((error: Error) => (lastError = error));
    }
  };

  // One drain at a time; it yields to the event loop between batches.
  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    await new Promise((next) => setImmediate(next));
    while (queue.length > 0) {
      await appendBatch();
      if (queue.length > 0) await new Promise((next) => setImmediate(next));
    }
    draining = false;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  const flush = (): Promise<void> => {
    if (queue.length === 0 && !draining) return Promise.resolve();
    return new Promise((wake) => {
      idleWaiters.push(wake);
      void drain();
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
      void drain();
    },
    flush,
    async query(sql: string): Promise<Record<string, unknown>[]> {
      if (closed)
        throw new Error(
          `breakwater/observe: DuckDB sink ${path} is closed; open the file with ${DUCKDB_PACKAGE} to query it`,
        );
      await flush();
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    async close(): Promise<void> {
      if (closed) return;
      await flush();
      closed = true;
      appender.closeSync();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
