/**
 * A BigQuery datasource as the settings the BigQuery driver needs, read as
 * SLayer reads one (through sqlalchemy-bigquery):
 *
 * - fields: `host` is the Google Cloud project that runs (and is billed for)
 *   the jobs, `database` the default dataset (`schema_name` when database is
 *   absent), `credentials_json` the service account;
 * - or a connection string `bigquery://[<project>][/<dataset>]` with
 *   sqlalchemy-bigquery's `location` and `credentials_path` parameters. Without
 *   a project the service-account key's own `project_id` is used, as Google's
 *   clients do.
 *
 * Credentials, first found wins: `credentials_json` (the key file's JSON text,
 * or the path of the key file), the URL's `credentials_path`, then at run time
 * the environment: `GOOGLE_APPLICATION_CREDENTIALS` (a key file) or
 * `GOOGLE_OAUTH_ACCESS_TOKEN` (an OAuth access token used as it is). Only
 * service-account keys sign in here: gcloud's user credentials
 * (`authorized_user`), workload identity federation (`external_account`) and
 * the metadata server need Google's auth library, which this driver does not
 * load.
 *
 * The API defaults to https://bigquery.googleapis.com; `api_endpoint` (the
 * name Google's clients give it) points elsewhere, https only but for plain
 * http to this machine (a test stand-in), and the key's token_uri is held to
 * the same rule: both receive secrets.
 */
import * as path from 'node:path';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DatasourceDef } from '../schema/types';
import { isObject, textField } from './http-answers';
import { invalidSetting, parseConnectionUrl, secureEndpoint } from './http-config';

/** What a service-account key file holds that the driver uses. */
export interface ServiceAccountKey {
  clientEmail: string;
  /** PEM (PKCS#8), as Google writes it. */
  privateKey: string;
  privateKeyId?: string;
  /** Where the signed assertion is exchanged for an access token. */
  tokenUri: string;
  projectId?: string;
}

export type BigQueryCredentials =
  /** A key given inline (credentials_json holding its JSON text). */
  | { kind: 'key'; key: ServiceAccountKey }
  /** A key file, read when the driver first runs. */
  | { kind: 'keyFile'; path: string; setting: string }
  /** Nothing configured: the environment decides when the driver first runs. */
  | { kind: 'environment' };

export interface BigQueryConfig {
  /** The datasource's name, for the errors only a run can find (a key file that cannot be read). */
  datasource: string;
  /** The project jobs run in; the key's project_id when absent. */
  project?: string;
  /** The default dataset for unqualified table names. */
  dataset?: string;
  /** Where jobs run (`US`, `EU`, `asia-northeast1`); BigQuery infers it when absent. */
  location?: string;
  credentials: BigQueryCredentials;
  /** `https://bigquery.googleapis.com/bigquery/v2` unless api_endpoint says otherwise. */
  apiBase: string;
  /** The limit on each HTTP call; the driver's default when absent. */
  requestTimeoutMs?: number;
  /** The first pause between polls of a running job; the driver's default when absent. */
  pollIntervalMs?: number;
  /** Rows asked for per page; the driver's default when absent. */
  pageRows?: number;
}

const DEFAULT_API_ENDPOINT = 'https://bigquery.googleapis.com';
const API_PATH = '/bigquery/v2';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const URL_SHAPE = 'bigquery://<project>/<dataset>';
/** Key kinds Google's auth library knows, named in the refusal of all but service_account. */
const OTHER_KINDS: Readonly<Record<string, string>> = {
  authorized_user: "a user's credentials (gcloud auth application-default login)",
  external_account: 'workload identity federation',
  impersonated_service_account: 'service account impersonation',
  external_account_authorized_user: "a federated user's credentials",
};
export const SUPPORTED_CREDENTIALS =
  'a service-account key (type service_account) in credentials_json, credentials_path or ' +
  'GOOGLE_APPLICATION_CREDENTIALS, or an access token in GOOGLE_OAUTH_ACCESS_TOKEN';

/**
 * The key file's JSON as the fields the driver signs with. `source` names
 * where it came from; neither the text nor JSON.parse's message (which quotes
 * the text) ever goes into an error.
 */
export function serviceAccountKeyOf(ds: Pick<DatasourceDef, 'name'>, text: string, source: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidSetting(`Datasource '${ds.name}': ${source} is not valid JSON.`);
  }
  if (!isObject(parsed)) throw invalidSetting(`Datasource '${ds.name}': ${source} is not a JSON object.`);
  const type = textField(parsed, 'type');
  if (type !== undefined && type !== 'service_account') {
    const kind = OTHER_KINDS[type] ?? `credentials of type '${type}'`;
    throw new SlayerError(
      ErrorCode.Unsupported,
      `Datasource '${ds.name}': ${source} holds ${kind}, which SLayer Studio cannot sign in with; ` +
        `it supports ${SUPPORTED_CREDENTIALS}.`,
    );
  }
  const clientEmail = textField(parsed, 'client_email');
  const privateKey = textField(parsed, 'private_key');
  if (!clientEmail || !privateKey) {
    throw invalidSetting(
      `Datasource '${ds.name}': ${source} needs client_email and private_key, as in a service account's JSON key file.`,
    );
  }
  const tokenUri = secureEndpoint(ds, textField(parsed, 'token_uri') ?? DEFAULT_TOKEN_URI, `${source}'s token_uri`);
  const privateKeyId = textField(parsed, 'private_key_id');
  const projectId = textField(parsed, 'project_id');
  return {
    clientEmail,
    privateKey,
    tokenUri: tokenUri.href,
    ...(privateKeyId ? { privateKeyId } : {}),
    ...(projectId ? { projectId } : {}),
  };
}

/** credentials_json is the key's JSON text when it looks like an object, else the key file's path. */
function credentialsOf(ds: DatasourceDef, baseDir: string, credentialsPath?: string): BigQueryCredentials {
  const inline = ds.credentials_json?.trim();
  if (inline?.startsWith('{')) return { kind: 'key', key: serviceAccountKeyOf(ds, inline, 'credentials_json') };
  if (inline) return { kind: 'keyFile', path: path.resolve(baseDir, inline), setting: 'credentials_json' };
  if (credentialsPath) {
    return { kind: 'keyFile', path: path.resolve(baseDir, credentialsPath), setting: 'credentials_path' };
  }
  return { kind: 'environment' };
}

/** `https://bigquery.googleapis.com/bigquery/v2`, or the same path under api_endpoint. */
function apiBaseOf(ds: DatasourceDef, endpoint: string | undefined): string {
  if (endpoint === undefined) return `${DEFAULT_API_ENDPOINT}${API_PATH}`;
  const url = secureEndpoint(ds, endpoint, 'api_endpoint');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${API_PATH}`;
}

function present(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The config with only the optional settings that are set. */
function configOf(
  required: Pick<BigQueryConfig, 'datasource' | 'credentials' | 'apiBase'>,
  optional: Pick<BigQueryConfig, 'project' | 'dataset' | 'location'>,
): BigQueryConfig {
  const config: BigQueryConfig = { ...required };
  if (optional.project !== undefined) config.project = optional.project;
  if (optional.dataset !== undefined) config.dataset = optional.dataset;
  if (optional.location !== undefined) config.location = optional.location;
  return config;
}

export function bigQueryConfigFromUrl(ds: DatasourceDef, url: string, baseDir: string): BigQueryConfig {
  const parsed = parseConnectionUrl(ds, url, URL_SHAPE);
  const parts = parsed.pathname.split('/').filter((part) => part !== '');
  if (parts.length > 1) {
    throw invalidSetting(`Datasource '${ds.name}': connection_string has a path past the dataset; use ${URL_SHAPE}.`);
  }
  const params = parsed.searchParams;
  const required = {
    datasource: ds.name,
    credentials: credentialsOf(ds, baseDir, present(params.get('credentials_path'))),
    apiBase: apiBaseOf(ds, present(params.get('api_endpoint'))),
  };
  return configOf(required, {
    project: present(decodeURIComponent(parsed.hostname)),
    dataset: present(parts[0] === undefined ? undefined : decodeURIComponent(parts[0])),
    location: present(params.get('location')),
  });
}

/** SLayer's fields: host the project (required, as SLayer would otherwise bill 'localhost'), database the dataset. */
export function bigQueryConfigFromFields(ds: DatasourceDef, baseDir: string): BigQueryConfig {
  const project = present(ds.host);
  if (project === undefined) {
    throw invalidSetting(
      `Datasource '${ds.name}' (bigquery) needs 'host': the Google Cloud project that runs the queries ` +
        `(or a connection_string ${URL_SHAPE}).`,
    );
  }
  const required = { datasource: ds.name, credentials: credentialsOf(ds, baseDir), apiBase: apiBaseOf(ds, undefined) };
  return configOf(required, { project, dataset: present(ds.database) ?? present(ds.schema_name) });
}
