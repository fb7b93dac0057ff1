/**
 * The real ClickHouse the tests run against: SLAYER_TEST_CLICKHOUSE_URL when
 * CI (or the developer) started one, else a throwaway server started here with
 * scripts/clickhouse-test-server.sh (stop it with
 * `bash scripts/clickhouse-test-server.sh stop`). Never skips: a test that
 * needs ClickHouse fails when there is none.
 *
 * Set-up (databases, tables, rows) goes through plain HTTP here, not through
 * the driver under test, which runs every query read-only.
 */
import { DEMO_TABLES, tableRows, type CellValue, type ColumnSpec, type DemoData } from '../../scripts/demo/data';
import { clickHouseConfigFromUrl, type ClickHouseConfig } from '../../server/src/engine/drivers/clickhouse-config';
import { testServerUrl } from './test-server';

export function clickhouseUrl(): Promise<string> {
  return testServerUrl('clickhouse-test-server.sh', 'SLAYER_TEST_CLICKHOUSE_URL', 'ClickHouse');
}

/** The driver's settings for `database` on the test server. */
export function clickhouseConfig(url: string, database: string): ClickHouseConfig {
  return clickHouseConfigFromUrl({ version: 2, name: 'clickhouse-test' }, clickhouseConnectionString(url, database));
}

/** `clickhouse://user:password@host:port/database`, as a datasource would write it. */
export function clickhouseConnectionString(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString().replace(/^http:/, 'clickhouse:');
}

/**
 * Runs one statement as the test user and returns the answer's text. `data`
 * is sent as the body, for `INSERT ... FORMAT TabSeparated`; the statement
 * then travels in the URL.
 */
export async function clickhouseExec(
  url: string,
  sql: string,
  options: { database?: string; data?: string } = {},
): Promise<string> {
  const parsed = new URL(url);
  const endpoint = new URL('/', parsed.origin);
  if (options.database) endpoint.searchParams.set('database', options.database);
  if (options.data !== undefined) endpoint.searchParams.set('query', sql);
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  const response = await fetch(endpoint, {
    method: 'POST',
    body: options.data ?? sql,
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse refused ${sql.slice(0, 200)}: ${text}`);
  return text;
}

/** A fresh database for one test file; its name says which, and which process made it. */
export async function createClickhouseDatabase(url: string, prefix: string): Promise<string> {
  const name = `slayer_${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await clickhouseExec(url, `CREATE DATABASE ${name}`);
  return name;
}

export async function dropClickhouseDatabase(url: string, name: string): Promise<void> {
  await clickhouseExec(url, `DROP DATABASE IF EXISTS ${name}`);
}

/**
 * The demo's column kinds as ClickHouse types every release has: 18.16 has no
 * Bool, so booleans are UInt8 (0/1), which is also how most ClickHouse
 * schemas written before Bool hold them.
 */
const CLICKHOUSE_TYPES: Record<ColumnSpec['kind'], string> = {
  integer: 'Int32',
  real: 'Float64',
  text: 'String',
  date: 'Date',
  timestamp: 'DateTime',
  boolean: 'UInt8',
};

function columnType(column: ColumnSpec): string {
  const type = CLICKHOUSE_TYPES[column.kind];
  return column.nullable ? `Nullable(${type})` : type;
}

/** One value as a TabSeparated field. */
function tsvField(value: CellValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

/** The demo tables in `database`: nullable columns Nullable(T), the rest plain T, every row loaded. */
export async function writeClickhouse(url: string, database: string, data: DemoData): Promise<void> {
  for (const table of DEMO_TABLES) {
    const columns = table.columns.map((column) => `"${column.name}" ${columnType(column)}`);
    await clickhouseExec(url, `CREATE TABLE "${table.name}" (${columns.join(', ')}) ENGINE = Memory`, { database });
    const lines = tableRows(data, table.name).map((row) =>
      table.columns.map((column) => tsvField(row[column.name] ?? null)).join('\t'),
    );
    if (lines.length === 0) continue;
    await clickhouseExec(url, `INSERT INTO "${table.name}" FORMAT TabSeparated`, {
      database,
      data: `${lines.join('\n')}\n`,
    });
  }
}
