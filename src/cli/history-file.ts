import { existsSync } from 'node:fs';
import { readEventHistory, type ReadEventHistoryOptions } from '../adaptive/event-history';
import { HistoryFileError } from '../adaptive/errors/HistoryFileError';
import type { BreakerEvent } from '../registry/event';
import { createDuckDbSink, DUCKDB_TABLE } from '../observe/sinks/duckdb';

/**
 * The events of a history file, oldest first: a DuckDB file (`.duckdb`, the table
 * circuit_breaker_metrics) or JSON lines as the JSONL sink writes them. A missing file is a
 * HistoryFileError; a bad line is named (a torn last line of JSON lines is skipped when
 * `onTornLastLine` is given).
 */
export async function readHistoryFile(path: string, options: ReadEventHistoryOptions = {}): Promise<BreakerEvent[]> {
  return path.endsWith('.duckdb') ? readDuckDbHistory(path) : readEventHistory(path, options);
}

async function readDuckDbHistory(path: string): Promise<BreakerEvent[]> {
  // Opening a missing file would create an empty database: say it is missing instead.
  if (!existsSync(path)) throw new HistoryFileError(path, `breakwater/observe: event history ${path}: no such file`);
  const sink = await createDuckDbSink({ path });
  try {
    const rows = await sink.query(`SELECT * FROM ${DUCKDB_TABLE} ORDER BY "timestamp"`);
    return rows.map((row) => ({
      ...(row as unknown as BreakerEvent),
      timestamp: Number(row.timestamp),
      labels: labelsOf(row.labels),
      detail:
        typeof row.detail === 'string'
          ? (JSON.parse(row.detail) as Record<string, unknown>)
          : ((row.detail as Record<string, unknown> | null) ?? null),
    }));
  } finally {
    await sink.close();
  }
}

/** DuckDB MAPs read back as [{ key, value }] lists (or objects): labels as a plain object. */
function labelsOf(value: unknown): Record<string, string> {
  if (Array.isArray(value))
    return Object.fromEntries(value.map((entry: { key: string; value: string }) => [entry.key, entry.value]));
  return (value as Record<string, string> | null) ?? {};
}
