/**
 * A handful of hand-written rows, loaded into a real SQLite file, a real
 * DuckDB file, a real Postgres schema and a real MariaDB database, for regression tests whose
 * expected values are computed by hand from those rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from 'node-sqlite3-wasm';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { openDriver } from '../../server/src/engine/drivers/connect';
import type { EngineHost } from '../../server/src/engine/query/execute';
import type { DatasourceDef, ModelDef } from '../../server/src/engine/schema/types';
import type { DriverName } from './engine-fixture';
import { createMysqlDatabase, dropMysqlDatabase, mysqlUrl, mysqlUrlFor, withMysql } from './mysql';
import { postgresUrl, withPostgres } from './postgres';

export interface TinyDatabases {
  /** One engine host per driver; `models` picks the catalog, so one load serves several model variants. */
  host(driver: DriverName, models: readonly ModelDef[]): EngineHost;
  cleanup(): Promise<void>;
}

/**
 * Runs the same DDL and INSERT statements on all four databases. Write them
 * in the SQL the four share: INTEGER, TEXT, DOUBLE PRECISION, plain literals.
 * Every model should name the data source `db`.
 */
export async function createTinyDatabases(statements: readonly string[]): Promise<TinyDatabases> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-tiny-'));
  const sqlitePath = path.join(dir, 'tiny.sqlite');
  const duckdbPath = path.join(dir, 'tiny.duckdb');
  loadSqlite(sqlitePath, statements);
  await loadDuckdb(duckdbPath, statements);
  const url = await postgresUrl();
  const schema = `tiny_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await loadPostgres(url, schema, statements);
  const mysql = await mysqlUrl();
  const mysqlDatabase = await createMysqlDatabase(mysql, 'tiny');
  await withMysql(mysqlUrlFor(mysql, mysqlDatabase), async (connection) => {
    for (const statement of statements) await connection.query(statement);
  });
  const datasources: Record<DriverName, DatasourceDef> = {
    sqlite: { version: 2, name: 'db', type: 'sqlite', database: sqlitePath },
    duckdb: { version: 2, name: 'db', type: 'duckdb', database: duckdbPath },
    postgres: { version: 2, name: 'db', type: 'postgres', connection_string: url, schema_name: schema },
    mysql: { version: 2, name: 'db', type: 'mysql', connection_string: mysqlUrlFor(mysql, mysqlDatabase) },
  };
  return {
    host: (driver, models) => ({
      catalog: new StaticCatalog(models, [datasources[driver]]),
      openDriver: (ds) => openDriver(ds, { baseDir: dir }),
    }),
    cleanup: async () => {
      rmSync(dir, { recursive: true, force: true });
      await withPostgres(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      await dropMysqlDatabase(mysql, mysqlDatabase);
    },
  };
}

function loadSqlite(file: string, statements: readonly string[]): void {
  const db = new Database(file);
  try {
    for (const statement of statements) db.exec(statement);
  } finally {
    db.close();
  }
}

async function loadDuckdb(file: string, statements: readonly string[]): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  try {
    const connection = await instance.connect();
    try {
      for (const statement of statements) await connection.run(statement);
      await connection.run('CHECKPOINT');
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function loadPostgres(url: string, schema: string, statements: readonly string[]): Promise<void> {
  await withPostgres(url, async (client) => {
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`SET search_path TO "${schema}"`);
    for (const statement of statements) await client.query(statement);
  });
}
