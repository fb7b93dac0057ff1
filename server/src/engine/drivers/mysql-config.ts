/**
 * A MySQL or MariaDB datasource as `mysql2` connection options: from the
 * fields SLayer documents (host, port, database, username, password) or from
 * a connection string in SQLAlchemy's forms (`mysql://`, `mysql+pymysql://`,
 * `mariadb+mariadbconnector://`, user and password percent-encoded).
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DatasourceDef } from '../schema/types';

export interface MysqlConfig {
  host: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

export function mysqlConfigFromFields(ds: DatasourceDef, server: { host: string; port?: number }): MysqlConfig {
  return {
    ...server,
    ...(ds.username ? { user: ds.username } : {}),
    ...(ds.password ? { password: ds.password } : {}),
    ...(ds.database ? { database: ds.database } : {}),
  };
}

export function mysqlConfigFromUrl(ds: DatasourceDef, url: string): MysqlConfig {
  let parsed: URL;
  try {
    // WHATWG URL parses host, port and credentials of any scheme written as http's.
    parsed = new URL(url.replace(/^[^:]+:\/\//, 'http://'));
  } catch {
    throw new SlayerError(
      ErrorCode.InvalidInput,
      `Datasource '${ds.name}': connection_string must look like mysql://user:password@host:3306/database.`,
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    ...(parsed.port ? { port: Number(parsed.port) } : {}),
    ...(parsed.username ? { user: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(database ? { database } : {}),
  };
}
