import { statSync } from 'node:fs';
import { traceIo } from '../../io-trace';
/**
 * From a datasource definition to a running driver: resolves `${ENV_VAR}`
 * references, picks the driver from `type` or `connection_string`, resolves
 * relative database paths against the storage root, and binds a redactor so
 * no driver error ever shows a credential.
 */
import * as path from 'node:path';
import type { ClientConfig } from 'pg';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { ENV_REFERENCE, RUNNABLE_DATASOURCE_TYPES, unsetVariables } from '../schema/decode-datasource';
import type { DatasourceDef } from '../schema/types';
import { redactCredentials } from './credentials';
import type { DuckDbDriver } from './duckdb';
import type { Redactor } from './errors';
import type { MysqlDriver } from './mysql';
import { mysqlConfigFromFields, mysqlConfigFromUrl, type MysqlConfig } from './mysql-config';
import type { PostgresDriver, PostgresFlavour } from './postgres';
import type { AthenaDriver } from './athena';
import { athenaConfigFromFields, athenaConfigFromUrl, type AthenaConfig } from './athena-config';
import type { ClickHouseDriver } from './clickhouse';
import { clickHouseConfigFromFields, clickHouseConfigFromUrl, type ClickHouseConfig } from './clickhouse-config';
import type { DatabricksDriver } from './databricks';
import type { BigQueryDriver } from './bigquery';
import { bigQueryConfigFromFields, bigQueryConfigFromUrl, type BigQueryConfig } from './bigquery-config';
import { databricksConfigFromFields, databricksConfigFromUrl, type DatabricksConfig } from './databricks-config';
import type { SnowflakeDriver } from './snowflake';
import {
  snowflakeSettingsFromFields,
  snowflakeSettingsFromUrl,
  type SnowflakeSettings,
  type SnowflakeSources,
} from './snowflake-config';
import type { TrinoDriver } from './trino';
import { trinoConfigFromFields, trinoConfigFromUrl, type TrinoConfig } from './trino-config';
import type { SqlServerDriver } from './sqlserver';
import { sqlServerConfigFromFields, sqlServerConfigFromUrl, type SqlServerConfig } from './sqlserver-config';
import { SqliteDriver } from './sqlite';
import type { Driver } from './types';

export { redactCredentials } from './credentials';

export interface OpenDriverOptions {
  /** The storage root: relative database paths resolve against it. */
  baseDir: string;
  /** Where `${ENV_VAR}` references are looked up; process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

type Target =
  | { kind: 'sqlite' | 'duckdb'; file: string }
  | { kind: 'postgres'; config: ClientConfig; schema: string | undefined; flavour: PostgresFlavour }
  | { kind: 'mysql'; config: MysqlConfig }
  | { kind: 'sqlserver'; config: SqlServerConfig }
  | { kind: 'trino'; config: TrinoConfig }
  | { kind: 'clickhouse'; config: ClickHouseConfig }
  | { kind: 'databricks'; config: DatabricksConfig }
  | { kind: 'snowflake'; settings: SnowflakeSettings }
  | { kind: 'bigquery'; config: BigQueryConfig }
  | { kind: 'athena'; config: AthenaConfig };

function invalid(message: string): SlayerError {
  return new SlayerError(ErrorCode.InvalidInput, message);
}

/**
 * Replaces every `${NAME}` in every text field with the variable's value.
 * Fails naming every variable that is not set, and the field that uses it.
 */
export function resolveEnvReferences(ds: DatasourceDef, env: NodeJS.ProcessEnv = process.env): DatasourceDef {
  const missing = unsetVariables(ds, env).map(({ field, name }) => `${name} (in '${field}')`);
  if (missing.length > 0) {
    const noun = missing.length === 1 ? 'variable is' : 'variables are';
    throw invalid(`Datasource '${ds.name}': environment ${noun} not set: ${missing.join(', ')}.`);
  }
  const resolved: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(ds)) {
    resolved[field] =
      typeof value === 'string' ? value.replace(ENV_REFERENCE, (_reference, name: string) => env[name] ?? '') : value;
  }
  return resolved as unknown as DatasourceDef; // same fields as ds, only text values replaced
}

function unsupported(ds: DatasourceDef, type: string): SlayerError {
  return new SlayerError(
    ErrorCode.UnsupportedDatasource,
    `Datasource '${ds.name}' has type '${type}', which SLayer Studio cannot query; ` +
      `supported types: ${RUNNABLE_DATASOURCE_TYPES.join(', ')}.`,
  );
}

function databaseFile(database: string, baseDir: string): string {
  return database === '' || database === ':memory:' ? ':memory:' : path.resolve(baseDir, database);
}

/** The scheme of `scheme://...` (lowercase, without SQLAlchemy's `+driver`), or undefined. */
function schemeOf(connectionString: string): string | undefined {
  return /^([a-z][a-z0-9.-]*)(?:\+[a-z0-9_.-]+)?:\/\//i.exec(connectionString)?.[1]?.toLowerCase();
}

/** `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (memory): SQLAlchemy's forms. */
function fileFromUrl(ds: DatasourceDef, url: string, kind: 'sqlite' | 'duckdb', baseDir: string): Target {
  const rest = url.slice(url.indexOf('://') + 3).replace(/[?#].*$/, '');
  if (rest !== '' && !rest.startsWith('/')) {
    throw invalid(`Datasource '${ds.name}': a ${kind} connection_string is ${kind}:///path/to/file (three slashes).`);
  }
  return { kind, file: databaseFile(rest.slice(1), baseDir) };
}

function targetFromUrl(ds: DatasourceDef, url: string, baseDir: string): Target {
  const scheme = schemeOf(url);
  if (scheme === undefined) {
    throw invalid(`Datasource '${ds.name}': connection_string must look like scheme://..., e.g. postgresql://host/db.`);
  }
  if (scheme === 'sqlite' || scheme === 'duckdb') return fileFromUrl(ds, url, scheme, baseDir);
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const connectionString = url.replace(/^[^:]+:\/\//, 'postgresql://');
    return { kind: 'postgres', config: { connectionString }, schema: ds.schema_name, flavour: 'postgres' };
  }
  if (scheme === 'redshift') return redshiftFromUrl(ds, url);
  if (scheme === 'trino' || scheme === 'presto') return { kind: 'trino', config: trinoConfigFromUrl(ds, url) };
  if (scheme === 'databricks') return { kind: 'databricks', config: databricksConfigFromUrl(ds, url) };
  if (scheme === 'snowflake') return { kind: 'snowflake', settings: snowflakeSettingsFromUrl(ds, url) };
  if (scheme === 'bigquery') return { kind: 'bigquery', config: bigQueryConfigFromUrl(ds, url, baseDir) };
  if (scheme === 'awsathena') return { kind: 'athena', config: athenaConfigFromUrl(ds, url) };
  if (scheme === 'clickhouse' || scheme === 'clickhouses' || scheme === 'clickhousedb') {
    return { kind: 'clickhouse', config: clickHouseConfigFromUrl(ds, url) };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') return { kind: 'mysql', config: mysqlConfigFromUrl(ds, url) };
  if (scheme === 'mssql' || scheme === 'sqlserver') {
    return { kind: 'sqlserver', config: sqlServerConfigFromUrl(ds, url) };
  }
  throw unsupported(ds, scheme);
}

function parsePort(ds: DatasourceDef, port: string | number): number {
  const value = typeof port === 'number' ? port : Number(port.trim());
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw invalid(`Datasource '${ds.name}': port must be a number from 1 to 65535, got '${port}'.`);
  }
  return value;
}

/** `db:5432` or `[::1]:5432` -> host and port; a bare IPv6 address (`::1`) has no port in it. */
function splitHostPort(host: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracketed?.[1] !== undefined)
    return bracketed[2] === undefined ? { host: bracketed[1] } : { host: bracketed[1], port: bracketed[2] };
  const single = /^([^:]+):(\d+)$/.exec(host);
  if (single?.[1] !== undefined && single[2] !== undefined) return { host: single[1], port: single[2] };
  return { host };
}

/** The server's host and port; a port may sit in the host field (`db:5432`), as SLayer allows. */
function hostAndPort(ds: DatasourceDef): { host: string; port?: number } {
  const split = splitHostPort(ds.host ?? 'localhost');
  if (split.port !== undefined && ds.port !== undefined) {
    throw invalid(`Datasource '${ds.name}': the port is set both in 'host' and in 'port'; keep one.`);
  }
  const port = split.port ?? ds.port;
  return port === undefined ? { host: split.host } : { host: split.host, port: parsePort(ds, port) };
}

/** Redshift's port; its clusters are reached over TLS, verified, unless a connection_string's sslmode says otherwise. */
const REDSHIFT_PORT = 5439;

/**
 * `redshift://` and SQLAlchemy's `redshift+redshift_connector://` or
 * `redshift+psycopg2://`: the Postgres wire protocol, on port 5439 when the
 * URL names none. TLS follows the URL's `sslmode`, as for Postgres.
 */
function redshiftFromUrl(ds: DatasourceDef, url: string): Target {
  const parsed = new URL(url.replace(/^[^:]+:\/\//, 'postgresql://'));
  if (parsed.port === '') parsed.port = String(REDSHIFT_PORT);
  return {
    kind: 'postgres',
    config: { connectionString: parsed.toString() },
    schema: ds.schema_name,
    flavour: 'redshift',
  };
}

/** host, port, database, username, password. */
function postgresConfig(ds: DatasourceDef): ClientConfig {
  const { host, port } = hostAndPort(ds);
  const config: ClientConfig = { host };
  if (port !== undefined) config.port = port;
  if (ds.database) config.database = ds.database;
  if (ds.username) config.user = ds.username;
  if (ds.password) config.password = ds.password;
  return config;
}

function targetFromFields(ds: DatasourceDef, baseDir: string): Target {
  const type = ds.type?.trim().toLowerCase();
  if (!type) {
    throw invalid(
      `Datasource '${ds.name}' has no type; set type (${RUNNABLE_DATASOURCE_TYPES.join(', ')}) or a connection_string.`,
    );
  }
  if (type === 'sqlite' || type === 'duckdb') {
    if (!ds.database) throw invalid(`Datasource '${ds.name}' (${type}) needs 'database': the path of the file.`);
    return { kind: type, file: databaseFile(ds.database, baseDir) };
  }
  if (type === 'postgres' || type === 'postgresql') {
    return { kind: 'postgres', config: postgresConfig(ds), schema: ds.schema_name, flavour: 'postgres' };
  }
  if (type === 'redshift') {
    const config: ClientConfig = { port: REDSHIFT_PORT, database: 'dev', ssl: true, ...postgresConfig(ds) };
    return { kind: 'postgres', config, schema: ds.schema_name, flavour: 'redshift' };
  }
  if (type === 'databricks') return { kind: 'databricks', config: databricksConfigFromFields(ds) };
  if (type === 'snowflake') return { kind: 'snowflake', settings: snowflakeSettingsFromFields(ds) };
  if (type === 'bigquery') return { kind: 'bigquery', config: bigQueryConfigFromFields(ds, baseDir) };
  if (type === 'athena') return { kind: 'athena', config: athenaConfigFromFields(ds) };
  if (type === 'clickhouse') return { kind: 'clickhouse', config: clickHouseConfigFromFields(ds, hostAndPort(ds)) };
  if (type === 'trino' || type === 'presto') {
    return { kind: 'trino', config: trinoConfigFromFields(ds, hostAndPort(ds)) };
  }
  if (type === 'mysql' || type === 'mariadb')
    return { kind: 'mysql', config: mysqlConfigFromFields(ds, hostAndPort(ds)) };
  if (type === 'mssql' || type === 'sqlserver' || type === 'tsql') {
    return { kind: 'sqlserver', config: sqlServerConfigFromFields(ds, hostAndPort(ds)) };
  }
  throw unsupported(ds, ds.type ?? type);
}

function targetOf(ds: DatasourceDef, baseDir: string): Target {
  // The connection string says where to connect; SLayer lets it win over the other fields too.
  return ds.connection_string ? targetFromUrl(ds, ds.connection_string, baseDir) : targetFromFields(ds, baseDir);
}

/**
 * A driver for the datasource. Opening touches no database: files and servers
 * are only reached by `run`, so a bad path or host surfaces as that run's
 * ConnectionFailed error. Errors here are InvalidInput (bad or missing fields,
 * unset variables) or UnsupportedDatasource.
 */
export function openDriver(ds: DatasourceDef, options: OpenDriverOptions): Driver {
  const resolved = resolveEnvReferences(ds, options.env);
  const redact: Redactor = (text) => redactCredentials(text, resolved);
  try {
    const target = targetOf(resolved, options.baseDir);
    traceIo('driver', `${target.kind} ${ds.name}`);
    if (target.kind === 'postgres') {
      const { config, schema, flavour } = target;
      return lazyDriver(flavour, () => newPostgres(config, schema, redact, flavour));
    }
    if (target.kind === 'mysql') {
      const { config } = target;
      return lazyDriver('mysql', () => newMysql(config, redact));
    }
    if (target.kind === 'sqlserver') {
      const { config } = target;
      return lazyDriver('sqlserver', () => newSqlServer(config, redact));
    }
    if (target.kind === 'trino') {
      const { config } = target;
      return lazyDriver('trino', () => newTrino(config, redact));
    }
    if (target.kind === 'databricks') {
      const { config } = target;
      return lazyDriver('databricks', () => newDatabricks(config, redact));
    }
    if (target.kind === 'snowflake') {
      const { settings } = target;
      const sources = { baseDir: options.baseDir, ...(options.env ? { env: options.env } : {}) };
      return lazyDriver('snowflake', () => newSnowflake(settings, redact, sources));
    }
    if (target.kind === 'bigquery') {
      const { config } = target;
      return lazyDriver('bigquery', () => newBigQuery(config, redact, options.env));
    }
    if (target.kind === 'athena') {
      const { config } = target;
      // Athena's SQL is Trino's: the driver reports Trino's dialect, as Presto's does.
      return lazyDriver('trino', () => newAthena(config, redact, options.env));
    }
    if (target.kind === 'clickhouse') {
      const { config } = target;
      return lazyDriver('clickhouse', () => newClickHouse(config, redact));
    }
    if (target.kind === 'sqlite') return new SqliteDriver(target.file, redact);
    return lazyDriver('duckdb', () => newDuckDb(ds.name, target.file, redact));
  } catch (error) {
    if (error instanceof SlayerError) throw new SlayerError(error.code, redact(error.message));
    throw error;
  }
}

/**
 * DuckDB's native library and the Postgres and MySQL clients are loaded when a
 * datasource of theirs is first queried, not when the server starts: most
 * workspaces use one kind of database, and start-up pays for none.
 */
function lazyDriver(dialect: Driver['dialect'], load: () => Promise<Driver>): Driver {
  let loaded: Promise<Driver> | undefined;
  const driver = (): Promise<Driver> => (loaded ??= load());
  return {
    dialect,
    run: async (sql, options) => (await driver()).run(sql, options),
    close: async () => {
      // A driver that never loaded has nothing to close; its run already reported why.
      const started = await loaded?.catch(() => undefined);
      await started?.close();
    },
  };
}

async function newDuckDb(datasource: string, file: string, redact: Redactor): Promise<Driver> {
  let module: { DuckDbDriver: typeof DuckDbDriver };
  try {
    module = await import('./duckdb.js');
  } catch (error) {
    throw duckDbLoadError(error, datasource) ?? error;
  }
  return new module.DuckDbDriver(file, redact);
}

/**
 * The platforms with a platform build (a VSIX holding their DuckDB binding), named as VS Code targets;
 * scripts/package.mjs builds one for each of the same names.
 */
export const DUCKDB_TARGETS: readonly string[] = [
  'linux-x64',
  'linux-arm64',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64',
];

/**
 * The error for a DuckDB that cannot load because its native binding is not installed: the universal VSIX ships
 * none, and a platform VSIX only its own. Undefined for any other failure. The binding DuckDB's loader asked
 * for names the platform it needs (`linux-x64-musl` on Alpine); `platform` and `arch` stand in when it names none.
 */
export function duckDbLoadError(
  error: unknown,
  datasource: string,
  platform: string = process.platform,
  arch: string = process.arch,
): SlayerError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const missing =
    (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND'
      ? /^Cannot find module '(@duckdb\/[^']+)'/.exec(message)?.[1]
      : undefined;
  // DuckDB's loader says this for a platform it has no binding package for at all.
  const unknownPlatform = message.startsWith('Error loading duckdb native binding');
  if (missing === undefined && !unknownPlatform) return undefined;
  const needed = /^@duckdb\/node-bindings-([^/]+)\//.exec(missing ?? '')?.[1] ?? `${platform}-${arch}`;
  const advice = DUCKDB_TARGETS.includes(needed)
    ? `DuckDB needs the platform build of SLayer Studio, and this build has no DuckDB for ${needed}: ` +
      `install slayer-studio-${needed}.vsix (or the Marketplace's build for your platform).`
    : `SLayer Studio has no DuckDB build for ${needed} (there is one for ${DUCKDB_TARGETS.join(', ')}).`;
  return new SlayerError(
    ErrorCode.UnsupportedDatasource,
    `Datasource '${datasource}': ${advice} SQLite and Postgres datasources work in every build.`,
  );
}

async function newMysql(config: MysqlConfig, redact: Redactor): Promise<Driver> {
  const module: { MysqlDriver: typeof MysqlDriver } = await import('./mysql.js');
  return new module.MysqlDriver(config, redact);
}

async function newSqlServer(config: SqlServerConfig, redact: Redactor): Promise<Driver> {
  const module: { SqlServerDriver: typeof SqlServerDriver } = await import('./sqlserver.js');
  return new module.SqlServerDriver(config, redact);
}

async function newSnowflake(settings: SnowflakeSettings, redact: Redactor, sources: SnowflakeSources): Promise<Driver> {
  const module: { SnowflakeDriver: typeof SnowflakeDriver } = await import('./snowflake.js');
  return new module.SnowflakeDriver(settings, redact, sources);
}

async function newDatabricks(config: DatabricksConfig, redact: Redactor): Promise<Driver> {
  const module: { DatabricksDriver: typeof DatabricksDriver } = await import('./databricks.js');
  return new module.DatabricksDriver(config, redact);
}

/** GOOGLE_APPLICATION_CREDENTIALS and GOOGLE_OAUTH_ACCESS_TOKEN are read from `env` when no key is configured. */
async function newBigQuery(config: BigQueryConfig, redact: Redactor, env?: NodeJS.ProcessEnv): Promise<Driver> {
  const module: { BigQueryDriver: typeof BigQueryDriver } = await import('./bigquery.js');
  return new module.BigQueryDriver(config, redact, env ? { env } : {});
}

/** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION are read from `env` when the URL has none. */
async function newAthena(config: AthenaConfig, redact: Redactor, env?: NodeJS.ProcessEnv): Promise<Driver> {
  const module: { AthenaDriver: typeof AthenaDriver } = await import('./athena.js');
  return new module.AthenaDriver(config, redact, env ? { env } : {});
}

async function newClickHouse(config: ClickHouseConfig, redact: Redactor): Promise<Driver> {
  const module: { ClickHouseDriver: typeof ClickHouseDriver } = await import('./clickhouse.js');
  return new module.ClickHouseDriver(config, redact);
}

async function newTrino(config: TrinoConfig, redact: Redactor): Promise<Driver> {
  const module: { TrinoDriver: typeof TrinoDriver } = await import('./trino.js');
  return new module.TrinoDriver(config, redact);
}

async function newPostgres(
  config: ClientConfig,
  schema: string | undefined,
  redact: Redactor,
  flavour: PostgresFlavour,
): Promise<Driver> {
  const module: { PostgresDriver: typeof PostgresDriver } = await import('./postgres.js');
  return new module.PostgresDriver(config, schema, redact, flavour);
}

/**
 * What says a datasource's data may have changed, for caches of live values
 * (`identity`): a database file's path, size and modification time, or, for
 * a server, which `ttlMs` window it is. `missingFile` is a SQLite or DuckDB
 * file that does not exist: there is no data to read, and no reason to start
 * a driver to find that out.
 */
export function dataState(
  ds: DatasourceDef,
  options: OpenDriverOptions & { ttlMs: number },
): { identity: string; missingFile?: string } {
  let target: Target;
  try {
    target = targetOf(resolveEnvReferences(ds, options.env), options.baseDir);
  } catch {
    return { identity: `invalid:${ds.name}` };
  }
  if (target.kind !== 'sqlite' && target.kind !== 'duckdb') {
    return { identity: `server:${ds.name}:${Math.floor(Date.now() / Math.max(1, options.ttlMs))}` };
  }
  try {
    const stat = statSync(target.file);
    return { identity: `${target.file}:${stat.size}:${stat.mtimeMs}` };
  } catch {
    const identity = `${target.file}:missing`;
    return target.file === ':memory:' ? { identity } : { identity, missingFile: target.file };
  }
}
