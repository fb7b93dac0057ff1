/**
 * The Athena driver against a stand-in of Athena's JSON API
 * (test/support/athena-standin.ts, whose header says what it proves and what
 * it does not), its Signature Version 4 against AWS's published test vectors,
 * and the reading of Athena connection strings.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { AthenaDriver, amzDate, signatureV4, type AthenaDriverOptions } from '../../server/src/engine/drivers/athena';
import {
  athenaConfigFromFields,
  athenaConfigFromUrl,
  type AthenaConfig,
} from '../../server/src/engine/drivers/athena-config';
import { openDriver, redactCredentials } from '../../server/src/engine/drivers/connect';
import { dialectOf } from '../../server/src/engine/query/execute';
import { RUNNABLE_DATASOURCE_TYPES } from '../../server/src/engine/schema/decode-datasource';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import { AthenaStandin, type AthenaStandinOptions, type Canned } from '../support/athena-standin';
import { rejectsWith, throwsWith } from '../support/rejects-with';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const KEY_ID = 'AKIASTANDINEXAMPLE01';
/** A secret with `/` and `+`, which a connection string must percent-encode. */
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYstandinKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEStandinSessionToken0123456789/abc+def==';
const REGION = 'us-east-1';
const HOST = `athena.${REGION}.amazonaws.com`;
const STAGING = 's3://results-bucket/slayer/';

function datasource(connectionString: string): DatasourceDef {
  return { version: 2, name: 'lake', type: 'athena', connection_string: connectionString };
}

interface Setup {
  standin: AthenaStandin;
  /** The connection string at the stand-in; `keys` false leaves the keys to the environment. */
  url: (query?: string, keys?: boolean) => string;
  driver: (url?: string, options?: AthenaDriverOptions, config?: Partial<AthenaConfig>) => AthenaDriver;
}

async function withStandin(
  options: Omit<AthenaStandinOptions, 'accessKeyId' | 'secretAccessKey' | 'region'> &
    Partial<Pick<AthenaStandinOptions, 'secretAccessKey'>>,
  work: (setup: Setup) => Promise<void>,
): Promise<void> {
  const standin = await AthenaStandin.start({
    accessKeyId: KEY_ID,
    secretAccessKey: SECRET,
    region: REGION,
    ...options,
  });
  const url = (query = '&work_group=analysts&catalog_name=AwsDataCatalog', keys = true): string =>
    `awsathena+rest://${keys ? `${KEY_ID}:${encodeURIComponent(SECRET)}` : ''}@${HOST}:443/sales` +
    `?s3_staging_dir=${STAGING}&endpoint_url=${standin.url}${query}`;
  const driver = (
    connection = url(),
    driverOptions: AthenaDriverOptions = {},
    config: Partial<AthenaConfig> = {},
  ): AthenaDriver => {
    const ds = datasource(connection);
    const base = athenaConfigFromUrl(ds, connection);
    return new AthenaDriver({ ...base, pollIntervalMs: 5, ...config }, (text) => redactCredentials(text, ds), {
      env: {},
      ...driverOptions,
    });
  };
  try {
    await work({ standin, url, driver });
  } finally {
    await standin.close();
  }
}

/** `work` must throw a SlayerError of `code` whose message matches `pattern`. */
function throwsCode(work: () => unknown, code: ErrorCode, pattern: RegExp): SlayerError {
  const error = throwsWith(work, code);
  assert.match(error.message, pattern);
  return error;
}

/** No secret key, session token or signature, in any spelling, in a message. */
function assertNoSecrets(message: string): void {
  for (const secret of [SECRET, encodeURIComponent(SECRET), SESSION_TOKEN, encodeURIComponent(SESSION_TOKEN)]) {
    assert.ok(!message.includes(secret), `the message shows a secret: ${message}`);
  }
  assert.doesNotMatch(message, /Signature=[0-9a-f]{64}/, message);
}

const SEVEN = 'SELECT id, name FROM seven ORDER BY id';
const sevenRows: Canned = {
  columns: [
    { Name: 'id', Type: 'integer' },
    { Name: 'name', Type: 'varchar' },
  ],
  rows: Array.from({ length: 7 }, (_, index) => [String(index + 1), `row ${index + 1}`]),
};
const seven = Array.from({ length: 7 }, (_, index) => ({ id: index + 1, name: `row ${index + 1}` }));

const resultBodies = (standin: AthenaStandin): Record<string, unknown>[] =>
  standin.requests
    .filter((r) => r.headers['x-amz-target'] === 'AmazonAthena.GetQueryResults')
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);

/** Name, Athena's type, the text Athena writes, the value the driver must return. */
const TYPES: readonly (readonly [string, string, string, unknown])[] = [
  ['big', 'bigint', '9007199254740993', '9007199254740993'],
  ['negative_big', 'bigint', '-9007199254740993', '-9007199254740993'],
  ['small_big', 'bigint', '42', 42],
  ['n', 'integer', '7', 7],
  ['s', 'smallint', '-3', -3],
  ['t', 'tinyint', '127', 127],
  ['price', 'decimal', '12.50', 12.5],
  ['ratio', 'double', '0.25', 0.25],
  ['tiny', 'double', '1.5E-7', 1.5e-7],
  ['not_a_number', 'double', 'NaN', Number.NaN],
  ['inf', 'double', 'Infinity', Number.POSITIVE_INFINITY],
  ['f', 'float', '1.5', 1.5],
  ['r', 'real', '-0.5', -0.5],
  ['ok', 'boolean', 'true', true],
  ['no', 'boolean', 'false', false],
  ['label', 'varchar', 'hé "quoted"\n', 'hé "quoted"\n'],
  ['code', 'char', 'ab', 'ab'],
  ['hive_text', 'string', 'x', 'x'],
  ['day', 'date', '2024-01-02', '2024-01-02'],
  ['at', 'timestamp', '2024-01-02 03:04:05.120', '2024-01-02T03:04:05.12'],
  ['at_whole', 'timestamp', '2024-01-02 03:04:05.000', '2024-01-02T03:04:05'],
  ['at_utc', 'timestamp with time zone', '2024-01-02 03:04:05.120 UTC', '2024-01-02T03:04:05.12Z'],
  ['at_offset', 'timestamp with time zone', '2024-01-02 03:04:05.000 +05:30', '2024-01-01T21:34:05Z'],
  ['at_berlin_summer', 'timestamp with time zone', '2024-07-01 12:00:00.000 Europe/Berlin', '2024-07-01T10:00:00Z'],
  ['at_berlin_winter', 'timestamp with time zone', '2024-01-01 12:00:00.500 Europe/Berlin', '2024-01-01T11:00:00.5Z'],
  [
    'at_nowhere',
    'timestamp with time zone',
    '2024-01-01 12:00:00.000 Mars/Olympus',
    '2024-01-01 12:00:00.000 Mars/Olympus',
  ],
  ['clock', 'time', '03:04:05.250', '03:04:05.250'],
  ['blob', 'varbinary', 'de ad be ef', '\\xdeadbeef'],
  ['empty_blob', 'varbinary', '', '\\x'],
  ['doc', 'json', '{"a":[1,2]}', '{"a":[1,2]}'],
  ['id', 'uuid', '12151fd2-7586-11e9-8f9e-2a86e4085a59', '12151fd2-7586-11e9-8f9e-2a86e4085a59'],
  // Nested values stay in Athena's text: its strings are unquoted, so `true` here may be a string, not a boolean.
  ['tags', 'array', '[1, 9007199254740993, null]', '[1, 9007199254740993, null]'],
  ['words', 'array', '[a, b c, true]', '[a, b c, true]'],
  ['m', 'map', '{a=1, b=x}', '{a=1, b=x}'],
  ['pair', 'row', '{x=1, y=z}', '{x=1, y=z}'],
];

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

describe('configuration from a connection string', () => {
  const parse = (url: string): AthenaConfig => athenaConfigFromUrl(datasource(url), url);
  const keys = `${KEY_ID}:${encodeURIComponent(SECRET)}`;

  test("PyAthena's form: keys (percent-encoded), region from the host, schema, S3 staging dir, workgroup, catalog", () => {
    const url = `awsathena+rest://${keys}@athena.eu-west-1.amazonaws.com:443/sales?s3_staging_dir=${encodeURIComponent(STAGING)}&work_group=analysts&catalog_name=lakehouse`;
    assert.deepEqual(parse(url), {
      datasource: 'lake',
      database: 'sales',
      region: 'eu-west-1',
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      catalog: 'lakehouse',
      outputLocation: STAGING,
      workGroup: 'analysts',
    });
  });

  test('awsathena:// too; no schema is `default`; region_name wins over the host; a session token beside the keys', () => {
    const plain = parse(`awsathena://${keys}@athena.us-west-2.amazonaws.com/?work_group=primary`);
    assert.deepEqual(
      [plain.database, plain.region, plain.workGroup, plain.outputLocation],
      ['default', 'us-west-2', 'primary', undefined],
    );
    const token = encodeURIComponent(SESSION_TOKEN);
    const temporary = parse(
      `awsathena+rest://${keys}@athena.us-west-2.amazonaws.com:443/db?s3_staging_dir=${STAGING}&region_name=ap-south-1&aws_session_token=${token}`,
    );
    assert.equal(temporary.region, 'ap-south-1');
    assert.deepEqual(temporary.credentials, {
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
      sessionToken: SESSION_TOKEN,
    });
    assert.equal(parse(`awsathena+rest://athena.cn-north-1.amazonaws.com.cn/db?work_group=w`).region, 'cn-north-1');
  });

  test('empty keys (`:@`) or none leave the credentials, and a hostless URL the region, to the environment', () => {
    const empty = parse(`awsathena+rest://:@athena.us-east-1.amazonaws.com:443/db?s3_staging_dir=${STAGING}`);
    assert.equal(empty.credentials, undefined);
    assert.equal(empty.region, 'us-east-1');
    const hostless = parse(`awsathena+rest:///db?s3_staging_dir=${STAGING}`);
    assert.deepEqual([hostless.credentials, hostless.region], [undefined, undefined]);
  });

  test('no output location: refused, naming s3_staging_dir and work_group; a staging dir that is not s3:// is refused', () => {
    throwsCode(
      () => parse(`awsathena+rest://${keys}@${HOST}:443/db`),
      ErrorCode.InvalidInput,
      /^Datasource 'lake': Athena writes every result to S3, so the connection_string needs s3_staging_dir=s3:\/\/<bucket>\/<path>\/, or work_group=<name>/,
    );
    throwsCode(
      () => parse(`awsathena+rest://${keys}@${HOST}:443/db?s3_staging_dir=/tmp/out`),
      ErrorCode.InvalidInput,
      /s3_staging_dir must be an S3 location/,
    );
  });

  test('a key without its secret, a host that is not Athena, a bad region: refused, never showing the secret', () => {
    const half = throwsCode(
      () => parse(`awsathena+rest://${KEY_ID}:@${HOST}/db?work_group=w`),
      ErrorCode.InvalidInput,
      /needs both the access key id and the secret access key/,
    );
    assertNoSecrets(half.message);
    const host = throwsCode(
      () => parse(`awsathena+rest://${keys}@db.example.com/db?work_group=w`),
      ErrorCode.InvalidInput,
      /host 'db\.example\.com' is not athena\.<region>\.amazonaws\.com/,
    );
    assertNoSecrets(host.message);
    throwsCode(
      () => parse(`awsathena+rest://${keys}@${HOST}/db?work_group=w&region_name=Mars`),
      ErrorCode.InvalidInput,
      /region_name 'Mars' is not an AWS region/,
    );
    const token = throwsCode(
      () => parse(`awsathena+rest://${HOST}/db?work_group=w&aws_session_token=${SESSION_TOKEN}`),
      ErrorCode.InvalidInput,
      /aws_session_token belongs with an access key/,
    );
    assertNoSecrets(token.message);
  });

  test('endpoint_url: https, or plain http only to this machine', () => {
    const base = `awsathena+rest://${keys}@${HOST}/db?work_group=w&endpoint_url=`;
    throwsCode(
      () => parse(`${base}http://athena.example.com`),
      ErrorCode.InvalidInput,
      /endpoint_url must be an https URL \(plain http only to this machine\), got 'http:\/\/athena\.example\.com'/,
    );
    assert.equal(
      parse(`${base}https://vpce-1.athena.us-east-1.vpce.amazonaws.com`).endpoint,
      'https://vpce-1.athena.us-east-1.vpce.amazonaws.com/',
    );
    assert.equal(parse(`${base}http://127.0.0.1:4566`).endpoint, 'http://127.0.0.1:4566/');
  });

  test('a profile or an assumed role is refused as Unsupported, saying what works instead', () => {
    throwsCode(
      () => parse(`awsathena+rest://${HOST}/db?work_group=w&profile_name=dev`),
      ErrorCode.Unsupported,
      /profile_name \(a named profile .*\) needs the AWS SDK.*AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/,
    );
  });

  test('fields without a connection_string are refused, saying one is needed', () => {
    const ds: DatasourceDef = { version: 2, name: 'lake', type: 'athena', host: HOST, password: SECRET };
    const error = throwsCode(() => athenaConfigFromFields(ds), ErrorCode.InvalidInput, /needs a connection_string/);
    assertNoSecrets(error.message);
  });

  test('athena is runnable: openDriver gives a lazy driver speaking Trino’s dialect, by type or by scheme', () => {
    assert.ok((RUNNABLE_DATASOURCE_TYPES as readonly string[]).includes('athena'));
    const url = `awsathena+rest://${keys}@${HOST}:443/db?s3_staging_dir=${STAGING}`;
    assert.equal(openDriver(datasource(url), { baseDir: '.' }).dialect, 'trino');
    const untyped: DatasourceDef = { version: 2, name: 'lake', connection_string: url };
    assert.equal(openDriver(untyped, { baseDir: '.' }).dialect, 'trino');
    assert.equal(dialectOf(untyped), 'trino', 'the planner reads awsathena+rest:// as Trino SQL too');
    const fields = { version: 2, name: 'lake', type: 'athena', host: HOST } as const;
    throwsCode(() => openDriver(fields, { baseDir: '.' }), ErrorCode.InvalidInput, /needs a connection_string/);
  });
});

// ---------------------------------------------------------------------------
// Signature Version 4
// ---------------------------------------------------------------------------

describe('Signature Version 4', () => {
  /** AWS's SigV4 test suite ("get-vanilla", "post-vanilla"): its example key, scope and request. */
  const example = {
    region: 'us-east-1',
    service: 'service',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    headers: { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' },
    url: new URL('https://example.amazonaws.com/'),
    body: '',
  };

  test('get-vanilla: the canonical request, string to sign and signature AWS publishes', () => {
    const signed = signatureV4({ ...example, method: 'GET' });
    assert.equal(
      signed.canonicalRequest,
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n' +
        createHash('sha256').update('').digest('hex'),
    );
    assert.equal(
      signed.stringToSign,
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n' +
        'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    );
    assert.equal(
      signed.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  test('post-vanilla: the method is signed too', () => {
    assert.equal(
      signatureV4({ ...example, method: 'POST' }).signature,
      '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });

  test('X-Amz-Date is the UTC time without separators', () => {
    assert.equal(amzDate(Date.UTC(2015, 7, 30, 12, 36, 0, 999)), '20150830T123600Z');
  });

  test('the stand-in recomputes and accepts every request’s signature; content-type, host, date and target are signed', async () => {
    const one: Canned = { columns: [{ Name: 'one', Type: 'integer' }], rows: [['1']] };
    await withStandin({ results: { 'SELECT 1': one } }, async ({ standin, driver }) => {
      assert.deepEqual((await driver().run('SELECT 1')).rows, [{ one: 1 }]);
      assert.ok(standin.requests.length >= 3);
      assert.equal(standin.signaturesChecked, standin.requests.length, 'every request was signed, and right');
      for (const request of standin.requests) {
        assert.match(
          request.headers.authorization ?? '',
          new RegExp(
            `^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/${REGION}/athena/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$`,
          ),
        );
        assert.equal(request.headers['content-type'], 'application/x-amz-json-1.1');
      }
      assert.deepEqual(
        standin.requests.map((r) => r.headers['x-amz-target']),
        ['AmazonAthena.StartQueryExecution', 'AmazonAthena.GetQueryExecution', 'AmazonAthena.GetQueryResults'],
      );
    });
  });

  test('a wrong secret: ConnectionFailed naming InvalidSignatureException, and nothing runs', async () => {
    await withStandin(
      { results: {}, secretAccessKey: 'another-secret-the-driver-does-not-know' },
      async ({ standin, driver }) => {
        const error = await rejectsWith(driver().run('SELECT 1'), ErrorCode.ConnectionFailed);
        assert.match(
          error.message,
          /^Athena refused the credentials \(HTTP 400, InvalidSignatureException\): The request signature we calculated/,
        );
        assertNoSecrets(error.message);
        assert.equal(standin.executions.length, 0);
      },
    );
  });
});

// ---------------------------------------------------------------------------
// Credentials and region from the environment
// ---------------------------------------------------------------------------

describe('the environment', () => {
  const one: Canned = { columns: [{ Name: 'one', Type: 'integer' }], rows: [['1']] };

  test('keys, session token and region come from the env the driver is given, read at each run', async () => {
    await withStandin(
      { results: { 'SELECT 1': one }, sessionToken: SESSION_TOKEN },
      async ({ standin, url, driver }) => {
        const hostless = url('', false).replace(`://@${HOST}:443`, '://');
        const env: NodeJS.ProcessEnv = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET };
        const athena = driver(hostless, { env });
        const missing = await rejectsWith(athena.run('SELECT 1'), ErrorCode.InvalidInput);
        assert.match(missing.message, /^Datasource 'lake' \(athena\) names no AWS region: .*AWS_REGION/);
        env.AWS_DEFAULT_REGION = REGION;
        const unsigned = await rejectsWith(athena.run('SELECT 1'), ErrorCode.ConnectionFailed);
        assert.match(unsigned.message, /UnrecognizedClientException/, 'the stand-in wants the session token');
        env.AWS_SESSION_TOKEN = SESSION_TOKEN;
        assert.deepEqual((await athena.run('SELECT 1')).rows, [{ one: 1 }]);
        const signed = standin.requests.filter((r) => r.headers['x-amz-security-token'] === SESSION_TOKEN);
        assert.ok(signed.length >= 3);
        assert.ok(
          signed.every((r) =>
            /SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,/.test(
              r.headers.authorization ?? '',
            ),
          ),
        );
      },
    );
  });

  test('no keys in the URL or the environment: a clear error, and nothing sent', async () => {
    await withStandin({ results: {} }, async ({ standin, url, driver }) => {
      const error = await rejectsWith(
        driver(url('', false), { env: { AWS_ACCESS_KEY_ID: KEY_ID } }).run('SELECT 1'),
        ErrorCode.InvalidInput,
      );
      assert.match(error.message, /has no AWS credentials: .* or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      assert.equal(standin.requests.length, 0);
    });
  });

  test('openDriver passes its env to the driver: a run through connect.ts reaches the stand-in', async () => {
    const two: Canned = { columns: [{ Name: 'two', Type: 'bigint' }], rows: [['2']] };
    await withStandin({ results: { 'SELECT 2': two } }, async ({ standin, url }) => {
      const env = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET };
      const athena = openDriver(datasource(url('', false)), { baseDir: '.', env });
      assert.deepEqual((await athena.run('SELECT 2')).rows, [{ two: 2 }]);
      await athena.close();
      assert.equal(standin.executions.length, 1);
    });
  });
});

// ---------------------------------------------------------------------------
// Rows: the request, polling, paging, values
// ---------------------------------------------------------------------------

describe('rows', () => {
  test('StartQueryExecution carries the SQL, a ClientRequestToken, database, catalog, output location and workgroup', async () => {
    const one: Canned = { columns: [{ Name: 'one', Type: 'integer' }], rows: [['1']] };
    await withStandin({ results: { 'SELECT 1': one } }, async ({ standin, driver }) => {
      await driver().run('SELECT 1;\n');
      const [start] = standin.starts;
      assert.ok(start);
      assert.match(String(start.ClientRequestToken), /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        { ...start, ClientRequestToken: 'token' },
        {
          QueryString: 'SELECT 1',
          ClientRequestToken: 'token',
          QueryExecutionContext: { Database: 'sales', Catalog: 'AwsDataCatalog' },
          ResultConfiguration: { OutputLocation: STAGING },
          WorkGroup: 'analysts',
        },
      );
    });
  });

  test('a query is polled through QUEUED and RUNNING until SUCCEEDED, and only then are results asked for', async () => {
    await withStandin(
      { results: { [SEVEN]: { ...sevenRows, polls: 3 } }, pageRows: 10 },
      async ({ standin, driver }) => {
        assert.deepEqual((await driver().run(SEVEN)).rows, seven);
        assert.equal(standin.calls('GetQueryExecution'), 4, 'QUEUED, RUNNING, RUNNING, then SUCCEEDED');
        const order = standin.requests.map((r) => r.headers['x-amz-target']);
        assert.equal(
          order.lastIndexOf('AmazonAthena.GetQueryExecution') < order.indexOf('AmazonAthena.GetQueryResults'),
          true,
        );
      },
    );
  });

  test('rows over several pages by NextToken, in order; only the first page’s first row is the header', async () => {
    // The first row of the second page reads like the header: it is data, and kept.
    const words = ['a', 'b', 'word', 'c', 'd', 'e', 'f', 'g'];
    const canned: Canned = { columns: [{ Name: 'word', Type: 'varchar' }], rows: words.map((word) => [word]) };
    await withStandin({ results: { 'SELECT word FROM words': canned }, pageRows: 3 }, async ({ standin, driver }) => {
      const result = await driver().run('SELECT word FROM words');
      assert.deepEqual(result, { columns: ['word'], rows: words.map((word) => ({ word })), truncated: false });
      const bodies = resultBodies(standin);
      assert.equal(bodies.length, 3, 'nine rows with the header, three a page');
      assert.deepEqual(
        bodies.map((b) => b.NextToken),
        [undefined, 'page-3', 'page-6'],
      );
      assert.ok(bodies.every((b) => b.MaxResults === 1000));
    });
  });

  test('an empty result still names its columns (the header alone)', async () => {
    const empty: Canned = { columns: [{ Name: 'id', Type: 'bigint' }], rows: [] };
    await withStandin({ results: { 'SELECT id FROM t WHERE false': empty } }, async ({ driver }) => {
      assert.deepEqual(await driver().run('SELECT id FROM t WHERE false'), {
        columns: ['id'],
        rows: [],
        truncated: false,
      });
    });
  });

  test('the preview cap: one row past maxRows says truncated; no page past it is asked for, nothing is stopped', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, pageRows: 3 }, async ({ standin, driver }) => {
      const result = await driver().run(SEVEN, { maxRows: 3 });
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven.slice(0, 3), truncated: true });
      assert.deepEqual(standin.pageAsks, [5, 2], 'header, 3 rows and the one past; then what is left of that');
      assert.deepEqual(standin.stopped, [], 'a finished query holds nothing to stop');
      const exact = await driver().run(SEVEN, { maxRows: 7 });
      assert.deepEqual([exact.rows.length, exact.truncated], [7, false]);
    });
  });

  test('a maxRows that is not a whole number is refused before any request', async () => {
    await withStandin({ results: {} }, async ({ standin, driver }) => {
      await rejectsWith(driver().run(SEVEN, { maxRows: 1.5 }), ErrorCode.InvalidInput);
      assert.equal(standin.requests.length, 0);
    });
  });

  test('every type maps to the driver contract; a bigint past 2^53 keeps every digit; nested values as JSON', async () => {
    const canned: Canned = {
      columns: TYPES.map(([Name, Type]) => ({ Name, Type })),
      rows: [TYPES.map(([, , sent]) => sent), TYPES.map(() => null)],
    };
    await withStandin({ results: { 'SELECT everything': canned }, pageRows: 5 }, async ({ driver }) => {
      const expected = Object.fromEntries(TYPES.map(([name, , , value]) => [name, value]));
      const nulls = Object.fromEntries(TYPES.map(([name]) => [name, null]));
      const names = TYPES.map(([name]) => name);
      assert.deepEqual(await driver().run('SELECT everything'), {
        columns: names,
        rows: [expected, nulls],
        truncated: false,
      });
    });
  });
});

// ---------------------------------------------------------------------------
// Errors, throttling, cancel, redaction
// ---------------------------------------------------------------------------

describe('errors, throttling and cancel', () => {
  test("a FAILED query: DatabaseError with Athena's StateChangeReason; nothing is stopped", async () => {
    const reason = "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved";
    await withStandin({ results: { 'SELECT nope': { failure: reason, polls: 1 } } }, async ({ standin, driver }) => {
      const error = await rejectsWith(driver().run('SELECT nope'), ErrorCode.DatabaseError);
      assert.equal(error.message, reason);
      assert.deepEqual(standin.stopped, []);
      assert.equal(standin.calls('GetQueryResults'), 0);
    });
  });

  test('a 400 ThrottlingException and a 503 are asked again with the same ClientRequestToken: one query runs', async () => {
    await withStandin(
      { results: { [SEVEN]: sevenRows }, throttle: 2, unavailableTimes: 1, pageRows: 10 },
      async ({ standin, driver }) => {
        assert.deepEqual((await driver().run(SEVEN)).rows, seven);
        assert.equal(standin.calls('StartQueryExecution'), 4, 'a 503, two throttled, then started');
        assert.equal(new Set(standin.starts.map((s) => s.ClientRequestToken)).size, 1);
        assert.equal(standin.executions.length, 1);
      },
    );
  });

  test('past the retries, the throttling is the error, named', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, throttle: 10 }, async ({ standin, driver }) => {
      const error = await rejectsWith(driver().run(SEVEN), ErrorCode.DatabaseError);
      assert.equal(error.message, 'Athena answered HTTP 400, ThrottlingException: Rate exceeded');
      assert.equal(standin.calls('StartQueryExecution'), 4);
      assert.equal(standin.executions.length, 0);
    });
  });

  test('an abort while the query runs rejects with Cancelled and the stand-in sees StopQueryExecution for it', async () => {
    const never: Canned = { ...sevenRows, polls: Number.POSITIVE_INFINITY };
    await withStandin({ results: { [SEVEN]: never } }, async ({ standin, driver }) => {
      const controller = new AbortController();
      const running = driver().run(SEVEN, { signal: controller.signal });
      await standin.until(() => standin.calls('GetQueryExecution') > 1);
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      await standin.until(() => standin.stopped.length > 0);
      assert.deepEqual(standin.stopped, standin.executions);
      assert.equal(standin.signaturesChecked, standin.requests.length, 'the stop is signed too');
    });
  });

  test('an already aborted signal sends nothing', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows } }, async ({ standin, driver }) => {
      await rejectsWith(driver().run(SEVEN, { signal: AbortSignal.abort() }), ErrorCode.Cancelled);
      assert.equal(standin.requests.length, 0);
    });
  });

  test('neither output location nor workgroup reaching Athena is its InvalidRequestException, shown', async () => {
    await withStandin({ results: {} }, async ({ driver }) => {
      const error = await rejectsWith(
        driver(undefined, {}, { outputLocation: undefined, workGroup: undefined }).run('SELECT 1'),
        ErrorCode.DatabaseError,
      );
      assert.match(error.message, /^Athena rejected the request: No output location provided\./);
    });
  });

  test('the secret key, session token and signature never show in an error, wherever the text came from', async () => {
    const quoting: Canned = { failure: `AccessDenied for ${SECRET} with token ${SESSION_TOKEN}` };
    await withStandin({ results: { 'SELECT 1': quoting }, sessionToken: SESSION_TOKEN }, async ({ url, driver }) => {
      const token = `&aws_session_token=${encodeURIComponent(SESSION_TOKEN)}`;
      // Athena's own reason quoting the secret and the token.
      const quoted = await rejectsWith(driver(url(token)).run('SELECT 1'), ErrorCode.DatabaseError);
      assert.equal(quoted.message, 'AccessDenied for *** with token ***');
      // A signature refused: AWS's answer quotes the canonical request, session token included, and the header.
      const wrong = `awsathena+rest://${KEY_ID}:${encodeURIComponent(`${SECRET}x`)}@${url(token).split('@')[1] ?? ''}`;
      const refused = await rejectsWith(driver(wrong).run('SELECT 1'), ErrorCode.ConnectionFailed);
      assert.match(refused.message, /x-amz-security-token:\*\*\*/);
      assert.match(refused.message, /Signature=\*\*\*/);
      assertNoSecrets(refused.message);
      assert.ok(!refused.message.includes(`${SECRET}x`));
    });
  });
});
