/**
 * What the HTTP drivers' settings (ClickHouse, Trino) share: a datasource's
 * connection_string read as a URL, the server's base URL built from host and
 * port, and the yes/no of a query parameter.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DatasourceDef } from '../schema/types';

export function invalidSetting(message: string): SlayerError {
  return new SlayerError(ErrorCode.InvalidInput, message);
}

/** An IPv6 address needs brackets inside a URL; a name or IPv4 address does not. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `http(s)://host:port`, the port defaulting to the engine's own for the scheme. */
export function serverUrl(
  https: boolean,
  host: string,
  port: number | undefined,
  defaults: { http: number; https: number },
): string {
  const scheme = https ? 'https' : 'http';
  return `${scheme}://${urlHost(host)}:${port ?? (https ? defaults.https : defaults.http)}`;
}

/** A query parameter's yes: `true`, `1` or `yes`, in any case. */
export function isTrue(value: string | null): boolean {
  return value !== null && ['true', '1', 'yes'].includes(value.toLowerCase());
}

/** The connection_string as a URL, or an error showing the shape it should have (never the string itself). */
export function parseConnectionUrl(ds: DatasourceDef, url: string, shape: string): URL {
  try {
    return new URL(url);
  } catch {
    throw invalidSetting(`Datasource '${ds.name}': connection_string must look like ${shape}.`);
  }
}

/** A host that never leaves this machine: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * An endpoint a secret is sent to (a token, a signed assertion): https, or
 * plain http only to this machine, where a test stand-in listens. `what` names
 * the setting in the error; the URL itself is named, it holds no secret.
 */
export function secureEndpoint(ds: Pick<DatasourceDef, 'name'>, text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidSetting(`Datasource '${ds.name}': ${what} is not a URL: '${text}'.`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return url;
  throw invalidSetting(
    `Datasource '${ds.name}': ${what} must be an https URL (plain http only to this machine), got '${url.origin}'.`,
  );
}
