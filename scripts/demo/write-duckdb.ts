/**
 * Writes the demo tables into a fresh DuckDB file with real DATE, TIMESTAMP
 * and BOOLEAN columns, so the DuckDB data source exercises SLayer's typed path
 * while the SQLite one exercises the text-affinity path.
 */
import { rmSync } from 'node:fs';
import { DuckDBInstance, dateValue, timestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { DEMO_TABLES, tableRows } from './data';
import { createTableSql } from './ddl';
import type { CellValue, ColumnKind, ColumnSpec, DemoData, TableSpec } from './data';

/** Money is DOUBLE, not REAL: DuckDB's REAL is single precision and would lose cents. */
const DUCKDB_TYPES: Record<ColumnKind, string> = {
  integer: 'INTEGER',
  real: 'DOUBLE',
  text: 'VARCHAR',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

const DAY_MS = 86_400_000;

export async function writeDuckdb(path: string, data: DemoData): Promise<void> {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
  const instance = await DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    try {
      for (const table of DEMO_TABLES) {
        await connection.run(createTableSql(table, DUCKDB_TYPES));
        await appendRows(connection, table, data);
      }
      // Folds the WAL into the main file, so readers see a single self-contained file.
      await connection.run('CHECKPOINT');
    } finally {
      connection.closeSync();
    }
  } finally {
    // Releases the file lock; other processes cannot open the file until then.
    instance.closeSync();
  }
}

/** The appender bypasses SQL parsing entirely, which is what keeps 100k+ rows well under a second. */
async function appendRows(connection: DuckDBConnection, table: TableSpec, data: DemoData): Promise<void> {
  const appender = await connection.createAppender(table.name);
  try {
    for (const row of tableRows(data, table.name)) {
      for (const column of table.columns) appendCell(appender, column, row[column.name] ?? null);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

function appendCell(appender: DuckDBAppender, column: ColumnSpec, value: CellValue): void {
  if (value === null) {
    appender.appendNull();
    return;
  }
  switch (column.kind) {
    case 'integer':
      appender.appendInteger(expectNumber(column, value));
      return;
    case 'real':
      appender.appendDouble(expectNumber(column, value));
      return;
    case 'text':
      appender.appendVarchar(expectString(column, value));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(column, value);
      appender.appendBoolean(value);
      return;
    case 'date':
      appender.appendDate(dateValue(isoDateToEpochDays(expectString(column, value))));
      return;
    case 'timestamp':
      appender.appendTimestamp(timestampValue(isoTimestampToEpochMicros(expectString(column, value))));
      return;
  }
}

function expectNumber(column: ColumnSpec, value: CellValue): number {
  if (typeof value !== 'number') throw typeError(column, value);
  return value;
}

function expectString(column: ColumnSpec, value: CellValue): string {
  if (typeof value !== 'string') throw typeError(column, value);
  return value;
}

function typeError(column: ColumnSpec, value: CellValue): TypeError {
  return new TypeError(`column ${column.name} (${column.kind}) cannot hold ${JSON.stringify(value)}`);
}

function isoDateToEpochDays(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new Error(`expected YYYY-MM-DD, got '${text}'`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS;
}

function isoTimestampToEpochMicros(text: string): bigint {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) throw new Error(`expected YYYY-MM-DD HH:MM:SS, got '${text}'`);
  const part = (index: number): number => Number(match[index]);
  return BigInt(Date.UTC(part(1), part(2) - 1, part(3), part(4), part(5), part(6))) * 1000n;
}
