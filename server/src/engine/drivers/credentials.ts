import type { DatasourceDef } from '../schema/types';

const MASK = '***';
/** `scheme://user:secret@` anywhere in a text: the secret part is masked even when we never saw it. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:)([^@/\s]*)@/gi;

/** The password inside a connection string's userinfo (`scheme://user:password@host`), if any. */
export function connectionStringPassword(connectionString: string): string | undefined {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(connectionString)?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo === undefined || colon < 0) return undefined;
  return userinfo.slice(colon + 1);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every spelling of every secret the datasource holds, longest first so a prefix never half-masks one. */
function secretsOf(ds: DatasourceDef): string[] {
  const raw = [ds.password, ds.credentials_json];
  const fromUrl = ds.connection_string === undefined ? undefined : connectionStringPassword(ds.connection_string);
  if (fromUrl !== undefined) raw.push(fromUrl, safeDecode(fromUrl));
  const all = new Set<string>();
  for (const secret of raw) {
    if (secret === undefined || secret === '') continue;
    all.add(secret);
    all.add(encodeURIComponent(secret));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/**
 * Removes the datasource's credentials from a text (an error message, a log
 * line). Every driver error passes through here before anyone can see it.
 */
export function redactCredentials(text: string, ds: DatasourceDef): string {
  let result = text.replace(URL_USERINFO, `$1${MASK}@`);
  for (const secret of secretsOf(ds)) result = result.split(secret).join(MASK);
  return result;
}
