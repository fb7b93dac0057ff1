import type { DialectName } from '../sql/dialect-kit';
import type { DatasourceDef } from './types';

/**
 * Each datasource type SLayer names (and each connection-string scheme that
 * stands for one), as the dialect its SQL is planned in. The planner picks a
 * dialect by it; the datasource checks ask it what an engine is.
 */
const DIALECT_OF_TYPE: Readonly<Record<string, DialectName>> = {
  sqlite: 'sqlite',
  duckdb: 'duckdb',
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  clickhouse: 'clickhouse',
  mssql: 'sqlserver',
  sqlserver: 'sqlserver',
  tsql: 'sqlserver',
  snowflake: 'snowflake',
  bigquery: 'bigquery',
  redshift: 'redshift',
  trino: 'trino',
  presto: 'trino',
  athena: 'trino',
  // A connection string's scheme: PyAthena's awsathena+rest:// (and +pandas, +arrow...).
  awsathena: 'trino',
  databricks: 'databricks',
  spark: 'databricks',
};

/** Every type and scheme that has a dialect, for messages. */
export const TYPES_WITH_A_DIALECT: readonly string[] = Object.keys(DIALECT_OF_TYPE);

/** The dialect of a datasource type or scheme, in any case; undefined for one no dialect serves. */
export function dialectOfType(type: string): DialectName | undefined {
  const key = type.toLowerCase();
  return Object.hasOwn(DIALECT_OF_TYPE, key) ? DIALECT_OF_TYPE[key] : undefined;
}

/** The type a datasource is planned by: its `type`, else its connection string's scheme; '' when it has neither. */
export function plannedTypeOf(datasource: DatasourceDef): string {
  return datasource.type ?? schemeOf(datasource.connection_string) ?? '';
}

/** The dialect a datasource's queries are planned in; undefined for a type no dialect serves. */
export function dialectOfDatasource(datasource: DatasourceDef): DialectName | undefined {
  return dialectOfType(plannedTypeOf(datasource));
}

function schemeOf(connection: string | undefined): string | undefined {
  return connection ? /^([a-z0-9]+)(?:\+\w+)?:/i.exec(connection)?.[1] : undefined;
}
