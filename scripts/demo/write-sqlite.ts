/**
 * Writes the demo tables into a fresh SQLite file through node-sqlite3-wasm,
 * the same driver the language server uses, so no native build is needed.
 */
import { rmSync } from 'node:fs';
import { Database } from 'node-sqlite3-wasm';
import { DEMO_TABLES, tableRows } from './data';
import { createTableSql, quoteIdentifier } from './ddl';
import type { CellValue, ColumnKind, DemoData, TableSpec } from './data';

/**
 * Declared types matter even though SQLite stores by affinity: SLayer's
 * ingestion reads them to decide which columns are dates, timestamps and
 * booleans. ISO date text is not numeric, so it stays text under DATE/TIMESTAMP.
 */
const SQLITE_TYPES: Record<ColumnKind, string> = {
  integer: 'INTEGER',
  real: 'REAL',
  text: 'TEXT',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

/** Foreign-key columns worth an index: every demo join goes through one of them. */
const INDEXED_COLUMNS: readonly (readonly [table: string, column: string])[] = [
  ['orders', 'customer_id'],
  ['orders', 'store_id'],
  ['orders', 'order_date'],
  ['order_items', 'order_id'],
  ['order_items', 'product_id'],
  ['supplies', 'product_id'],
];

export function writeSqlite(path: string, data: DemoData): void {
  removeDatabaseFiles(path);
  const db = new Database(path);
  try {
    // The file is brand new and rebuilt from scratch on failure, so durability
    // during the bulk load buys nothing and costs seconds.
    db.exec('PRAGMA synchronous = OFF');
    for (const table of DEMO_TABLES) {
      db.exec(createTableSql(table, SQLITE_TYPES));
      insertRows(db, table, data);
    }
    for (const [table, column] of INDEXED_COLUMNS) {
      db.exec(`CREATE INDEX ${quoteIdentifier(`idx_${table}_${column}`)} ON ${quoteIdentifier(table)} (${quoteIdentifier(column)})`);
    }
  } finally {
    db.close();
  }
}

function removeDatabaseFiles(path: string): void {
  for (const file of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) {
    rmSync(file, { force: true });
  }
}

/** SQLite has no boolean storage class; 0/1 is what every SQLite tool expects. */
function toSqliteValue(value: CellValue): string | number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function insertRows(db: Database, table: TableSpec, data: DemoData): void {
  const columns = table.columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const placeholders = table.columns.map(() => '?').join(', ');
  const statement = db.prepare(`INSERT INTO ${quoteIdentifier(table.name)} (${columns}) VALUES (${placeholders})`);
  db.exec('BEGIN');
  try {
    for (const row of tableRows(data, table.name)) {
      statement.run(table.columns.map((column) => toSqliteValue(row[column.name] ?? null)));
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  } finally {
    statement.finalize();
  }
}
