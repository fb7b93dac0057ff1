/**
 * DuckDB through @duckdb/node-api (Node-API, so it loads in Electron). The
 * database is opened for each run and closed afterwards: DuckDB locks its file
 * for as long as an instance is open, and other tools (SLayer, the DuckDB CLI)
 * must be able to open it between our queries. Queries run on DuckDB's own
 * threads, so the LSP thread only waits on promises.
 */
import { existsSync } from 'node:fs';
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBConnection,
  type DuckDBResult,
  type DuckDBValue,
} from '@duckdb/node-api';
import { cancelledError, driverError, type Redactor } from './errors';
import { checkRunOptions } from './limits';
import { bytesToHex, integerToJs, normaliseTimestampText, normaliseTimestampTzText, toRecord } from './normalise';
import type { Driver, ResultSet, RunOptions } from './types';

/** How often an interrupt is repeated until the query stops (one sent before the query started is lost). */
const INTERRUPT_RETRY_MS = 50;

function isTimestamp(value: DuckDBValue): boolean {
  return (
    value instanceof DuckDBTimestampValue ||
    value instanceof DuckDBTimestampSecondsValue ||
    value instanceof DuckDBTimestampMillisecondsValue ||
    value instanceof DuckDBTimestampNanosecondsValue
  );
}

/** DuckDB's value classes to the plain values every driver returns (see types.ts). */
export function normaliseDuckDbValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (typeof value === 'bigint') return integerToJs(value);
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBDateValue) return value.toString();
  if (isTimestamp(value)) return normaliseTimestampText(value.toString());
  if (value instanceof DuckDBTimestampTZValue) return normaliseTimestampTzText(value.toString());
  if (value instanceof DuckDBBlobValue) return bytesToHex(value.bytes);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
    return value.items.map(normaliseDuckDbValue);
  }
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([key, item]) => [key, normaliseDuckDbValue(item)]));
  }
  if (value instanceof DuckDBMapValue) {
    return value.entries.map(({ key, value: item }) => ({
      key: normaliseDuckDbValue(key),
      value: normaliseDuckDbValue(item),
    }));
  }
  return value.toString(); // TIME, INTERVAL, UUID, BIT, UNION...: their DuckDB text form
}

async function readRows(result: DuckDBResult, maxRows: number | undefined, signal?: AbortSignal): Promise<ResultSet> {
  const columns = result.columnNames();
  const limit = maxRows ?? Number.POSITIVE_INFINITY;
  const rows: Record<string, unknown>[] = [];
  for (;;) {
    if (signal?.aborted) throw cancelledError();
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return { columns, rows, truncated: false };
    for (const values of chunk.getRows()) {
      // One row past the limit proves there were more; no further chunk is fetched.
      if (rows.length >= limit) return { columns, rows, truncated: true };
      rows.push(toRecord(columns, values.map(normaliseDuckDbValue)));
    }
  }
}

export class DuckDbDriver implements Driver {
  readonly dialect = 'duckdb' as const;

  /** `file` is an absolute path or `:memory:`. */
  constructor(
    private readonly file: string,
    private readonly redact: Redactor,
  ) {}

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const { signal, maxRows } = options;
    const instance = await this.open();
    try {
      const connection = await instance.connect();
      try {
        return await this.query(connection, sql, maxRows, signal);
      } finally {
        connection.closeSync();
      }
    } catch (error) {
      throw driverError(error, this.redact, 'query', signal);
    } finally {
      instance.closeSync(); // releases the file lock
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private async open(): Promise<DuckDBInstance> {
    try {
      if (this.file === ':memory:') return await DuckDBInstance.create(':memory:');
      // READ_ONLY lets other read-only readers in while we run; a missing file is created, as SLayer does.
      const options: Record<string, string> = existsSync(this.file) ? { access_mode: 'READ_ONLY' } : {};
      return await DuckDBInstance.create(this.file, options);
    } catch (error) {
      throw driverError(error, this.redact, 'connect');
    }
  }

  private async query(
    connection: DuckDBConnection,
    sql: string,
    maxRows: number | undefined,
    signal?: AbortSignal,
  ): Promise<ResultSet> {
    let retry: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      connection.interrupt();
      retry = setInterval(() => connection.interrupt(), INTERRUPT_RETRY_MS);
    };
    if (signal?.aborted) throw cancelledError();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await connection.stream(sql);
      return await readRows(result, maxRows, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (retry) clearInterval(retry);
    }
  }
}
