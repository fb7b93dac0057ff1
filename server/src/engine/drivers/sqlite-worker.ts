/**
 * The SQLite worker thread: runs one query at a time with node-sqlite3-wasm,
 * so a long query never blocks the LSP thread. The database is opened for each
 * request and closed afterwards, so other tools can open the file in between.
 *
 * Built as its own bundle (dist/sqlite-worker.js); sqlite.ts starts it.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Database, type SQLiteValue, type Statement } from 'node-sqlite3-wasm';
import { bytesToHex, integerToJs, normaliseTimestampText, normaliseTimestampTzText, toRecord } from './normalise';
import { registerSlayerFunctions } from './sqlite-functions';
import { LOCKS_HELD, type SqliteRequest, type SqliteResponse, type SqliteWorkerData } from './sqlite-protocol';
import type { ResultSet } from './types';

/** How long a query waits for another reader or writer of the same file before failing. */
const BUSY_TIMEOUT_MS = 5000;
const PROBE_VIEW = 'slayer_studio_column_types';

/**
 * node-sqlite3-wasm locks a file by creating the directory `<file>.lock`. When
 * the driver cancels a query it terminates this thread mid-query, which would
 * leave that directory behind and lock the file for every later reader. So the
 * worker counts the lock directories it holds in memory the driver can read
 * after termination, and the driver removes a leftover one. (File descriptors
 * need no such care: a Worker closes the ones it opened when it exits.)
 */
function trackLockDirectories(state: Int32Array): void {
  const mkdirSync = fs.mkdirSync;
  const rmdirSync = fs.rmdirSync;
  const isLock = (target: fs.PathLike): boolean => String(target).endsWith('.lock');
  // Patching this thread's fs module is the only hook the library offers; its VFS calls fs.mkdirSync.
  Object.assign(fs, {
    mkdirSync(...args: Parameters<typeof fs.mkdirSync>) {
      const result = mkdirSync(...args);
      if (isLock(args[0])) Atomics.add(state, LOCKS_HELD, 1);
      return result;
    },
    rmdirSync(...args: Parameters<typeof fs.rmdirSync>) {
      rmdirSync(...args);
      if (isLock(args[0])) Atomics.sub(state, LOCKS_HELD, 1);
    },
  });
}

function open(file: string): Database {
  if (file === ':memory:') return new Database(':memory:');
  // readOnly: SLayer queries only read, and a read-only open never creates a missing file.
  return new Database(file, { readOnly: true });
}

/**
 * SQLite keeps no type with a value, but a view over the query carries each
 * column's declared type (DATE, TIMESTAMP, BOOLEAN...), which is what tells a
 * stored 0/1 from a boolean. The temp schema is writable even on a read-only
 * file. Any failure (parameters, a non-SELECT statement) just means no types.
 */
function declaredTypes(db: Database, sql: string): string[] | undefined {
  let created = false;
  try {
    // prepare() compiles the first statement only, so trailing SQL can never run here.
    const create = db.prepare(`CREATE TEMP VIEW ${PROBE_VIEW} AS ${sql}`);
    try {
      create.run();
      created = true;
    } finally {
      create.finalize();
    }
    const rows = db.all(`SELECT type FROM pragma_table_info('${PROBE_VIEW}', 'temp')`);
    return rows.map((row) => (typeof row.type === 'string' ? row.type : ''));
  } catch {
    return undefined;
  } finally {
    if (created) db.exec(`DROP VIEW IF EXISTS temp.${PROBE_VIEW}`);
  }
}

/** Column names in SELECT order; the library keeps them on a private method (rows are keyed objects). */
function columnNames(statement: Statement, firstRow: Record<string, unknown> | undefined): string[] {
  const withNames = statement as Statement & { _getColumnNames?: () => string[] };
  if (typeof withNames._getColumnNames === 'function') return withNames._getColumnNames();
  return firstRow === undefined ? [] : Object.keys(firstRow);
}

function normaliseValue(value: SQLiteValue | undefined, declared: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return integerToJs(value);
  if (value instanceof Uint8Array) return bytesToHex(value);
  const type = declared.toUpperCase();
  if (typeof value === 'number') {
    return type.startsWith('BOOL') && (value === 0 || value === 1) ? value === 1 : value;
  }
  if (/TIMESTAMPTZ|WITH TIME ZONE/.test(type)) return normaliseTimestampTzText(value);
  // An expression has no declared type; its timestamps (strftime, datetime) are text too.
  if (type === '' || /TIMESTAMP|DATETIME/.test(type)) return normaliseTimestampText(value);
  return value;
}

function query(db: Database, sql: string, maxRows: number | undefined): ResultSet {
  const types = declaredTypes(db, sql);
  const statement = db.prepare(sql);
  try {
    const limit = maxRows ?? Number.POSITIVE_INFINITY;
    const raw: Record<string, SQLiteValue>[] = [];
    let truncated = false;
    for (const row of statement.iterate()) {
      if (raw.length >= limit) {
        truncated = true;
        break;
      }
      raw.push(row as Record<string, SQLiteValue>);
    }
    const columns = columnNames(statement, raw[0]);
    const rows = raw.map((row) =>
      toRecord(
        columns,
        columns.map((name, index) => normaliseValue(row[name], types?.[index] ?? '')),
      ),
    );
    return { columns, rows, truncated };
  } finally {
    statement.finalize();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function execute(request: SqliteRequest): SqliteResponse {
  let db: Database;
  try {
    db = open(request.file);
  } catch (error) {
    return { id: request.id, ok: false, phase: 'connect', message: messageOf(error) };
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // SQLite alone folds ASCII case in LIKE; DuckDB and Postgres (and the SQL standard) do not. One
    // filter must select the same rows wherever the model's data lives.
    db.exec('PRAGMA case_sensitive_like = ON');
    registerSlayerFunctions(db);
    return { id: request.id, ok: true, result: query(db, request.sql, request.maxRows) };
  } catch (error) {
    return { id: request.id, ok: false, phase: 'query', message: messageOf(error) };
  } finally {
    db.close();
  }
}

if (parentPort) {
  const port = parentPort;
  trackLockDirectories((workerData as SqliteWorkerData).state);
  port.on('message', (request: SqliteRequest) => port.postMessage(execute(request)));
}
