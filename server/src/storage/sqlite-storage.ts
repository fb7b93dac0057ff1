/**
 * SLayer's SQLite storage (`models(data_source, name, data JSON)` in current
 * SLayer, `models(name, data)` in its older layout; both are read) behind the
 * ModelStorage contract, through node-sqlite3-wasm.
 *
 * A revision is the row's `revision INTEGER`, added when missing. Our own
 * writes bump it in the same statement that checks it
 * (`UPDATE ... SET revision = revision + 1 WHERE ... AND revision = ?`).
 * Writers that know nothing of it (SLayer itself) are covered by triggers: an
 * UPDATE of `data` that leaves the revision alone bumps it, and an INSERT (or
 * SLayer's INSERT OR REPLACE) starts the row above every revision ever issued
 * in the file, so a token can never come back after a delete and re-create.
 *
 * node-sqlite3-wasm locks the database by creating the directory
 * `<file>.lock` for the duration of every statement or transaction, and
 * answers "database is locked" to anyone else meanwhile (it has no busy
 * handler), so every operation retries with a bounded backoff.
 */
import { rmdir, stat } from 'node:fs/promises';
import { Database, type QueryResult } from 'node-sqlite3-wasm';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { parseSlayerDocument } from '../engine/document';
import type { ModelDef } from '../engine/schema/types';
import { applyCacheUpdates, cacheWouldChange, isPlainObject, modelToPlain, type Plain } from './cache-values';
import { LOCK_STALE_MS } from './file-lock';
import type { ModelStorage, PatchRequest, PatchResult, StoredModel } from './types';

/** Backoff for "database is locked": 5 ms doubling to 100 ms, about 5 s in all. */
const BUSY_ATTEMPTS = 60;
const BUSY_MIN_MS = 5;
const BUSY_MAX_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isBusy(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY|database table is locked/i.test(error.message);
}

interface Row {
  data_source: string;
  name: string;
  data: string;
  revision: string;
}

/** A SQLite value as text: revisions are integers (number or bigint), the rest is TEXT. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return '';
}

function toRow(result: QueryResult): Row {
  const value = (key: string): string => text(result[key]);
  return { data_source: value('data_source'), name: value('name'), data: value('data'), revision: value('revision') };
}

/** `models` in SLayer's current layout (keyed by data source and name) or its older one (name only). */
type Layout = 'by-source' | 'by-name';

const TRIGGERS = [
  `CREATE TABLE IF NOT EXISTS slayer_studio_revisions (id INTEGER PRIMARY KEY CHECK (id = 1), high INTEGER NOT NULL)`,
  `INSERT OR IGNORE INTO slayer_studio_revisions (id, high) VALUES (1, (SELECT coalesce(max(revision), 0) FROM models))`,
  `CREATE TRIGGER IF NOT EXISTS slayer_studio_models_foreign_update AFTER UPDATE OF data ON models
     WHEN NEW.revision = OLD.revision
     BEGIN UPDATE models SET revision = OLD.revision + 1 WHERE rowid = NEW.rowid; END`,
  `CREATE TRIGGER IF NOT EXISTS slayer_studio_models_high_water AFTER UPDATE OF revision ON models
     BEGIN UPDATE slayer_studio_revisions SET high = max(high, NEW.revision) WHERE id = 1; END`,
  `CREATE TRIGGER IF NOT EXISTS slayer_studio_models_insert AFTER INSERT ON models
     BEGIN
       UPDATE slayer_studio_revisions SET high = high + 1 WHERE id = 1;
       UPDATE models SET revision = (SELECT high FROM slayer_studio_revisions WHERE id = 1) WHERE rowid = NEW.rowid;
     END`,
];

export class SqliteStorage implements ModelStorage {
  private layout: Layout | undefined;
  private recovery: Promise<void> | undefined;

  /** `file`: the SLayer storage database; created (in SLayer's current layout) when missing. */
  constructor(readonly file: string) {}

  async get(name: string, dataSource?: string): Promise<StoredModel | undefined> {
    const rows = await this.withDb((db, layout) => this.select(db, layout, name, dataSource));
    const row = single(rows, name);
    return row ? decodeRow(row) : undefined;
  }

  async list(): Promise<StoredModel[]> {
    const rows = await this.withDb((db, layout) => db.all(`SELECT ${columnsOf(layout)} FROM models ORDER BY name`));
    const stored: StoredModel[] = [];
    for (const row of rows.map(toRow)) {
      try {
        stored.push(decodeRow(row));
      } catch {
        // A row that does not decode is SLayer's to report; the rest still list.
      }
    }
    return stored;
  }

  async save(model: ModelDef, options: { expectedRevision?: string } = {}): Promise<string> {
    const data = JSON.stringify(modelToPlain(model));
    return this.transaction((db, layout) => {
      const existing = single(this.select(db, layout, model.name, model.data_source), model.name);
      if (options.expectedRevision !== undefined && existing?.revision !== options.expectedRevision) {
        throw new SlayerError(ErrorCode.Conflict, `Model '${model.name}' changed since it was read.`);
      }
      if (existing?.data === data) return existing.revision;
      if (existing) {
        const where = keyClause(layout);
        db.run(`UPDATE models SET data = ?, revision = revision + 1 WHERE ${where.sql}`, [
          data,
          ...where.values(existing),
        ]);
      } else if (layout === 'by-source') {
        db.run('INSERT INTO models (data_source, name, data) VALUES (?, ?, ?)', [model.data_source, model.name, data]);
      } else {
        db.run('INSERT INTO models (name, data) VALUES (?, ?)', [model.name, data]);
      }
      const saved = single(this.select(db, layout, model.name, model.data_source), model.name);
      return saved?.revision ?? '0';
    });
  }

  async delete(name: string, dataSource?: string): Promise<boolean> {
    return this.transaction((db, layout) => {
      const row = single(this.select(db, layout, name, dataSource), name);
      if (!row) return false;
      const where = keyClause(layout);
      return db.run(`DELETE FROM models WHERE ${where.sql}`, where.values(row)).changes === 1;
    });
  }

  async patchModel(name: string, request: PatchRequest): Promise<PatchResult> {
    try {
      return await this.transaction((db, layout) => this.patchInTransaction(db, layout, name, request));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof SlayerError && error.code === ErrorCode.StorageBusy) {
        return { applied: false, reason: 'locked', detail: message };
      }
      if (error instanceof SlayerError && error.code === ErrorCode.InvalidInput) {
        return { applied: false, reason: 'not-found', detail: message };
      }
      return { applied: false, reason: 'io-error', detail: message };
    }
  }

  private patchInTransaction(db: Database, layout: Layout, name: string, request: PatchRequest): PatchResult {
    const row = single(this.select(db, layout, name, request.dataSource), name);
    if (!row) return { applied: false, reason: 'not-found', detail: `No model '${name}' in ${this.file}.` };
    if (row.revision !== request.expectedRevision) {
      return { applied: false, reason: 'revision-mismatch', detail: `Model '${name}' is at revision ${row.revision}.` };
    }
    let plain: Plain;
    try {
      const parsed: unknown = JSON.parse(row.data);
      if (!isPlainObject(parsed)) throw new Error('not a JSON object');
      plain = parsed;
    } catch (error) {
      return { applied: false, reason: 'unparseable', detail: `Model '${name}': ${String(error)}` };
    }
    if (!cacheWouldChange(plain, request.updates)) return { applied: true, revision: row.revision, changed: false };
    const data = JSON.stringify(applyCacheUpdates(plain, request.updates));
    if (request.stillWanted && !request.stillWanted()) {
      return { applied: false, reason: 'withdrawn', detail: `Model '${name}': the caller withdrew the patch.` };
    }
    const where = keyClause(layout);
    const result = db.run(`UPDATE models SET data = ?, revision = revision + 1 WHERE ${where.sql} AND revision = ?`, [
      data,
      ...where.values(row),
      Number(row.revision),
    ]);
    if (result.changes !== 1) {
      return { applied: false, reason: 'revision-mismatch', detail: `Model '${name}' changed during the patch.` };
    }
    return { applied: true, revision: String(Number(row.revision) + 1), changed: true };
  }

  private select(db: Database, layout: Layout, name: string, dataSource: string | undefined): Row[] {
    const columns = columnsOf(layout);
    if (layout === 'by-source' && dataSource) {
      const exact = db.all(`SELECT ${columns} FROM models WHERE data_source = ? AND name = ?`, [dataSource, name]);
      if (exact.length > 0) return exact.map(toRow);
    }
    return db.all(`SELECT ${columns} FROM models WHERE name = ?`, [name]).map(toRow);
  }

  /** Opens the database for one operation and closes it after, so other tools can open it in between. */
  private async withDb<T>(work: (db: Database, layout: Layout) => T): Promise<T> {
    // Before the first operation: a lock directory left by a process that died mid-statement.
    this.recovery ??= recoverSqliteStorage(this.file).then(
      () => undefined,
      () => undefined,
    );
    await this.recovery;
    return retryBusy(() => {
      const db = new Database(this.file);
      try {
        const layout = this.layout ?? (this.layout = ensureSchema(db));
        return work(db, layout);
      } finally {
        db.close();
      }
    });
  }

  /** One IMMEDIATE transaction: the whole read-compare-write holds the database lock. */
  private async transaction<T>(work: (db: Database, layout: Layout) => T): Promise<T> {
    return this.withDb((db, layout) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = work(db, layout);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
  }
}

function columnsOf(layout: Layout): string {
  return layout === 'by-source' ? 'data_source, name, data, revision' : "'' AS data_source, name, data, revision";
}

function keyClause(layout: Layout): { sql: string; values(row: Row): string[] } {
  return layout === 'by-source'
    ? { sql: 'data_source = ? AND name = ?', values: (row) => [row.data_source, row.name] }
    : { sql: 'name = ?', values: (row) => [row.name] };
}

function single(rows: Row[], name: string): Row | undefined {
  if (rows.length > 1) {
    const sources = rows.map((row) => row.data_source).join(', ');
    throw new SlayerError(ErrorCode.InvalidInput, `Model '${name}' exists in several data sources (${sources}).`);
  }
  return rows[0];
}

function decodeRow(row: Row): StoredModel {
  // JSON is YAML, so the same decoder (and its defaults) reads both storages.
  const parsed = parseSlayerDocument('model', row.data, { warnOnUnknownFields: false });
  if (!parsed.model) {
    throw new SlayerError(ErrorCode.StorageUnreadable, `Model '${row.name}' in the SQLite storage does not decode.`);
  }
  return { model: parsed.model, revision: row.revision };
}

/** Creates SLayer's tables when missing, adds `revision`, installs the triggers; returns the layout found. */
function ensureSchema(db: Database): Layout {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS models (
      data_source TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
      revision INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (data_source, name))`);
    db.exec('CREATE TABLE IF NOT EXISTS datasources (name TEXT PRIMARY KEY, data TEXT NOT NULL)');
    const columns = db.all('PRAGMA table_info(models)').map((column) => text(column.name));
    if (!columns.includes('revision')) db.exec('ALTER TABLE models ADD COLUMN revision INTEGER NOT NULL DEFAULT 0');
    for (const statement of TRIGGERS) db.exec(statement);
    db.exec('COMMIT');
    return columns.includes('data_source') ? 'by-source' : 'by-name';
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

async function retryBusy<T>(work: () => T): Promise<T> {
  let delay = BUSY_MIN_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return work();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (attempt >= BUSY_ATTEMPTS) {
        throw new SlayerError(ErrorCode.StorageBusy, 'The SQLite storage stayed locked; try again.', { cause: error });
      }
    }
    // Jitter keeps two waiting processes from retrying in lockstep.
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, BUSY_MAX_MS);
  }
}

/**
 * On start: removes `<file>.lock` left by a process that died inside a
 * statement (node-sqlite3-wasm's lock is a directory nobody else removes),
 * once it is older than the stale time. Returns whether one was removed.
 */
export async function recoverSqliteStorage(file: string, options: { staleMs?: number } = {}): Promise<boolean> {
  const lockDir = `${file}.lock`;
  try {
    const age = Date.now() - (await stat(lockDir)).mtimeMs;
    if (age <= (options.staleMs ?? LOCK_STALE_MS)) return false;
    await rmdir(lockDir);
    return true;
  } catch {
    return false;
  }
}
