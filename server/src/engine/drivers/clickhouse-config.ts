/**
 * A ClickHouse datasource as the settings of the ClickHouse driver, which
 * speaks ClickHouse's HTTP interface: from SLayer's fields (host, port,
 * database, username, password) or from a connection string in the forms
 * SQLAlchemy's ClickHouse dialects and clickhouse-connect write:
 * `clickhouse://user:password@host:8123/database` (also `clickhouse+http://`,
 * `clickhousedb://`), https with `clickhouses://`, `clickhouse+https://`,
 * `?secure=true` or `?protocol=https`. The native TCP protocol
 * (`clickhouse+native://`, port 9000) is refused with the HTTP form to use
 * instead: guessing the HTTP port of a server named by its native port would
 * be wrong as often as right.
 *
 * Defaults are ClickHouse's own: port 8123 (8443 with TLS), database and user
 * `default`, no password.
 */
import type { DatasourceDef } from '../schema/types';
import { invalidSetting, isTrue, parseConnectionUrl, serverUrl } from './http-config';

export interface ClickHouseConfig {
  /** `http(s)://host:port`, never with credentials in it. */
  server: string;
  username: string;
  password?: string;
  database: string;
}

const HTTP_PORT = 8123;
const HTTPS_PORT = 8443;
const DEFAULT_DATABASE = 'default';
const DEFAULT_USER = 'default';
const URL_SHAPE = 'clickhouse://user:password@host:8123/database';
/** SQLAlchemy drivers that speak the native TCP protocol, which this driver does not. */
const NATIVE_DRIVERS = new Set(['native', 'asynch']);
/** Schemes for https; `+https` is clickhouse-sqlalchemy's spelling. */
const HTTPS_SCHEMES = /^(clickhouses|clickhouse\+https):$/i;

function refuseNative(ds: DatasourceDef, protocol: string): void {
  const driver = /\+([^:]+):$/.exec(protocol)?.[1]?.toLowerCase();
  if (driver === undefined || !NATIVE_DRIVERS.has(driver)) return;
  throw invalidSetting(
    `Datasource '${ds.name}': SLayer Studio reaches ClickHouse over its HTTP interface, not the native ` +
      `protocol of ${protocol}//; write ${URL_SHAPE} (port 8123, or 8443 with TLS).`,
  );
}

/** https when the scheme says so, or `secure=true` (clickhouse-connect) or `protocol=https` (clickhouse-sqlalchemy). */
function wantsHttps(parsed: URL): boolean {
  if (HTTPS_SCHEMES.test(parsed.protocol)) return true;
  const params = parsed.searchParams;
  if (params.has('secure')) return isTrue(params.get('secure'));
  return params.get('protocol')?.toLowerCase() === 'https';
}

/** `/database`; a longer path is a mistake worth naming. */
function databaseOf(ds: DatasourceDef, pathname: string): string {
  const parts = pathname.split('/').filter((part) => part !== '');
  if (parts.length > 1) {
    throw invalidSetting(`Datasource '${ds.name}': connection_string has a path past the database; use ${URL_SHAPE}.`);
  }
  return parts[0] === undefined ? DEFAULT_DATABASE : decodeURIComponent(parts[0]);
}

export function clickHouseConfigFromUrl(ds: DatasourceDef, url: string): ClickHouseConfig {
  const parsed = parseConnectionUrl(ds, url, URL_SHAPE);
  refuseNative(ds, parsed.protocol);
  const password = decodeURIComponent(parsed.password);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  return {
    server: serverUrl(wantsHttps(parsed), host, parsed.port ? Number(parsed.port) : undefined, {
      http: HTTP_PORT,
      https: HTTPS_PORT,
    }),
    username: decodeURIComponent(parsed.username) || DEFAULT_USER,
    ...(password ? { password } : {}),
    database: databaseOf(ds, parsed.pathname),
  };
}

/**
 * From the fields, with host and port as connect.ts splits them (`db:8123` in
 * host is allowed). https on port 8443, or when host is written with its
 * scheme (`https://ch.example.com`).
 */
export function clickHouseConfigFromFields(
  ds: DatasourceDef,
  server: { host: string; port?: number },
): ClickHouseConfig {
  const schemed = /^(https?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(server.host);
  const host = (schemed?.[2] ?? server.host).replace(/^\[(.*)\]$/, '$1');
  const port = server.port ?? (schemed?.[3] === undefined ? undefined : Number(schemed[3]));
  const https = schemed?.[1] === undefined ? port === HTTPS_PORT : schemed[1].toLowerCase() === 'https';
  return {
    server: serverUrl(https, host, port, { http: HTTP_PORT, https: HTTPS_PORT }),
    username: ds.username || DEFAULT_USER,
    ...(ds.password ? { password: ds.password } : {}),
    database: ds.database || DEFAULT_DATABASE,
  };
}
