/**
 * A Databricks datasource as the settings the Databricks driver needs, read
 * from a connection string in SLayer's (SQLAlchemy's databricks dialect) form:
 *
 *   databricks://token:<personal-access-token>@<host>[:443]?http_path=/sql/1.0/warehouses/<id>&catalog=<c>&schema=<s>
 *
 * The driver speaks the Statement Execution API, which only SQL warehouses
 * answer, so an http_path of an all-purpose cluster (`/sql/protocolv1/o/...`)
 * is refused here rather than failing later with a puzzling 404.
 *
 * The token is a bearer secret, so the server is always https. The one
 * exception, `insecure_http=true`, exists for the driver's tests against a
 * local stand-in (test/support/databricks-standin.ts), and is refused for any
 * host but this machine's: no real workspace answers plain http, and the
 * token would cross the network in clear.
 */
import type { DatasourceDef } from '../schema/types';
import { invalidSetting, isLoopbackHost, isTrue, parseConnectionUrl, serverUrl } from './http-config';

export interface DatabricksConfig {
  /** `https://host:port`, never with credentials in it. */
  server: string;
  /** The personal access token, sent as `Authorization: Bearer`. */
  token: string;
  /** The SQL warehouse's id: the last segment of http_path. */
  warehouseId: string;
  catalog?: string;
  schema?: string;
  /** The limit on each HTTP call; the driver's default when absent. */
  requestTimeoutMs?: number;
  /** The first pause between polls of a running statement; the driver's default when absent. */
  pollIntervalMs?: number;
}

const HTTPS_PORT = 443;
const HTTP_PORT = 80;
const URL_SHAPE = 'databricks://token:<access-token>@<host>?http_path=/sql/1.0/warehouses/<warehouse-id>';
/** `/sql/1.0/warehouses/<id>`; `endpoints` is the older name of the same thing. */
const WAREHOUSE_PATH = /^\/?sql\/1\.0\/(?:warehouses|endpoints)\/([A-Za-z0-9_-]+)\/?$/;

function warehouseIdOf(ds: DatasourceDef, httpPath: string | null): string {
  if (httpPath === null || httpPath.trim() === '') {
    throw invalidSetting(`Datasource '${ds.name}': connection_string needs http_path (${URL_SHAPE}).`);
  }
  const id = WAREHOUSE_PATH.exec(httpPath.trim())?.[1];
  if (id === undefined) {
    throw invalidSetting(
      `Datasource '${ds.name}': http_path '${httpPath}' is not a SQL warehouse path; only Databricks SQL ` +
        'warehouses are supported (http_path=/sql/1.0/warehouses/<warehouse-id>), not clusters.',
    );
  }
  return id;
}

function tokenOf(ds: DatasourceDef, parsed: URL): string {
  const token = decodeURIComponent(parsed.password);
  if (!token) {
    throw invalidSetting(
      `Datasource '${ds.name}': connection_string needs a personal access token as its password (${URL_SHAPE}).`,
    );
  }
  return token;
}

/** A query parameter when set and not blank. */
function optional(parsed: URL, key: string): string | undefined {
  const value = parsed.searchParams.get(key)?.trim();
  return value ? value : undefined;
}

export function databricksConfigFromUrl(ds: DatasourceDef, url: string): DatabricksConfig {
  const parsed = parseConnectionUrl(ds, url, URL_SHAPE);
  if (!parsed.hostname) {
    throw invalidSetting(`Datasource '${ds.name}': connection_string needs the workspace host (${URL_SHAPE}).`);
  }
  const token = tokenOf(ds, parsed);
  const warehouseId = warehouseIdOf(ds, parsed.searchParams.get('http_path'));
  const https = !isTrue(parsed.searchParams.get('insecure_http'));
  if (!https && !isLoopbackHost(parsed.hostname)) {
    throw invalidSetting(
      `Datasource '${ds.name}': insecure_http=true would send the access token in clear; it is allowed only ` +
        `to this machine (a test stand-in), not to '${parsed.hostname}'.`,
    );
  }
  const port = parsed.port ? Number(parsed.port) : undefined;
  const catalog = optional(parsed, 'catalog');
  const schema = optional(parsed, 'schema');
  return {
    server: serverUrl(https, parsed.hostname, port, { http: HTTP_PORT, https: HTTPS_PORT }),
    token,
    warehouseId,
    ...(catalog ? { catalog } : {}),
    ...(schema ? { schema } : {}),
  };
}

/** SLayer's separate fields cannot carry http_path, so a Databricks datasource needs a connection string. */
export function databricksConfigFromFields(ds: DatasourceDef): never {
  throw invalidSetting(
    `Datasource '${ds.name}' (databricks) needs a connection_string (${URL_SHAPE}); ` +
      'host, username and password fields alone cannot name the SQL warehouse.',
  );
}
