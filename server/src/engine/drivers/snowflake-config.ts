/**
 * A Snowflake datasource as the settings the Snowflake driver needs. SLayer's
 * three forms are read (docs/configuration/datasources.md, Snowflake):
 *
 * - `connection_name: <profile>`: a table of `connections.toml`, found in
 *   `$SNOWFLAKE_HOME` or else `~/.snowflake`, with the Python connector's keys
 *   (account, user, host, port, protocol, database, schema, warehouse, role,
 *   authenticator, token, token_file_path, private_key_file or
 *   private_key_path, private_key_file_pwd, private_key or private_key_raw).
 *   Like SLayer, the datasource's warehouse, role, database and schema_name
 *   override the profile's; `snowflake://?connection_name=<profile>` is the
 *   same form as a connection string.
 * - a connection string, `snowflake://<user>[:<password>]@<account>[/<database>[/<schema>]]?warehouse=…&role=…`,
 *   whose parameters may carry the same keys (`private_key_file=…`,
 *   `authenticator=oauth&token=…`), as snowflake-sqlalchemy passes them on.
 * - fields: `host` (the account identifier), `username`, `password`, `database`,
 *   `schema_name`, `warehouse`, `role`.
 *
 * The driver speaks Snowflake's SQL API, which authenticates by key pair (a
 * JWT signed with the user's private key) or by an OAuth or programmatic
 * access token, and never by password. A password-only datasource is refused
 * saying so, rather than logged in through an undocumented endpoint. Fields
 * alone cannot hold a key or token, so they need a connection_name or a
 * connection string for the credentials.
 *
 * The profile, key file and token file are read when a query runs
 * (`loadSnowflakeConfig`), never when the datasource is opened: opening
 * touches no file, and a rotated key or token is picked up by the next run.
 * Relative file paths resolve against the storage root; `~` is the home folder.
 *
 * The server is `https://<account>.snowflakecomputing.com` unless `host`
 * names another, as a name or as `https://host[:port]`. Plain http (for the
 * driver's tests against a local stand-in) is allowed only to this machine.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { DatasourceDef } from '../schema/types';
import { invalidSetting, isLoopbackHost, parseConnectionUrl, serverUrl } from './http-config';
import { readToml, TomlError } from './toml-subset';

/** The connector's keys this driver reads, from a profile or a connection string's parameters. */
const OPTION_KEYS = [
  'account',
  'user',
  'password',
  'host',
  'port',
  'protocol',
  'database',
  'schema',
  'warehouse',
  'role',
  'authenticator',
  'token',
  'token_file_path',
  'private_key_file',
  'private_key_path',
  'private_key_file_pwd',
  'private_key_passphrase',
  'private_key',
  'private_key_raw',
  'statement_timeout_in_seconds',
] as const;
export type SnowflakeOptionKey = (typeof OPTION_KEYS)[number];
export type SnowflakeOptions = Partial<Record<SnowflakeOptionKey, string>>;

/** Option keys whose values are secrets: masked in every error. */
export const SECRET_OPTIONS: readonly SnowflakeOptionKey[] = [
  'password',
  'token',
  'private_key_file_pwd',
  'private_key_passphrase',
  'private_key',
  'private_key_raw',
];

/** What the datasource says, before any file is read. */
export interface SnowflakeSettings {
  datasource: string;
  /** The connections.toml profile, when the credentials come from one. */
  connectionName?: string;
  /** The datasource's own options; they win over the profile's. */
  options: SnowflakeOptions;
  /** The limit on each HTTP call; the driver's default when absent. */
  requestTimeoutMs?: number;
  /** The first pause between polls of a running statement; the driver's default when absent. */
  pollIntervalMs?: number;
}

/** Where files are looked for: the environment (SNOWFLAKE_HOME) and the storage root (relative paths). */
export interface SnowflakeSources {
  env?: NodeJS.ProcessEnv;
  baseDir?: string;
}

/** The `X-Snowflake-Authorization-Token-Type` of each way in. */
export type SnowflakeAuth =
  | { kind: 'KEYPAIR_JWT'; key: KeyObject; fingerprint: string }
  | { kind: 'OAUTH' | 'PROGRAMMATIC_ACCESS_TOKEN'; token: string };

export interface SnowflakeConfig {
  datasource: string;
  /** `https://<account>.snowflakecomputing.com:443`, never with credentials in it. */
  server: string;
  /** The account as the JWT names it: upper case, without region or domain. */
  account: string;
  user: string;
  auth: SnowflakeAuth;
  database?: string;
  schema?: string;
  warehouse?: string;
  role?: string;
  /** Sent as the statement's `timeout`: Snowflake stops it there. */
  statementTimeoutSeconds: number;
  /** Every secret text the settings hold, for masking. */
  secrets: readonly string[];
  requestTimeoutMs?: number;
  pollIntervalMs?: number;
}

const URL_SHAPE =
  'snowflake://<user>@<account>/<database>/<schema>?warehouse=<wh>&private_key_file=<path> ' +
  '(or snowflake://?connection_name=<profile>)';
const AUTH_ADVICE =
  'use key-pair authentication (private_key_file, plus private_key_file_pwd for an encrypted key) or OAuth ' +
  '(authenticator = "oauth" with token), in the connections.toml profile named by connection_name or as ' +
  'connection_string parameters';
/** SLayer's own default query time limit, which it sets as STATEMENT_TIMEOUT_IN_SECONDS. */
const DEFAULT_STATEMENT_TIMEOUT_SECONDS = 120;
const SNOWFLAKE_DOMAIN = /\.snowflakecomputing\.(?:com|cn)$/i;
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function problem(datasource: string, text: string): never {
  throw invalidSetting(`Datasource '${datasource}': ${text}`);
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The options set, blanks dropped. */
function defined(options: SnowflakeOptions): SnowflakeOptions {
  const out: SnowflakeOptions = {};
  for (const key of OPTION_KEYS) {
    const value = options[key];
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return out;
}

/** warehouse, role, database and schema_name: SLayer applies these over any profile or URL. */
function sessionOverrides(ds: DatasourceDef): SnowflakeOptions {
  return defined({ warehouse: ds.warehouse, role: ds.role, database: ds.database, schema: ds.schema_name });
}

type AuthKind = SnowflakeAuth['kind'];

/** Which way in the options ask for; refuses a password, an interactive authenticator, or nothing at all. */
function authKindOf(datasource: string, options: SnowflakeOptions): AuthKind {
  const authenticator = (present(options.authenticator) ?? '').toLowerCase();
  const hasKey = [
    options.private_key_file,
    options.private_key_path,
    options.private_key,
    options.private_key_raw,
  ].some((value) => present(value) !== undefined);
  const hasToken = present(options.token) !== undefined || present(options.token_file_path) !== undefined;
  if (authenticator === 'oauth' || authenticator === 'programmatic_access_token') {
    if (!hasToken) problem(datasource, `authenticator '${authenticator}' needs a token (token or token_file_path).`);
    return authenticator === 'oauth' ? 'OAUTH' : 'PROGRAMMATIC_ACCESS_TOKEN';
  }
  if (authenticator === 'snowflake_jwt' || (hasKey && (authenticator === '' || authenticator === 'snowflake'))) {
    if (!hasKey) problem(datasource, 'authenticator snowflake_jwt needs private_key_file (or private_key).');
    return 'KEYPAIR_JWT';
  }
  if (authenticator !== '' && authenticator !== 'snowflake') {
    problem(
      datasource,
      `authenticator '${authenticator}' is not one SLayer Studio can use with Snowflake's SQL API; ${AUTH_ADVICE}.`,
    );
  }
  if (present(options.password) !== undefined) {
    problem(
      datasource,
      `SLayer Studio reaches Snowflake through its SQL API, which does not accept a password; ${AUTH_ADVICE}.`,
    );
  }
  return problem(datasource, `Snowflake needs credentials; ${AUTH_ADVICE}.`);
}

/** The account and user every form needs, and a way in the SQL API accepts. */
function checkComplete(datasource: string, options: SnowflakeOptions, what: { account: string; user: string }): void {
  const host = present(options.host);
  if (present(options.account) === undefined && !(host && SNOWFLAKE_DOMAIN.test(hostnameOf(host)))) {
    problem(datasource, `Snowflake needs the account identifier: ${what.account}.`);
  }
  if (present(options.user) === undefined) problem(datasource, `Snowflake needs the user: ${what.user}.`);
  authKindOf(datasource, options);
}

/**
 * SLayer's inline fields. They hold no key or token, so they always need
 * credentials from elsewhere: the error says where.
 */
export function snowflakeSettingsFromFields(ds: DatasourceDef): SnowflakeSettings {
  const overrides = sessionOverrides(ds);
  if (present(ds.connection_name)) {
    return { datasource: ds.name, connectionName: ds.connection_name?.trim() ?? '', options: overrides };
  }
  const options = defined({ account: ds.host, user: ds.username, password: ds.password, ...overrides });
  checkComplete(ds.name, options, { account: "'host' (e.g. xy12345.us-east-1)", user: "'username'" });
  return { datasource: ds.name, options };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `snowflake://?connection_name=<profile>` alone: anything else beside it would be silently dropped, so it is refused. */
function profileFromUrl(ds: DatasourceDef, parsed: URL, name: string): SnowflakeSettings {
  const others = [...parsed.searchParams.keys()].filter((key) => key !== 'connection_name');
  if (others.length > 0 || parsed.hostname !== '' || parsed.username !== '' || !['', '/'].includes(parsed.pathname)) {
    problem(
      ds.name,
      'a connection_string with connection_name must hold nothing else (snowflake://?connection_name=<profile>); ' +
        'set warehouse, role, database and schema_name as the datasource fields.',
    );
  }
  return { datasource: ds.name, connectionName: name, options: sessionOverrides(ds) };
}

export function snowflakeSettingsFromUrl(ds: DatasourceDef, url: string): SnowflakeSettings {
  const parsed = parseConnectionUrl(ds, url, URL_SHAPE);
  const params = parsed.searchParams;
  const profile = present(params.get('connection_name') ?? undefined);
  if (profile !== undefined) return profileFromUrl(ds, parsed, profile);
  const parts = parsed.pathname.split('/').filter((part) => part !== '');
  if (parts.length > 2) problem(ds.name, `connection_string has a path past database/schema; use ${URL_SHAPE}.`);
  const [database, schema] = parts.map(decoded);
  const options: SnowflakeOptions = {
    account: decoded(parsed.hostname),
    user: decoded(parsed.username),
    password: decoded(parsed.password),
    database,
    schema,
    port: parsed.port,
  };
  for (const key of OPTION_KEYS) {
    const value = params.get(key);
    if (value !== null && !['account', 'user', 'password'].includes(key)) options[key] = value;
  }
  const merged = defined({ ...options, ...sessionOverrides(ds) });
  checkComplete(ds.name, merged, { account: `the host part of ${URL_SHAPE}`, user: `the user part of ${URL_SHAPE}` });
  return { datasource: ds.name, options: merged };
}

// ---------------------------------------------------------------------------
// Files: connections.toml, the private key, the token
// ---------------------------------------------------------------------------

function expandHome(file: string, env: NodeJS.ProcessEnv): string {
  if (file === '~' || file.startsWith('~/') || file.startsWith('~\\'))
    return path.join(env.HOME ?? homedir(), file.slice(1));
  return file;
}

function resolvePath(file: string, sources: SnowflakeSources): string {
  const expanded = expandHome(file.trim(), sources.env ?? process.env);
  return path.resolve(sources.baseDir ?? process.cwd(), expanded);
}

/** `$SNOWFLAKE_HOME/connections.toml`, else `~/.snowflake/connections.toml`, as the Python connector looks. */
export function connectionsFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = present(env.SNOWFLAKE_HOME);
  if (home !== undefined) return path.join(expandHome(home, env), 'connections.toml');
  return path.join(env.HOME ?? homedir(), '.snowflake', 'connections.toml');
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

async function profileOptions(settings: SnowflakeSettings, sources: SnowflakeSources): Promise<SnowflakeOptions> {
  const name = settings.connectionName ?? '';
  const file = connectionsFile(sources.env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return problem(
      settings.datasource,
      `connection_name '${name}' needs ${file}, which cannot be read (${errorCode(error)}).`,
    );
  }
  let tables;
  try {
    tables = readToml(text);
  } catch (error) {
    // TomlError names a line, never its text (it may hold a password).
    const reason = error instanceof TomlError ? error.message : 'not TOML';
    return problem(settings.datasource, `${file} cannot be read: ${reason}.`);
  }
  const table = tables.get(name);
  if (table === undefined) {
    const names = [...tables.keys()].filter((key) => key !== '');
    return problem(
      settings.datasource,
      `${file} has no [${name}] connection` + (names.length > 0 ? `; it has ${names.join(', ')}.` : '.'),
    );
  }
  const options: SnowflakeOptions = {};
  for (const key of OPTION_KEYS) {
    const value = table.get(key);
    if (value !== undefined) options[key] = String(value);
  }
  return options;
}

/** PEM text, or a PKCS#8 key as DER (a binary file, or base64 text in a profile). */
function privateKeyOf(datasource: string, source: Buffer, passphrase: string | undefined): KeyObject {
  const text = source.toString('utf8');
  const pem = text.includes('-----BEGIN');
  const withPassphrase = passphrase === undefined ? {} : { passphrase };
  let key: KeyObject;
  try {
    key = pem
      ? createPrivateKey({ key: text, format: 'pem', ...withPassphrase })
      : createPrivateKey({ key: source, format: 'der', type: 'pkcs8', ...withPassphrase });
  } catch {
    return problem(
      datasource,
      pem && /ENCRYPTED/.test(text) && passphrase === undefined
        ? 'the private key is encrypted and no passphrase (private_key_file_pwd) is set.'
        : 'the private key cannot be read: a wrong passphrase, or not a PEM or PKCS#8 private key.',
    );
  }
  if (key.asymmetricKeyType !== 'rsa') problem(datasource, 'the private key is not an RSA key, which Snowflake needs.');
  return key;
}

async function readSecretFile(datasource: string, what: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    return problem(datasource, `cannot read the ${what} file ${file} (${errorCode(error)}).`);
  }
}

/** `SHA256:` and the base64 SHA-256 of the public key's DER: the fingerprint Snowflake keeps for the user. */
export function publicKeyFingerprint(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

async function keyPairAuth(
  datasource: string,
  options: SnowflakeOptions,
  sources: SnowflakeSources,
  secrets: string[],
): Promise<SnowflakeAuth> {
  const inline = present(options.private_key_raw) ?? present(options.private_key);
  let source: Buffer;
  if (inline === undefined) {
    const file = present(options.private_key_file) ?? present(options.private_key_path) ?? '';
    source = await readSecretFile(datasource, 'private key', resolvePath(file, sources));
    if (source.toString('utf8').includes('-----BEGIN')) secrets.push(source.toString('utf8'));
  } else {
    // In a profile: PEM text, or a PKCS#8 key's DER in base64.
    source = inline.includes('-----BEGIN') ? Buffer.from(inline, 'utf8') : Buffer.from(inline, 'base64');
  }
  const passphrase = options.private_key_file_pwd ?? options.private_key_passphrase;
  const key = privateKeyOf(datasource, source, passphrase);
  return { kind: 'KEYPAIR_JWT', key, fingerprint: publicKeyFingerprint(key) };
}

async function authOf(
  datasource: string,
  options: SnowflakeOptions,
  sources: SnowflakeSources,
  secrets: string[],
): Promise<SnowflakeAuth> {
  const kind = authKindOf(datasource, options);
  if (kind === 'KEYPAIR_JWT') return keyPairAuth(datasource, options, sources, secrets);
  const file = present(options.token_file_path);
  const token =
    present(options.token) ??
    (await readSecretFile(datasource, 'token', resolvePath(file ?? '', sources))).toString('utf8').trim();
  if (token === '') problem(datasource, 'the token is empty.');
  secrets.push(token);
  return { kind, token };
}

function hostnameOf(host: string): string {
  try {
    return /^https?:\/\//i.test(host) ? new URL(host).hostname : host;
  } catch {
    return host;
  }
}

function portOf(datasource: string, port: string | undefined): number | undefined {
  if (port === undefined || port === '') return undefined;
  const value = Number(port);
  if (!Number.isInteger(value) || value <= 0 || value > 65535)
    problem(datasource, `port must be a number from 1 to 65535.`);
  return value;
}

/** `account.region` or `org-account` as given, or the first labels of a `*.snowflakecomputing.com` host. */
function accountOf(options: SnowflakeOptions): string {
  const account = present(options.account);
  if (account !== undefined) return account.replace(SNOWFLAKE_DOMAIN, '');
  return hostnameOf(present(options.host) ?? '').replace(SNOWFLAKE_DOMAIN, '');
}

function serverOf(datasource: string, options: SnowflakeOptions, account: string): string {
  const host = present(options.host);
  let scheme = (present(options.protocol) ?? 'https').toLowerCase();
  let hostname = host ?? `${account}.snowflakecomputing.com`;
  let port = present(options.port);
  if (host !== undefined && /^[a-z]+:\/\//i.test(host)) {
    let url: URL;
    try {
      url = new URL(host);
    } catch {
      return problem(datasource, "'host' must be a host name or https://host[:port].");
    }
    scheme = url.protocol.replace(/:$/, '').toLowerCase();
    hostname = url.hostname;
    port = url.port || port;
  }
  if (scheme !== 'https' && scheme !== 'http') problem(datasource, `protocol must be https, not '${scheme}'.`);
  if (scheme === 'http' && !isLoopbackHost(hostname)) {
    problem(
      datasource,
      'Snowflake is reached over https; plain http is allowed only to this machine (a test stand-in).',
    );
  }
  return serverUrl(scheme === 'https', hostname.replace(/^\[|\]$/g, ''), portOf(datasource, port), {
    http: 80,
    https: 443,
  });
}

/**
 * The JWT's account: upper case, the locator without its region
 * (`xy12345.us-east-1` -> `XY12345`), a global URL's name without its suffix.
 */
export function jwtAccount(account: string): string {
  const bare = account.includes('.global') ? (account.split('-')[0] ?? account) : (account.split('.')[0] ?? account);
  return bare.toUpperCase();
}

/** An unquoted name as Snowflake stores it (upper case); a "quoted" one exactly as written inside the quotes. */
export function snowflakeIdentifier(name: string | undefined): string | undefined {
  const value = present(name);
  if (value === undefined) return undefined;
  if (PLAIN_IDENTIFIER.test(value)) return value.toUpperCase();
  const quoted = /^"((?:[^"]|"")*)"$/.exec(value);
  return quoted?.[1] !== undefined ? quoted[1].replace(/""/g, '"') : value;
}

function timeoutOf(datasource: string, value: string | undefined): number {
  if (value === undefined) return DEFAULT_STATEMENT_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) {
    problem(datasource, 'statement_timeout_in_seconds must be a whole number of seconds (0: the account maximum).');
  }
  return seconds;
}

/**
 * The settings made whole: the profile read (the datasource's own options
 * over it), the key or token read, the server and account worked out.
 * Errors are InvalidInput naming the datasource, never a secret.
 */
export async function loadSnowflakeConfig(
  settings: SnowflakeSettings,
  sources: SnowflakeSources = {},
): Promise<SnowflakeConfig> {
  const { datasource } = settings;
  const profile = settings.connectionName === undefined ? {} : await profileOptions(settings, sources);
  const options = defined({ ...defined(profile), ...settings.options });
  checkComplete(datasource, options, {
    account: `'account' in the [${settings.connectionName ?? ''}] profile, or 'host'`,
    user: `'user' in the [${settings.connectionName ?? ''}] profile, or 'username'`,
  });
  const secrets = SECRET_OPTIONS.map((key) => options[key]).filter((value): value is string => value !== undefined);
  const auth = await authOf(datasource, options, sources, secrets);
  const account = accountOf(options);
  const database = snowflakeIdentifier(options.database);
  const schema = snowflakeIdentifier(options.schema);
  const warehouse = snowflakeIdentifier(options.warehouse);
  const role = snowflakeIdentifier(options.role);
  return {
    datasource,
    server: serverOf(datasource, options, account),
    account: jwtAccount(account),
    user: options.user?.trim() ?? '',
    auth,
    ...(database === undefined ? {} : { database }),
    ...(schema === undefined ? {} : { schema }),
    ...(warehouse === undefined ? {} : { warehouse }),
    ...(role === undefined ? {} : { role }),
    statementTimeoutSeconds: timeoutOf(datasource, present(options.statement_timeout_in_seconds)),
    secrets,
    ...(settings.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: settings.requestTimeoutMs }),
    ...(settings.pollIntervalMs === undefined ? {} : { pollIntervalMs: settings.pollIntervalMs }),
  };
}
