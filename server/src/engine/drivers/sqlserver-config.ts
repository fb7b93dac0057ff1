/**
 * A SQL Server datasource as the settings the SQL Server driver needs: from
 * the fields SLayer documents (host, port, database, username, password) or
 * from a connection string in SQLAlchemy's forms, `mssql://`,
 * `mssql+pyodbc://` and `mssql+pymssql://` (or `sqlserver://`):
 *
 *   mssql+pyodbc://user:password@host:1433/database?driver=ODBC+Driver+18+for+SQL+Server&TrustServerCertificate=yes
 *
 * The connection is encrypted, and the server's certificate verified, unless
 * the connection string says otherwise (`Encrypt=no`,
 * `TrustServerCertificate=yes`). SLayer's own connection strings built from
 * the fields trust any certificate; this one does not, because its docs call
 * that unsafe outside a local server: a server with a self-signed certificate
 * needs a connection_string with `TrustServerCertificate=yes`.
 *
 * Only SQL Server logins are supported. Azure AD (Entra ID) and Windows
 * sign-in are refused here with UnsupportedDatasource, before any connection.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DatasourceDef } from '../schema/types';
import { invalidSetting } from './http-config';

export interface SqlServerConfig {
  host: string;
  port: number;
  database?: string;
  user?: string;
  password?: string;
  /** true (TLS after PRELOGIN), false (none), or 'strict' (TDS 8: TLS from the first byte). */
  encrypt: boolean | 'strict';
  trustServerCertificate: boolean;
}

export const SQLSERVER_PORT = 1433;
const URL_SHAPE = 'mssql+pyodbc://user:password@host:1433/database';

/** ODBC's yes and no, as SQLAlchemy passes them on: `yes`/`no`, `true`/`false`, `1`/`0`, in any case. */
const YES = new Set(['yes', 'true', '1']);
const NO = new Set(['no', 'false', '0']);

function yesNo(ds: DatasourceDef, key: string, value: string): boolean {
  const lower = value.trim().toLowerCase();
  if (YES.has(lower)) return true;
  if (NO.has(lower)) return false;
  throw invalidSetting(`Datasource '${ds.name}': ${key} must be yes or no, got '${value}'.`);
}

/** ODBC Driver 18's Encrypt: yes/mandatory, no/optional, or strict. */
function encryptOf(ds: DatasourceDef, value: string): boolean | 'strict' {
  const lower = value.trim().toLowerCase();
  if (lower === 'strict') return 'strict';
  if (lower === 'mandatory') return true;
  if (lower === 'optional') return false;
  return yesNo(ds, 'Encrypt', value);
}

function unsupportedSignIn(ds: DatasourceDef, what: string): SlayerError {
  return new SlayerError(
    ErrorCode.UnsupportedDatasource,
    `Datasource '${ds.name}': ${what} is not available in SLayer Studio; ` +
      'connect with a SQL Server login (username and password).',
  );
}

/** The query options of a connection string, by lower-case name; the last of a repeated one wins. */
function queryOptions(parsed: URL): Map<string, string> {
  const options = new Map<string, string>();
  for (const [key, value] of parsed.searchParams) options.set(key.toLowerCase(), value);
  return options;
}

/** Refuses the sign-in methods tedious would need Azure or Windows libraries for. */
function checkSignIn(ds: DatasourceDef, options: Map<string, string>): void {
  const authentication = options.get('authentication')?.trim();
  if (authentication && authentication.toLowerCase() !== 'sqlpassword') {
    throw unsupportedSignIn(ds, `Authentication=${authentication} (Azure AD / Entra ID sign-in)`);
  }
  const trusted = options.get('trusted_connection');
  if (trusted !== undefined && yesNo(ds, 'Trusted_Connection', trusted)) {
    throw unsupportedSignIn(ds, 'Trusted_Connection (Windows sign-in)');
  }
  if (options.has('odbc_connect')) {
    throw invalidSetting(
      `Datasource '${ds.name}': an odbc_connect connection string is not supported; ` +
        `write it as ${URL_SHAPE}?TrustServerCertificate=yes.`,
    );
  }
}

/** `host\instance` names a named instance, found through SQL Server Browser; SLayer Studio needs its port. */
function checkHost(ds: DatasourceDef, host: string): void {
  if (host.includes('\\')) {
    throw invalidSetting(
      `Datasource '${ds.name}': named instances ('${host}') are not supported; set the instance's host and port.`,
    );
  }
}

export function sqlServerConfigFromFields(ds: DatasourceDef, server: { host: string; port?: number }): SqlServerConfig {
  checkHost(ds, server.host);
  return {
    host: server.host,
    port: server.port ?? SQLSERVER_PORT,
    ...(ds.database ? { database: ds.database } : {}),
    ...(ds.username ? { user: ds.username } : {}),
    ...(ds.password ? { password: ds.password } : {}),
    encrypt: true,
    trustServerCertificate: false,
  };
}

export function sqlServerConfigFromUrl(ds: DatasourceDef, url: string): SqlServerConfig {
  // A URL parser reads `host\\instance` as a host and a path, so the instance is looked for in the raw text.
  const hostPart = /^[^:]+:\/\/(?:[^/?#]*@)?([^/?#]*)/.exec(url)?.[1] ?? '';
  checkHost(ds, hostPart.replace(/%5c/gi, '\\'));
  let parsed: URL;
  try {
    // WHATWG URL parses host, port and credentials of any scheme written as http's.
    parsed = new URL(url.replace(/^[^:]+:\/\//, 'http://'));
  } catch {
    throw invalidSetting(`Datasource '${ds.name}': connection_string must look like ${URL_SHAPE}.`);
  }
  const options = queryOptions(parsed);
  checkSignIn(ds, options);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const encrypt = options.get('encrypt');
  const trust = options.get('trustservercertificate');
  return {
    host,
    port: parsed.port ? Number(parsed.port) : SQLSERVER_PORT,
    ...(database ? { database } : {}),
    ...(parsed.username ? { user: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    encrypt: encrypt === undefined ? true : encryptOf(ds, encrypt),
    trustServerCertificate: trust === undefined ? false : yesNo(ds, 'TrustServerCertificate', trust),
  };
}
