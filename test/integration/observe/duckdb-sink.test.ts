import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { createDuckDbSink, DUCKDB_TABLE } from '../../../src/observe/sinks/duckdb';
import { createJsonlSink } from '../../../src/observe/sinks/jsonl';
import { makeEvent, makeEvents, removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);

describe('DuckDB sink', () => {
  it('writes batches into circuit_breaker_metrics and answers "the last 10 tuning events"', async () => {
    const path = join(tempFolder('duckdb'), 'history.duckdb');
    const sink = await createDuckDbSink({ path, batchSize: 64 });
    const events = makeEvents(0, 1000);
    for (let i = 0; i < events.length; i += 100) sink.write(events.slice(i, i + 100));
    const rows = await sink.query(`
      SELECT "timestamp", breaker, kind, thresholds.failureRateThreshold AS failure_rate_threshold,
             timeouts.recoveryTimeout AS recovery_timeout, labels['region'] AS region,
             detail->>'by' AS changed_by, counts.calls AS calls, latency.p90 AS p90
      FROM ${DUCKDB_TABLE} WHERE event_type = 'tuning' ORDER BY "timestamp" DESC LIMIT 10`);
    const expected = events
      .filter((e) => e.event_type === 'tuning')
      .slice(-10)
      .reverse();
    expect(rows).toEqual(
      expected.map((e) => ({
        timestamp: e.timestamp,
        breaker: e.breaker,
        kind: e.kind,
        failure_rate_threshold: e.thresholds.failureRateThreshold,
        recovery_timeout: e.timeouts.recoveryTimeout,
        region: 'eu-west',
        changed_by: 'tuner',
        calls: String(e.counts.calls), // BIGINT comes back as a string in JSON rows
        p90: e.latency.p90,
      })),
    );
    expect(sink.written).toBe(1000);
    await sink.close();

    // The file is an ordinary DuckDB database afterwards.
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(probability)::INTEGER AS scored, count(detail)::INTEGER AS detailed FROM ${DUCKDB_TABLE}`,
    );
    expect(reader.getRowObjectsJson()).toEqual([{ n: 1000, scored: 250, detailed: 250 }]);
    connection.closeSync();
    instance.closeSync();
  });

  it('appends to an existing file and keeps nulls as NULL', async () => {
    const path = join(tempFolder('duckdb-append'), 'history.duckdb');
    const first = await createDuckDbSink({ path });
    first.write([makeEvent(1)]);
    await first.close();
    const second = await createDuckDbSink({ path });
    second.write([makeEvent(3, { latency: { p50: null, p90: null, p99: null }, labels: {} })]);
    const rows = await second.query(
      `SELECT "timestamp", latency.p50 AS p50, cardinality(labels) AS label_count FROM ${DUCKDB_TABLE} ORDER BY 1`,
    );
    expect(rows).toEqual([
      { timestamp: makeEvent(1).timestamp, p50: 1.5, label_count: '2' },
      { timestamp: makeEvent(3).timestamp, p50: null, label_count: '0' },
    ]);
    await second.close();
  });

  it('keeps the oldest events that fit and counts the rest when too many wait', async () => {
    const sink = await createDuckDbSink({ path: ':memory:', maxQueuedEvents: 100 });
    sink.write(makeEvents(0, 80));
    sink.write(makeEvents(80, 80)); // 20 fit
    expect(sink.dropped).toBe(60);
    const rows = await sink.query(
      `SELECT min("timestamp") - ${makeEvent(0).timestamp} AS first, max("timestamp") - ${makeEvent(0).timestamp} AS last, count(*)::INTEGER AS n FROM ${DUCKDB_TABLE}`,
    );
    expect(rows).toEqual([{ first: 0, last: 99, n: 100 }]);
    await sink.close();
    sink.write(makeEvents(0, 3));
    expect(sink.dropped).toBe(63);
  });

  it('keeps what fits of a burst larger than the whole queue (12,000 events in one batch)', async () => {
    const sink = await createDuckDbSink({ path: ':memory:', maxQueuedEvents: 10_000 });
    sink.write(makeEvents(0, 12_000));
    expect(sink.dropped).toBe(2_000);
    const rows = await sink.query(
      `SELECT max("timestamp") - ${makeEvent(0).timestamp} AS last, count(*)::INTEGER AS n FROM ${DUCKDB_TABLE}`,
    );
    expect(rows).toEqual([{ last: 9_999, n: 10_000 }]);
    expect(sink.written).toBe(10_000);
    await sink.close();
  });

  it('names the missing folder, a table of another shape and bad options', async () => {
    const missing = join(tempFolder('duckdb-missing'), 'nope', 'history.duckdb');
    await expect(createDuckDbSink({ path: missing })).rejects.toThrow(
      /DuckDB sink file .*history\.duckdb: its folder .*nope does not exist/,
    );
    await expect(createDuckDbSink({ path: ':memory:', batchSize: 0 })).rejects.toThrow(
      /option batchSize must be an integer >= 1/,
    );

    const path = join(tempFolder('duckdb-shape'), 'other.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE ${DUCKDB_TABLE} (id INTEGER)`);
    connection.closeSync();
    instance.closeSync();
    await expect(createDuckDbSink({ path })).rejects.toThrow(
      /has a table circuit_breaker_metrics with columns \(id\), expected \(timestamp, breaker/,
    );
  });

  it('says which package to install when @duckdb/node-api is missing', () => {
    // The sink bundled into a folder with no node_modules: requiring the package fails there.
    const folder = tempFolder('duckdb-no-package');
    const outfile = join(folder, 'sink.cjs');
    buildSync({
      entryPoints: [resolve(__dirname, '../../../src/observe/sinks/duckdb.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      external: ['@duckdb/node-api'],
      logLevel: 'error',
    });
    const script = `require(${JSON.stringify(outfile)}).createDuckDbSink({ path: ':memory:' }).catch((e) => console.log(e.message));`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: folder, encoding: 'utf8' });
    expect(child.stdout.trim()).toBe(
      'breakwater/observe: the DuckDB event sink needs the optional package @duckdb/node-api; install it with `npm install @duckdb/node-api`',
    );
  });

  it('runs the SQL of docs/observability.md on a DuckDB file and on rotated JSONL files', async () => {
    const folder = tempFolder('docs-sql');
    const events = makeEvents(0, 200);
    const duck = await createDuckDbSink({ path: join(folder, 'history.duckdb') });
    duck.write(events);
    // docs/observability.md, "The last 10 tuning events"
    const lastTuning = await duck.query(`
      SELECT to_timestamp("timestamp" / 1000) AS at, kind, breaker,
             detail->'changed' AS changed,
             thresholds.failureRateThreshold AS failure_rate_threshold,
             timeouts.recoveryTimeout AS recovery_timeout
      FROM circuit_breaker_metrics
      WHERE event_type = 'tuning'
      ORDER BY "timestamp" DESC
      LIMIT 10`);
    expect(lastTuning.map((row) => row.breaker)).toEqual(
      events
        .filter((e) => e.event_type === 'tuning')
        .slice(-10)
        .reverse()
        .map((e) => e.breaker),
    );
    expect(JSON.parse(lastTuning[0].changed as string)).toEqual(events[198].detail!.changed);
    // docs/observability.md, "Trips per breaker"
    const trips = await duck.query(`
      SELECT kind, breaker, count(*) AS trips
      FROM circuit_breaker_metrics
      WHERE event_type = 'transition' AND state = 'open'
      GROUP BY ALL ORDER BY trips DESC, breaker`);
    const expectedTrips = events.filter((e) => e.event_type === 'transition' && e.state === 'open').length;
    expect(trips.reduce((sum, row) => sum + Number(row.trips), 0)).toBe(expectedTrips);
    await duck.close();

    const jsonl = createJsonlSink({ path: join(folder, 'events.jsonl'), maxBytes: 16 * 1024 });
    for (let i = 0; i < events.length; i += 20) {
      jsonl.write(events.slice(i, i + 20));
      await jsonl.flush();
    }
    await jsonl.close();
    expect(jsonl.rotations).toBeGreaterThan(0);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    // docs/observability.md, "The same from JSONL files"
    const reader = await connection.runAndReadAll(`
      SELECT breaker, detail
      FROM read_ndjson('${join(folder, 'events.jsonl')}*', union_by_name = true)
      WHERE event_type = 'tuning'
      ORDER BY "timestamp" DESC
      LIMIT 10`);
    expect(reader.getRowObjectsJson().map((row) => row.breaker)).toEqual(lastTuning.map((row) => row.breaker));
    connection.closeSync();
    instance.closeSync();
  });
});
