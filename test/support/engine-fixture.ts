/**
 * One small generated shop, loaded into a real SQLite file, a real DuckDB
 * file and a real Postgres schema, with the same models on each. Engine tests
 * run every case on all three and compare with values computed here in plain
 * JavaScript from the generated rows, never with the engine's own output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import {
  DEMO_TABLES,
  generateDemoData,
  tableRows,
  type ColumnKind,
  type DemoData,
  type TableSpec,
} from '../../scripts/demo/data';
import { createTableSql } from '../../scripts/demo/ddl';
import { writeDuckdb } from '../../scripts/demo/write-duckdb';
import { writeSqlite } from '../../scripts/demo/write-sqlite';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { openDriver } from '../../server/src/engine/drivers/connect';
import type { EngineHost } from '../../server/src/engine/query/execute';
import { columnDef, modelDef, type DatasourceDef, type ModelDef } from '../../server/src/engine/schema/types';
import { createMysqlDatabase, dropMysqlDatabase, mysqlUrl, mysqlUrlFor, withMysql } from './mysql';
import { postgresUrl, withPostgres } from './postgres';

export type DriverName = 'sqlite' | 'duckdb' | 'postgres' | 'mysql';
export const DRIVERS: readonly DriverName[] = ['sqlite', 'duckdb', 'postgres', 'mysql'];

export interface EngineFixture {
  data: DemoData;
  hosts: Record<DriverName, EngineHost>;
  cleanup(): Promise<void>;
}

/** Few enough rows to compute by hand, enough for every status, month and region to appear. */
export const FIXTURE_OPTIONS = { seed: 7, orders: 600, startDate: '2023-01-01', months: 24, customers: 40 } as const;

export async function createEngineFixture(): Promise<EngineFixture> {
  const data = generateDemoData(FIXTURE_OPTIONS);
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-engine-'));
  const sqlitePath = path.join(dir, 'shop.sqlite');
  const duckdbPath = path.join(dir, 'shop.duckdb');
  writeSqlite(sqlitePath, data);
  await writeDuckdb(duckdbPath, data);
  const url = await postgresUrl();
  const schema = `engine_${process.pid}_${Date.now()}`;
  await writePostgres(url, schema, data);
  const mysql = await mysqlUrl();
  const mysqlDatabase = await createMysqlDatabase(mysql, 'engine');
  await writeMysql(mysqlUrlFor(mysql, mysqlDatabase), data);
  const datasources: Record<DriverName, DatasourceDef> = {
    sqlite: { version: 2, name: 'shop', type: 'sqlite', database: sqlitePath },
    duckdb: { version: 2, name: 'shop', type: 'duckdb', database: duckdbPath },
    postgres: { version: 2, name: 'shop', type: 'postgres', connection_string: url, schema_name: schema },
    mysql: { version: 2, name: 'shop', type: 'mysql', connection_string: mysqlUrlFor(mysql, mysqlDatabase) },
  };
  const host = (name: DriverName): EngineHost => ({
    catalog: new StaticCatalog(shopModels(), [datasources[name]]),
    openDriver: (ds) => openDriver(ds, { baseDir: dir }),
  });
  return {
    data,
    hosts: { sqlite: host('sqlite'), duckdb: host('duckdb'), postgres: host('postgres'), mysql: host('mysql') },
    cleanup: async () => {
      rmSync(dir, { recursive: true, force: true });
      await dropSchema(url, schema);
      await dropMysqlDatabase(mysql, mysqlDatabase);
    },
  };
}

// ---------------------------------------------------------------------------
// Postgres loading
// ---------------------------------------------------------------------------

const PG_TYPES: Record<ColumnKind, string> = {
  integer: 'INTEGER',
  real: 'DOUBLE PRECISION',
  text: 'TEXT',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

/** Loads the demo tables into a new schema `schema` of the Postgres at `url`. */
export async function writePostgres(url: string, schema: string, data: DemoData): Promise<void> {
  await withPostgres(url, async (client) => {
    await client.query(`CREATE SCHEMA "${schema}"`);
    for (const table of DEMO_TABLES) await loadTable(client, schema, table, data);
  });
}

async function loadTable(client: pg.Client, schema: string, table: TableSpec, data: DemoData): Promise<void> {
  await client.query(createTableSql(table, PG_TYPES, schema));
  const rows = tableRows(data, table.name);
  const names = table.columns.map((c) => c.name);
  const batch = 500;
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    const values: unknown[] = [];
    const tuples = slice.map((row, r) => {
      const marks = names.map((name, c) => {
        values.push(row[name] ?? null);
        return `$${r * names.length + c + 1}`;
      });
      return `(${marks.join(', ')})`;
    });
    await client.query(
      `INSERT INTO "${schema}"."${table.name}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}

// ---------------------------------------------------------------------------
// MySQL / MariaDB loading
// ---------------------------------------------------------------------------

const MYSQL_TYPES: Record<ColumnKind, string> = {
  integer: 'INTEGER',
  real: 'DOUBLE',
  text: 'TEXT',
  date: 'DATE',
  timestamp: 'DATETIME',
  boolean: 'BOOLEAN',
};

/** Loads the demo tables into the MariaDB database at `url`, with the same rows the SQLite and DuckDB files get. */
export async function writeMysql(url: string, data: DemoData): Promise<void> {
  await withMysql(url, async (connection) => {
    // The shared DDL quotes identifiers with double quotes; only this loading session reads them so.
    await connection.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
    for (const table of DEMO_TABLES) {
      await connection.query(createTableSql(table, MYSQL_TYPES));
      const rows = tableRows(data, table.name);
      const names = table.columns.map((c) => c.name);
      for (let start = 0; start < rows.length; start += 500) {
        const values = rows.slice(start, start + 500).map((row) => names.map((name) => row[name] ?? null));
        await connection.query(`INSERT INTO "${table.name}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES ?`, [
          values,
        ]);
      }
    }
  });
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withPostgres(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

// ---------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------

const column = columnDef;

/** Every fixture model reads the `shop` data source. */
function model(name: string, fields: Partial<ModelDef>): ModelDef {
  return modelDef(name, { data_source: 'shop', ...fields });
}

/** The fixture's models: every feature the engine tests pin, on the demo's tables. */
export function shopModels(): ModelDef[] {
  return [
    model('orders', {
      sql_table: 'orders',
      default_time_dimension: 'ordered_at',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('customer_id', 'INT'),
        column('store_id', 'INT'),
        column('order_date', 'DATE'),
        column('ordered_at', 'TIMESTAMP', { label: 'Ordered at' }),
        column('status', 'TEXT', { label: 'Status' }),
        column('subtotal', 'DOUBLE'),
        column('tip', 'DOUBLE', { allowed_aggregations: ['sum', 'avg', 'count'] }),
        column('amount', 'DOUBLE', { label: 'Amount', format: { type: 'currency', precision: 2, symbol: '$' } }),
        column('completed_amount', 'DOUBLE', { sql: 'amount', filter: "status = 'completed'" }),
        column('amount_with_tip', 'DOUBLE', { sql: 'amount + COALESCE(tip, 0)' }),
        column('size', 'TEXT', { sql: "CASE WHEN amount_with_tip >= 40 THEN 'large' ELSE 'small' END" }),
      ],
      measures: [
        { name: 'revenue', formula: 'amount:sum', label: 'Revenue' },
        { name: 'aov', formula: 'revenue / *:count' },
        { name: 'aov_doubled', formula: 'aov * 2' },
        // A saved transform, used by name.
        { name: 'revenue_growth', formula: 'change_pct(revenue)' },
      ],
      aggregations: [
        {
          name: 'trimmed_mean',
          formula: 'AVG(CASE WHEN {value} BETWEEN {low} AND {high} THEN {value} END)',
          params: [
            { name: 'low', sql: '10' },
            { name: 'high', sql: '60' },
          ],
        },
      ],
      joins: [
        { target_model: 'customers', join_pairs: [['customer_id', 'id']], join_type: 'left' },
        { target_model: 'stores', join_pairs: [['store_id', 'id']], join_type: 'left' },
      ],
    }),
    model('customers', {
      sql_table: 'customers',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('name', 'TEXT'),
        column('region', 'TEXT'),
        column('signed_up_on', 'DATE'),
      ],
    }),
    model('stores', {
      sql_table: 'stores',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('name', 'TEXT'),
        column('city', 'TEXT'),
        column('region', 'TEXT'),
        column('tax_rate', 'DOUBLE'),
      ],
    }),
    model('order_items', {
      sql_table: 'order_items',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('order_id', 'INT'),
        column('product_id', 'INT'),
        column('quantity', 'INT'),
        column('unit_price', 'DOUBLE'),
        column('line_total', 'DOUBLE'),
      ],
      joins: [
        { target_model: 'orders', join_pairs: [['order_id', 'id']], join_type: 'left' },
        { target_model: 'products', join_pairs: [['product_id', 'id']], join_type: 'left' },
        // A second path to customers (order_items -> order_heads -> customers): a diamond.
        { target_model: 'order_heads', join_pairs: [['order_id', 'id']], join_type: 'left' },
      ],
    }),
    model('order_heads', {
      sql_table: 'orders',
      columns: [column('id', 'INT', { primary_key: true }), column('customer_id', 'INT')],
      joins: [{ target_model: 'customers', join_pairs: [['customer_id', 'id']], join_type: 'left' }],
    }),
    model('products', {
      sql_table: 'products',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('name', 'TEXT'),
        column('category', 'TEXT'),
        column('price', 'DOUBLE'),
      ],
    }),
    model('completed_orders', {
      sql: 'SELECT * FROM orders',
      filters: ["status = 'completed'"],
      columns: [column('id', 'INT', { primary_key: true }), column('status', 'TEXT'), column('amount', 'DOUBLE')],
    }),
    // Query-backed: two stored stages read top to bottom, with a default for {min}.
    model('status_months', {
      query_variables: { min: 0 },
      source_queries: [
        {
          version: 3,
          name: 'per_month',
          source_model: { kind: 'name', name: 'orders' },
          dimensions: [{ name: 'status' }],
          time_dimensions: [{ dimension: { name: 'ordered_at' }, granularity: 'month' }],
          measures: [{ formula: '*:count' }, { formula: 'amount:sum' }],
          filters: ['amount > {min}'],
          whole_periods_only: false,
          distinct_dimension_values: true,
        },
        {
          version: 3,
          source_model: { kind: 'name', name: 'per_month' },
          dimensions: [{ name: 'status' }],
          measures: [{ formula: '_count:sum' }, { formula: 'amount_sum:max', name: 'best_month' }],
          whole_periods_only: false,
          distinct_dimension_values: true,
        },
      ],
    }),
    model('looping', {
      sql_table: 'orders',
      columns: [column('amount', 'DOUBLE')],
      measures: [
        { name: 'a', formula: 'b + 1' },
        { name: 'b', formula: 'a + amount:sum' },
      ],
    }),
    ...reverseJoinModels(),
  ];
}

/**
 * Customers and orders again, joined both ways: `shoppers` reaches its
 * `purchases` one-to-many and `purchases` joins back many-to-one. A
 * cross-model measure re-rooted at the other side can then reach the source's
 * own columns (`shoppers.region` seen from `purchases`), which the models
 * above, all joined one way, never exercise.
 */
function reverseJoinModels(): ModelDef[] {
  return [
    model('shoppers', {
      sql_table: 'customers',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('name', 'TEXT'),
        column('region', 'TEXT'),
        column('signed_up_on', 'DATE'),
      ],
      joins: [{ target_model: 'purchases', join_pairs: [['id', 'customer_id']], join_type: 'left' }],
    }),
    model('purchases', {
      sql_table: 'orders',
      default_time_dimension: 'ordered_at',
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('customer_id', 'INT'),
        column('store_id', 'INT'),
        column('ordered_at', 'TIMESTAMP'),
        column('status', 'TEXT'),
        column('subtotal', 'DOUBLE'),
        column('tip', 'DOUBLE'),
        column('amount', 'DOUBLE'),
      ],
      joins: [
        { target_model: 'shoppers', join_pairs: [['customer_id', 'id']], join_type: 'left' },
        { target_model: 'stores', join_pairs: [['store_id', 'id']], join_type: 'left' },
      ],
    }),
  ];
}
