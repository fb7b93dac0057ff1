import { isScalar } from './yaml-kinds';
import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { int, str, type DecodeContext, type Decoder, type Path } from './decode';
import { named } from './decode-model';
import { dataSourceNameProblem } from './names';
import type { DatasourceDef } from './types';
import { dialectOfType } from './datasource-types';
import type { DialectName } from '../sql/dialect-kit';

export const DATASOURCE_FIELDS = new Set([
  'version',
  'name',
  'type',
  'host',
  'port',
  'database',
  'username',
  'password',
  'connection_string',
  'schema_name',
  'postgres_schema',
  'description',
  'connection_name',
  'warehouse',
  'role',
  'credentials_json',
]);

/** The `type` values (and connection-string schemes) this engine can run queries on. */
export const RUNNABLE_DATASOURCE_TYPES = [
  'sqlite',
  'duckdb',
  'postgres',
  'postgresql',
  'mysql',
  'mariadb',
  'redshift',
  'trino',
  'presto',
  'clickhouse',
  'databricks',
  'bigquery',
  'snowflake',
  'mssql',
  'sqlserver',
  'tsql',
  'athena',
] as const;

/** Types whose SQL this engine plans (dry run prints it) but has no driver for yet. */
const PLANNED_ONLY_TYPES: readonly string[] = ['spark'];

/** Types SLayer ships a dialect for; others may still work through SQLAlchemy, so they only warn. */
export const KNOWN_DATASOURCE_TYPES: ReadonlySet<string> = new Set([
  ...RUNNABLE_DATASOURCE_TYPES,
  ...PLANNED_ONLY_TYPES,
  'oracle',
]);

/** A port is a number, or an `${ENV_VAR}` reference resolved when connecting. */
const portDecoder: Decoder<number | string> = (node, ctx, path) => {
  if (isScalar(node) && typeof node.value === 'string' && /\$\{\w+\}/.test(node.value)) return node.value;
  return int(node, ctx, path);
};

const POSTGRES_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Whether this engine queries the type. SLayer reaches `spark` through
 * Databricks' connector, so a Spark datasource whose connection string is a
 * Databricks one runs on the Databricks driver; any other Spark does not.
 */
function runsHere(type: string, connectionString: unknown): boolean {
  const lower = type.toLowerCase();
  if ((RUNNABLE_DATASOURCE_TYPES as readonly string[]).includes(lower)) return true;
  const url = isScalar(connectionString) ? connectionString.value : undefined;
  return lower === 'spark' && typeof url === 'string' && /^databricks:\/\//i.test(url);
}

export const decodeDatasource: Decoder<DatasourceDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'a datasource');
  if (!map) return undefined;
  const f = ctx.fields(map, path, DATASOURCE_FIELDS, {
    what: 'datasource',
    unknown: 'warn',
    aliases: { user: 'username' },
  });
  const type = f.optional('type', str);
  const runnable = RUNNABLE_DATASOURCE_TYPES.join(', ');
  if (type !== undefined && !KNOWN_DATASOURCE_TYPES.has(type)) {
    ctx.sink.warning(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'type']),
      `Datasource type '${type}' is not one SLayer Studio can run (${runnable}); SLayer may still support it.`,
    );
  } else if (type !== undefined && !runsHere(type, f.node('connection_string'))) {
    // SLayer runs it, this engine does not yet: without a word here, hovers would just stay empty.
    ctx.sink.warning(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'type']),
      `SLayer Studio cannot run queries on '${type}' yet (it runs ${runnable}): ` +
        'models on this datasource are checked, but show no data and cannot be run here.' +
        (PLANNED_ONLY_TYPES.includes(type.toLowerCase())
          ? ' Dry run (slayer-ls query --dry-run) shows the SQL it would send.'
          : ''),
    );
  }
  const postgresSchema = f.optional('postgres_schema', str);
  if (postgresSchema !== undefined && !POSTGRES_IDENTIFIER.test(postgresSchema)) {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'postgres_schema']),
      `postgres_schema must be a lower-case Postgres identifier ([a-z_][a-z0-9_]*), got '${postgresSchema}'.`,
    );
  }
  const decoded: DatasourceDef = {
    version: f.optional('version', int) ?? 2,
    name:
      f.required(
        'name',
        named((n) => dataSourceNameProblem(n, "Datasource 'name'")),
      ) ?? '',
    type,
    host: f.optional('host', str),
    port: f.optional('port', portDecoder),
    database: f.optional('database', str),
    username: f.optional('username', str),
    password: f.optional('password', str),
    connection_string: f.optional('connection_string', str),
    schema_name: f.optional('schema_name', str),
    postgres_schema: postgresSchema,
    description: f.optional('description', str),
    connection_name: f.optional('connection_name', str),
    warehouse: f.optional('warehouse', str),
    role: f.optional('role', str),
    credentials_json: f.optional('credentials_json', str),
  };
  warnOnUnsetVariables(decoded, ctx, path);
  checkRequiredOptions(decoded, ctx, path);
  checkDriverCredentials(decoded, ctx, path);
  warnOnUnappliedSchema(decoded, ctx, path);
  return decoded;
};

const SCHEMA_IS_DATABASE = "a schema is a database there: set 'database' instead";
const FILE_SCHEMA = "a file's tables are read from its default schema, 'main'";

/** Where SLayer and this engine run queries without the datasource's schema_name, and what applies instead. */
const SCHEMA_NAME_NOT_APPLIED: Partial<Record<DialectName, string>> = {
  sqlserver: "SQL Server runs every query in the login's default schema",
  mysql: SCHEMA_IS_DATABASE,
  clickhouse: SCHEMA_IS_DATABASE,
  sqlite: FILE_SCHEMA,
  duckdb: FILE_SCHEMA,
};

/**
 * A schema_name the engine never applies would leave a user believing their
 * unqualified tables are read from it, when a table of the same name in the
 * default schema answers instead.
 */
function warnOnUnappliedSchema(ds: DatasourceDef, ctx: DecodeContext, path: Path): void {
  const dialect = ds.schema_name === undefined ? undefined : dialectOfType(ds.type ?? '');
  const instead = dialect && SCHEMA_NAME_NOT_APPLIED[dialect];
  if (instead === undefined) return;
  ctx.sink.warning(
    DiagnosticCode.IgnoredField,
    ctx.sources.best([...path, 'schema_name']),
    `schema_name is not applied to queries on ${ds.type} (nor by SLayer): ${instead}. ` +
      'To read a table from another schema, write it as schema.table in sql_table.',
  );
}

/**
 * What this engine's drivers need beyond SLayer's required fields, said on
 * the datasource rather than at the first query. Warnings where SLayer itself
 * can connect (a Snowflake password); an error where neither can (an Athena
 * result location).
 */
function checkDriverCredentials(ds: DatasourceDef, ctx: DecodeContext, path: Path): void {
  const type = ds.type?.toLowerCase();
  if (type === 'snowflake' && !ds.connection_string && !ds.connection_name) {
    ctx.sink.warning(
      DiagnosticCode.MissingCredential,
      ctx.sources.best([...path, ds.password === undefined ? 'type' : 'password']),
      "SLayer Studio queries Snowflake through its SQL API, which takes no password: give a 'connection_name' " +
        '(a connections.toml profile with private_key_file, or authenticator = "oauth" and a token), or a ' +
        'connection_string with private_key_file=…',
    );
  }
  if (
    type === 'athena' &&
    ds.connection_string &&
    !/[?&](?:s3_staging_dir|work_group)=[^&]/.test(ds.connection_string)
  ) {
    ctx.sink.error(
      DiagnosticCode.MissingField,
      ctx.sources.best([...path, 'connection_string']),
      'Athena writes every result to S3: the connection_string needs s3_staging_dir=s3://<bucket>/<path>/, ' +
        'or a work_group whose settings name an output location.',
    );
  }
  if (type === 'bigquery' && !hasBigQueryCredentials(ds)) {
    ctx.sink.warning(
      DiagnosticCode.MissingCredential,
      ctx.sources.best([...path, 'type']),
      "BigQuery needs credentials: set 'credentials_json' (a service-account key, or the path to one), or " +
        'GOOGLE_APPLICATION_CREDENTIALS where VS Code (or slayer-ls) is started.',
    );
  }
}

function hasBigQueryCredentials(ds: DatasourceDef): boolean {
  if (ds.credentials_json || /[?&]credentials_path=[^&]/.test(ds.connection_string ?? '')) return true;
  return ['GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_OAUTH_ACCESS_TOKEN'].some((name) => Boolean(process.env[name]));
}

type DatasourceField = keyof DatasourceDef;

/** One way to say where to connect: any of `fields` set is enough. */
interface RequiredOption {
  fields: readonly DatasourceField[];
  what: string;
}

/**
 * What a type cannot connect without (no default stands in), as SLayer's
 * connection code and the engines' clients require it. A connection_string
 * carries all of it.
 */
const REQUIRED_OPTIONS: Readonly<Record<string, readonly RequiredOption[]>> = {
  snowflake: [
    {
      fields: ['host', 'connection_name'],
      what: "'host' (the account identifier, e.g. xy12345.us-east-1) or 'connection_name'",
    },
    { fields: ['username', 'connection_name'], what: "'username' (or a 'connection_name' profile)" },
  ],
  bigquery: [{ fields: ['host'], what: "'host' (the Google Cloud project that runs the queries)" }],
  redshift: [{ fields: ['host'], what: "'host' (the cluster endpoint)" }],
  trino: [
    { fields: ['host'], what: "'host' (the coordinator)" },
    { fields: ['username'], what: "'username' (Trino names every query's user)" },
  ],
  presto: [
    { fields: ['host'], what: "'host' (the coordinator)" },
    { fields: ['username'], what: "'username' (Presto names every query's user)" },
  ],
  athena: [
    {
      fields: [],
      what: 'a connection_string (awsathena+rest://…@athena.<region>.amazonaws.com:443/<schema>?s3_staging_dir=s3://…)',
    },
  ],
  databricks: [{ fields: [], what: 'a connection_string (databricks://token:…@host?http_path=…)' }],
  spark: [{ fields: [], what: 'a connection_string' }],
};

/** A missing option is an error on `type`: the datasource cannot connect, in SLayer or here. */
function checkRequiredOptions(ds: DatasourceDef, ctx: DecodeContext, path: Path): void {
  if (ds.type === undefined || ds.connection_string) return;
  for (const option of REQUIRED_OPTIONS[ds.type.toLowerCase()] ?? []) {
    if (option.fields.some((field) => ds[field] !== undefined && ds[field] !== '')) continue;
    ctx.sink.error(
      DiagnosticCode.MissingField,
      ctx.sources.best([...path, 'type']),
      `A datasource of type '${ds.type}' needs ${option.what}${option.fields.length > 0 ? ', or a connection_string' : ''}.`,
    );
  }
}

/** `${NAME}` in a datasource's text field: resolved from the environment when connecting. */
export const ENV_REFERENCE = /\$\{(\w+)\}/g;

/** Every `${NAME}` of the datasource that `env` does not set, with the field that names it, in field order. */
export function unsetVariables(ds: DatasourceDef, env: NodeJS.ProcessEnv): { field: string; name: string }[] {
  const unset: { field: string; name: string }[] = [];
  for (const [field, value] of Object.entries(ds)) {
    if (typeof value !== 'string') continue;
    for (const [, name] of value.matchAll(ENV_REFERENCE)) {
      if (name !== undefined && env[name] === undefined) unset.push({ field, name });
    }
  }
  return unset;
}

/**
 * A `${NAME}` this process cannot resolve is named at its field: queries
 * from the editor would fail on it, and the failure would otherwise show
 * only when something runs. The value itself is never repeated.
 */
function warnOnUnsetVariables(ds: DatasourceDef, ctx: DecodeContext, path: Path): void {
  for (const { field, name } of unsetVariables(ds, process.env)) {
    ctx.sink.warning(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, field]),
      `Environment variable '${name}' is not set for SLayer Studio, so queries on datasource '${ds.name}' will fail: ` +
        'set it where VS Code (or slayer-ls) is started.',
    );
  }
}
