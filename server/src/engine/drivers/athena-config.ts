/**
 * An Athena datasource as the settings the Athena driver needs, read from a
 * connection string in SLayer's form (PyAthena's SQLAlchemy dialect):
 *
 *   awsathena+rest://[<access-key-id>:<secret-access-key>]@athena.<region>.amazonaws.com:443/<schema>
 *     ?s3_staging_dir=s3://<bucket>/<path>/&work_group=<workgroup>&catalog_name=<catalog>
 *
 * (`awsathena://` and PyAthena's other cursors, `awsathena+pandas://` and the
 * like, read the same way.) As in PyAthena, the host only names the region,
 * `region_name` overrides it, and the path is the default schema (`default`
 * when absent). SLayer builds no Athena URL from separate fields, so a
 * connection string is required.
 *
 * Credentials: the URL's access key and secret (both, percent-encoded), with
 * `aws_session_token` for temporary ones; when the URL has none, the
 * environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
 * read by the driver when it runs. The region, when the URL names none, is
 * AWS_REGION or AWS_DEFAULT_REGION, read then too. Profiles (`profile_name`,
 * ~/.aws) and assumed roles (`role_arn`) need the AWS SDK, which this driver
 * does not load, so they are refused here, saying what works instead.
 *
 * Athena writes every result to S3: the query needs `s3_staging_dir`, or a
 * `work_group` whose settings name an output location. Neither is refused here
 * rather than by Athena after a round trip.
 *
 * The API is https://athena.<region>.amazonaws.com unless `endpoint_url`
 * (boto3's name) points elsewhere: https only, or plain http to this machine
 * (a test stand-in), since every request carries a signature.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DatasourceDef } from '../schema/types';
import { invalidSetting, parseConnectionUrl, secureEndpoint } from './http-config';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AthenaConfig {
  /** The datasource's name, for the errors only a run can find (no credentials, no region). */
  datasource: string;
  /** From the host or region_name; the environment's when absent. */
  region?: string;
  /** The URL's keys; the environment's, read at run time, when absent. */
  credentials?: AwsCredentials;
  /** endpoint_url; https://athena.<region>.amazonaws.com when absent. */
  endpoint?: string;
  /** The default schema (Athena's database) for unqualified table names. */
  database: string;
  catalog?: string;
  /** s3_staging_dir: where Athena writes the result. */
  outputLocation?: string;
  workGroup?: string;
  /** The limit on each HTTP call; the driver's default when absent. */
  requestTimeoutMs?: number;
  /** The first pause between polls of a running query; the driver's default when absent. */
  pollIntervalMs?: number;
  /** Rows asked for per GetQueryResults page (Athena allows 1000 at most); the driver's default when absent. */
  pageRows?: number;
}

export const ATHENA_URL_SHAPE =
  'awsathena+rest://<access-key-id>:<secret-access-key>@athena.<region>.amazonaws.com:443/<schema>?s3_staging_dir=s3://<bucket>/<path>/';
const DEFAULT_SCHEMA = 'default';
/** `athena.us-east-1.amazonaws.com`, `athena-fips.us-gov-west-1.amazonaws.com`, `athena.cn-north-1.amazonaws.com.cn`. */
const ATHENA_HOST = /^athena(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i;
/** `us-east-1`, `us-gov-west-1`, `ap-southeast-3`: what a host name may safely be built from. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
/** PyAthena's settings that need the AWS SDK's credential chain. */
const SDK_ONLY: Readonly<Record<string, string>> = {
  profile_name: 'a named profile (~/.aws/credentials)',
  role_arn: 'an assumed role',
  web_identity_token_file: 'a web identity',
};

function present(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** A region name, or an error naming where it came from (a region is never a secret). */
export function checkedRegion(ds: Pick<DatasourceDef, 'name'>, region: string, source: string): string {
  const lower = region.toLowerCase();
  if (!REGION.test(lower)) {
    throw invalidSetting(`Datasource '${ds.name}': ${source} '${region}' is not an AWS region (like us-east-1).`);
  }
  return lower;
}

/** The region: region_name wins over the host, as in PyAthena; neither leaves it to the environment. */
function regionOf(ds: DatasourceDef, parsed: URL): string | undefined {
  const param = present(parsed.searchParams.get('region_name'));
  const host = decodeURIComponent(parsed.hostname);
  const fromHost = ATHENA_HOST.exec(host)?.[1];
  if (host !== '' && fromHost === undefined) {
    throw invalidSetting(
      `Datasource '${ds.name}': the connection_string's host '${host}' is not athena.<region>.amazonaws.com ` +
        `(${ATHENA_URL_SHAPE}); endpoint_url points the driver at another endpoint.`,
    );
  }
  if (param !== undefined) return checkedRegion(ds, param, 'region_name');
  return fromHost === undefined ? undefined : checkedRegion(ds, fromHost, "the host's region");
}

/** The URL's keys: both or neither (then the environment's); a session token only beside them. */
function credentialsOf(ds: DatasourceDef, parsed: URL): AwsCredentials | undefined {
  const accessKeyId = decodeURIComponent(parsed.username);
  const secretAccessKey = decodeURIComponent(parsed.password);
  const sessionToken = present(parsed.searchParams.get('aws_session_token'));
  if (!accessKeyId && !secretAccessKey) {
    if (sessionToken !== undefined) {
      throw invalidSetting(
        `Datasource '${ds.name}': aws_session_token belongs with an access key and secret in the connection_string.`,
      );
    }
    return undefined;
  }
  if (!accessKeyId || !secretAccessKey) {
    throw invalidSetting(
      `Datasource '${ds.name}': the connection_string needs both the access key id and the secret access key ` +
        `(${ATHENA_URL_SHAPE}), or neither, to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
    );
  }
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

function refuseSdkOnly(ds: DatasourceDef, parsed: URL): void {
  for (const [key, what] of Object.entries(SDK_ONLY)) {
    if (!parsed.searchParams.has(key)) continue;
    throw new SlayerError(
      ErrorCode.Unsupported,
      `Datasource '${ds.name}': ${key} (${what}) needs the AWS SDK, which SLayer Studio does not load; ` +
        'put the access key in the connection_string or set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY ' +
        '(and AWS_SESSION_TOKEN for temporary credentials).',
    );
  }
}

function outputLocationOf(ds: DatasourceDef, parsed: URL): string | undefined {
  const dir = present(parsed.searchParams.get('s3_staging_dir'));
  if (dir !== undefined && !/^s3:\/\/[^/]+/i.test(dir)) {
    throw invalidSetting(`Datasource '${ds.name}': s3_staging_dir must be an S3 location, s3://<bucket>/<path>/.`);
  }
  return dir;
}

function schemaOf(ds: DatasourceDef, parsed: URL): string {
  const parts = parsed.pathname.split('/').filter((part) => part !== '');
  if (parts.length > 1) {
    throw invalidSetting(
      `Datasource '${ds.name}': connection_string has a path past the schema; use ${ATHENA_URL_SHAPE}.`,
    );
  }
  const fromPath = parts[0] === undefined ? undefined : present(decodeURIComponent(parts[0]));
  return fromPath ?? present(parsed.searchParams.get('schema_name')) ?? DEFAULT_SCHEMA;
}

export function athenaConfigFromUrl(ds: DatasourceDef, url: string): AthenaConfig {
  const parsed = parseConnectionUrl(ds, url, ATHENA_URL_SHAPE);
  refuseSdkOnly(ds, parsed);
  const params = parsed.searchParams;
  const outputLocation = outputLocationOf(ds, parsed);
  const workGroup = present(params.get('work_group'));
  if (outputLocation === undefined && workGroup === undefined) {
    throw invalidSetting(
      `Datasource '${ds.name}': Athena writes every result to S3, so the connection_string needs ` +
        's3_staging_dir=s3://<bucket>/<path>/, or work_group=<name> of a workgroup that sets an output location.',
    );
  }
  const config: AthenaConfig = { datasource: ds.name, database: schemaOf(ds, parsed) };
  const region = regionOf(ds, parsed);
  const credentials = credentialsOf(ds, parsed);
  const endpoint = present(params.get('endpoint_url'));
  const catalog = present(params.get('catalog_name'));
  if (region !== undefined) config.region = region;
  if (credentials !== undefined) config.credentials = credentials;
  if (endpoint !== undefined) config.endpoint = secureEndpoint(ds, endpoint, 'endpoint_url').href;
  if (catalog !== undefined) config.catalog = catalog;
  if (outputLocation !== undefined) config.outputLocation = outputLocation;
  if (workGroup !== undefined) config.workGroup = workGroup;
  return config;
}

/** SLayer builds no Athena URL from separate fields (it needs PyAthena's), so an Athena datasource needs one. */
export function athenaConfigFromFields(ds: DatasourceDef): never {
  throw invalidSetting(
    `Datasource '${ds.name}' (athena) needs a connection_string (${ATHENA_URL_SHAPE}); ` +
      'host, username and password fields alone cannot name the region and the S3 output location.',
  );
}
