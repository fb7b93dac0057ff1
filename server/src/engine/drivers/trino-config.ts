/**
 * A Trino (or PrestoDB) datasource as the settings the Trino driver needs:
 * from SLayer's fields (host, port, username, password, database = catalog,
 * schema_name = schema) or from a connection string in SQLAlchemy's form,
 * `trino://user[:password]@host:port/catalog[/schema]` (also `presto://`).
 *
 * A password is sent as HTTP Basic auth, so it is only allowed over https:
 * Trino's own clients (JDBC, trino-python-client) refuse it over plain http
 * too. A connection string can lift that with `allow_password_over_http=true`
 * (a local test cluster); the fields have no such switch, and reach https by
 * port 443 or by writing the scheme into host (`https://trino.example.com:8443`).
 */
import type { DatasourceDef } from '../schema/types';
import { invalidSetting, isTrue, parseConnectionUrl, serverUrl } from './http-config';

export interface TrinoConfig {
  /** `http(s)://host:port`, never with credentials in it. */
  server: string;
  user: string;
  password?: string;
  catalog?: string;
  schema?: string;
  /** The protocol headers' prefix: PrestoDB (`presto://`) reads only `X-Presto-*`, Trino `X-Trino-*`. */
  headerPrefix: 'X-Trino-' | 'X-Presto-';
  /** Lets a password travel over plain http; refused otherwise. */
  allowPasswordOverHttp?: boolean;
  /** The limit on each HTTP call; the driver's default when absent. */
  requestTimeoutMs?: number;
}

const DEFAULT_HTTP_PORT = 8080;
const HTTPS_PORT = 443;
const URL_SHAPE = 'trino://user[:password]@host:8080/catalog[/schema]';

/** Why this config must not be used, or undefined: a password in clear text over http. */
export function passwordTransportProblem(config: TrinoConfig): string | undefined {
  if (config.password === undefined || config.server.startsWith('https:') || config.allowPasswordOverHttp) {
    return undefined;
  }
  return (
    'a password is only sent to Trino over https; use https (port 443, ssl=true, or https:// in host), ' +
    'or allow_password_over_http=true in the connection string for a local test server'
  );
}

function checked(ds: DatasourceDef, config: TrinoConfig): TrinoConfig {
  const problem = passwordTransportProblem(config);
  if (problem) throw invalidSetting(`Datasource '${ds.name}': ${problem}.`);
  return config;
}

/** `/catalog/schema` -> its two parts; more parts than that is a mistake worth naming. */
function catalogAndSchema(ds: DatasourceDef, pathname: string): { catalog?: string; schema?: string } {
  const parts = pathname.split('/').filter((part) => part !== '');
  if (parts.length > 2) {
    throw invalidSetting(
      `Datasource '${ds.name}': connection_string has a path past catalog/schema; use ${URL_SHAPE}.`,
    );
  }
  const [catalog, schema] = parts.map(decodeURIComponent);
  return { ...(catalog ? { catalog } : {}), ...(schema ? { schema } : {}) };
}

/** https when asked for (`ssl=true`, SQLAlchemy-Trino's `http_scheme=https`) or on port 443. */
function wantsHttps(parsed: URL): boolean {
  const params = parsed.searchParams;
  if (params.has('ssl')) return isTrue(params.get('ssl'));
  const scheme = params.get('http_scheme');
  if (scheme !== null) return scheme.toLowerCase() === 'https';
  return parsed.port === String(HTTPS_PORT);
}

export function trinoConfigFromUrl(ds: DatasourceDef, url: string): TrinoConfig {
  const parsed = parseConnectionUrl(ds, url, URL_SHAPE);
  const user = decodeURIComponent(parsed.username);
  if (!user) {
    throw invalidSetting(
      `Datasource '${ds.name}': connection_string needs a user (${URL_SHAPE}); Trino runs every query as a user.`,
    );
  }
  const password = decodeURIComponent(parsed.password);
  const port = parsed.port ? Number(parsed.port) : undefined;
  return checked(ds, {
    server: serverUrl(wantsHttps(parsed), parsed.hostname || 'localhost', port, {
      http: DEFAULT_HTTP_PORT,
      https: HTTPS_PORT,
    }),
    user,
    ...(password ? { password } : {}),
    ...catalogAndSchema(ds, parsed.pathname),
    headerPrefix: parsed.protocol.toLowerCase().startsWith('presto') ? 'X-Presto-' : 'X-Trino-',
    ...(isTrue(parsed.searchParams.get('allow_password_over_http')) ? { allowPasswordOverHttp: true } : {}),
  });
}

/** `https://name:8443` in host: the scheme, and the port when one is written there. */
function schemeInHost(host: string): { https?: boolean; host: string; port?: number } {
  const prefixed = /^(https?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(host);
  if (!prefixed?.[1] || !prefixed[2]) return { host };
  const https = prefixed[1].toLowerCase() === 'https';
  return prefixed[3] === undefined
    ? { https, host: prefixed[2] }
    : { https, host: prefixed[2], port: Number(prefixed[3]) };
}

/**
 * `server` is the host and port connect.ts already split and checked (a port
 * may sit in host, as SLayer allows); host may also start with `https://`.
 */
export function trinoConfigFromFields(ds: DatasourceDef, server: { host: string; port?: number }): TrinoConfig {
  if (!ds.username) {
    throw invalidSetting(`Datasource '${ds.name}' (trino) needs 'username': Trino runs every query as a user.`);
  }
  const inHost = schemeInHost(server.host);
  if (inHost.port !== undefined && server.port !== undefined) {
    throw invalidSetting(`Datasource '${ds.name}': the port is set both in 'host' and in 'port'; keep one.`);
  }
  const port = inHost.port ?? server.port;
  return checked(ds, {
    server: serverUrl(inHost.https ?? port === HTTPS_PORT, inHost.host, port, {
      http: DEFAULT_HTTP_PORT,
      https: HTTPS_PORT,
    }),
    user: ds.username,
    ...(ds.password ? { password: ds.password } : {}),
    ...(ds.database ? { catalog: ds.database } : {}),
    ...(ds.schema_name ? { schema: ds.schema_name } : {}),
    headerPrefix: ds.type?.trim().toLowerCase() === 'presto' ? 'X-Presto-' : 'X-Trino-',
  });
}
