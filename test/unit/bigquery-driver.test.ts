/**
 * The BigQuery driver against a stand-in of BigQuery's REST API and Google's
 * token service (test/support/bigquery-standin.ts, whose header says what it
 * proves and what it does not), and the reading of BigQuery datasources.
 *
 * The service account's key pair is generated here, per run: no key material
 * is kept in the repository.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { BigQueryDriver, type BigQueryDriverOptions } from '../../server/src/engine/drivers/bigquery';
import {
  bigQueryConfigFromFields,
  bigQueryConfigFromUrl,
  type BigQueryConfig,
} from '../../server/src/engine/drivers/bigquery-config';
import { openDriver, redactCredentials } from '../../server/src/engine/drivers/connect';
import { executeQuery } from '../../server/src/engine/query/execute';
import { RUNNABLE_DATASOURCE_TYPES } from '../../server/src/engine/schema/decode-datasource';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import {
  BigQueryStandin,
  type BigQueryStandinOptions,
  type Canned,
  type StandinField,
  type StandinRow,
} from '../support/bigquery-standin';
import { shopModels } from '../support/engine-fixture';
import { rejectsWith } from '../support/rejects-with';
import { decodeQuery } from '../support/run-query';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const pair = (): { publicKey: KeyObject; pem: string } => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
};
const KEY = pair();
/** The lines of the PEM's body: not one of them may show in an error. */
const KEY_LINES = KEY.pem.split('\n').filter((line) => line.length > 0 && !line.startsWith('-'));
const PROJECT = 'test-project';
const KEY_ID = '0123456789abcdef0123456789abcdef01234567';
const dir = mkdtempSync(path.join(tmpdir(), 'bigquery-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Each stand-in gets its own service account, so no access token kept from another test is ever reused. */
let accounts = 0;

interface Setup {
  standin: BigQueryStandin;
  email: string;
  /** The key file's JSON text for this stand-in's account. */
  keyJson: (overrides?: Record<string, unknown>) => string;
  /** The datasource: bigquery://test-project/sales at the stand-in, the key inline. */
  ds: (query?: string, fields?: Partial<DatasourceDef>) => DatasourceDef;
  driver: (ds?: DatasourceDef, options?: BigQueryDriverOptions, config?: Partial<BigQueryConfig>) => BigQueryDriver;
}

async function withStandin(
  options: Omit<BigQueryStandinOptions, 'publicKey' | 'clientEmail'>,
  work: (setup: Setup) => Promise<void>,
): Promise<void> {
  accounts += 1;
  const email = `slayer-${accounts}@${PROJECT}.iam.gserviceaccount.com`;
  const standin = await BigQueryStandin.start({ publicKey: KEY.publicKey, clientEmail: email, ...options });
  const keyJson = (overrides: Record<string, unknown> = {}): string =>
    JSON.stringify({
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: KEY_ID,
      private_key: KEY.pem,
      client_email: email,
      client_id: '123456789',
      token_uri: standin.tokenUri,
      ...overrides,
    });
  const ds = (query = '', fields: Partial<DatasourceDef> = {}): DatasourceDef => ({
    version: 2,
    name: 'warehouse',
    type: 'bigquery',
    connection_string: `bigquery://${PROJECT}/sales?api_endpoint=${encodeURIComponent(standin.url)}${query}`,
    credentials_json: keyJson(),
    ...fields,
  });
  const driver = (
    datasource = ds(),
    driverOptions: BigQueryDriverOptions = {},
    config: Partial<BigQueryConfig> = {},
  ): BigQueryDriver => {
    const base = bigQueryConfigFromUrl(datasource, datasource.connection_string ?? '', dir);
    return new BigQueryDriver(
      { ...base, pollIntervalMs: 5, ...config },
      (text) => redactCredentials(text, datasource),
      { env: {}, ...driverOptions },
    );
  };
  try {
    await work({ standin, email, keyJson, ds, driver });
  } finally {
    await standin.close();
  }
}

function throwsCode(work: () => unknown, code: ErrorCode, pattern: RegExp): SlayerError {
  let caught: unknown;
  assert.throws(work, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SlayerError, String(caught));
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

/** Nothing secret in a message: no line of the private key, no key id, nothing the token service issued. */
function assertNoSecrets(message: string, ...secrets: string[]): void {
  for (const secret of [...KEY_LINES, KEY_ID, ...secrets]) {
    assert.ok(!message.includes(secret), `the message shows a secret: ${message}`);
  }
  assert.doesNotMatch(message, /ya29\.standin-|eyJ[A-Za-z0-9_-]{10,}\./, message);
}

const row = (...values: unknown[]): StandinRow => ({ f: values.map((v) => ({ v })) });

/** `name:TYPE name:TYPE ...` as schema fields. */
const fieldsOf = (spec: string): StandinField[] =>
  spec.split(' ').map((pair) => {
    const [name = '', type = ''] = pair.split(':');
    return { name, type };
  });

const SEVEN = 'SELECT id, name FROM seven ORDER BY id';
const sevenRows: Canned = {
  fields: fieldsOf('id:INTEGER name:STRING'),
  rows: Array.from({ length: 7 }, (_, index) => row(String(index + 1), `row ${index + 1}`)),
};
const seven = Array.from({ length: 7 }, (_, index) => ({ id: index + 1, name: `row ${index + 1}` }));

const queryGets = (standin: BigQueryStandin): number => standin.calls('GET', /\/queries\/[^/?]+\?/);
const queryPosts = (standin: BigQueryStandin): number => standin.calls('POST', /\/queries$/);

/** Microseconds since the epoch, as BigQuery writes a TIMESTAMP with useInt64Timestamp. */
const micros = (iso: string, extra = 0n): string => String(BigInt(Date.parse(iso)) * 1000n + extra);

/** Name, field, the value as BigQuery writes it, the value the driver must return. */
const TYPES: readonly (readonly [StandinField, unknown, unknown])[] = [
  [{ name: 'big', type: 'INTEGER' }, '9007199254740993', '9007199254740993'],
  [{ name: 'negative_big', type: 'INT64' }, '-9007199254740993', '-9007199254740993'],
  [{ name: 'small', type: 'INTEGER' }, '42', 42],
  [{ name: 'ratio', type: 'FLOAT' }, '0.25', 0.25],
  [{ name: 'tiny', type: 'FLOAT64' }, '1.5E-7', 1.5e-7],
  [{ name: 'inf', type: 'FLOAT' }, 'Infinity', Number.POSITIVE_INFINITY],
  [{ name: 'neg_inf', type: 'FLOAT' }, '-Infinity', Number.NEGATIVE_INFINITY],
  [{ name: 'nan', type: 'FLOAT' }, 'NaN', Number.NaN],
  [{ name: 'price', type: 'NUMERIC' }, '12.50', 12.5],
  [{ name: 'wide', type: 'BIGNUMERIC' }, '-0.000000000000000000000000000000000001', -1e-36],
  [{ name: 'ok', type: 'BOOLEAN' }, 'true', true],
  [{ name: 'no', type: 'BOOL' }, 'false', false],
  [{ name: 'label', type: 'STRING' }, 'hé "quoted"\n', 'hé "quoted"\n'],
  [{ name: 'day', type: 'DATE' }, '2024-01-02', '2024-01-02'],
  [{ name: 'at', type: 'TIMESTAMP' }, micros('2024-01-02T03:04:05Z', 120_000n), '2024-01-02T03:04:05.12Z'],
  [{ name: 'at_whole', type: 'TIMESTAMP' }, micros('2024-01-02T03:04:05Z'), '2024-01-02T03:04:05Z'],
  [{ name: 'at_micros', type: 'TIMESTAMP' }, micros('2024-01-02T03:04:05Z', 123_456n), '2024-01-02T03:04:05.123456Z'],
  [{ name: 'before_1970', type: 'TIMESTAMP' }, '-1', '1969-12-31T23:59:59.999999Z'],
  [{ name: 'far', type: 'TIMESTAMP' }, micros('9999-12-31T23:59:59Z', 999_999n), '9999-12-31T23:59:59.999999Z'],
  [{ name: 'at_float', type: 'TIMESTAMP' }, '1.7041646451E9', '2024-01-02T03:04:05.1Z'],
  [{ name: 'wall', type: 'DATETIME' }, '2024-01-02T03:04:05.500000', '2024-01-02T03:04:05.5'],
  [{ name: 'wall_whole', type: 'DATETIME' }, '2024-01-02T03:04:05', '2024-01-02T03:04:05'],
  [{ name: 'clock', type: 'TIME' }, '03:04:05.250000', '03:04:05.250000'],
  [{ name: 'blob', type: 'BYTES' }, Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64'), '\\xdeadbeef'],
  [{ name: 'doc', type: 'JSON' }, '{"a":[1,2]}', '{"a":[1,2]}'],
  [{ name: 'place', type: 'GEOGRAPHY' }, 'POINT(1 2)', 'POINT(1 2)'],
  [{ name: 'span', type: 'INTERVAL' }, '1-2 3 4:5:6', '1-2 3 4:5:6'],
  [
    { name: 'tags', type: 'INTEGER', mode: 'REPEATED' },
    [{ v: '1' }, { v: '9007199254740993' }],
    '[1,9007199254740993]',
  ],
  [{ name: 'words', type: 'STRING', mode: 'REPEATED' }, [], '[]'],
  [
    { name: 'pair', type: 'RECORD', fields: fieldsOf('x:INTEGER y:STRING at:TIMESTAMP raw:BYTES none:STRING') },
    { f: [{ v: '1' }, { v: 'z' }, { v: micros('2024-01-02T03:04:05Z') }, { v: 'AQI=' }, { v: null }] },
    '{"x":1,"y":"z","at":"2024-01-02T03:04:05Z","raw":"\\\\x0102","none":null}',
  ],
  [
    {
      name: 'items',
      type: 'RECORD',
      mode: 'REPEATED',
      fields: fieldsOf('sku:STRING price:NUMERIC qty:FLOAT64 ok:BOOLEAN'),
    },
    [{ v: { f: [{ v: 'a' }, { v: '1.50' }, { v: 'NaN' }, { v: 'true' }] } }],
    '[{"sku":"a","price":1.50,"qty":"NaN","ok":true}]',
  ],
];

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

describe('configuration', () => {
  const base: DatasourceDef = { version: 2, name: 'warehouse', type: 'bigquery' };
  const keyText = (overrides: Record<string, unknown> = {}): string =>
    JSON.stringify({
      type: 'service_account',
      project_id: 'key-project',
      private_key: KEY.pem,
      client_email: 'sa@key-project.iam.gserviceaccount.com',
      ...overrides,
    });
  const fromUrl = (url: string, fields: Partial<DatasourceDef> = {}): BigQueryConfig =>
    bigQueryConfigFromUrl({ ...base, connection_string: url, ...fields }, url, dir);

  test("fields: host is the project, database the dataset (schema_name when absent), the key inline; Google's API", () => {
    const config = bigQueryConfigFromFields(
      { ...base, host: 'my-project', database: 'sales', schema_name: 'other', credentials_json: keyText() },
      dir,
    );
    assert.deepEqual(config, {
      datasource: 'warehouse',
      project: 'my-project',
      dataset: 'sales',
      apiBase: 'https://bigquery.googleapis.com/bigquery/v2',
      credentials: {
        kind: 'key',
        key: {
          clientEmail: 'sa@key-project.iam.gserviceaccount.com',
          privateKey: KEY.pem,
          tokenUri: 'https://oauth2.googleapis.com/token',
          projectId: 'key-project',
        },
      },
    });
    const bySchema = bigQueryConfigFromFields({ ...base, host: 'p', schema_name: 'marts' }, dir);
    assert.equal(bySchema.dataset, 'marts');
    assert.deepEqual(bySchema.credentials, { kind: 'environment' });
  });

  test('a connection string: project, dataset, location, credentials_path against the storage root, api_endpoint', () => {
    const config = fromUrl(
      'bigquery://my-project/sales?location=EU&credentials_path=keys/sa.json&api_endpoint=http://127.0.0.1:9050/',
    );
    assert.deepEqual(config, {
      datasource: 'warehouse',
      project: 'my-project',
      dataset: 'sales',
      location: 'EU',
      apiBase: 'http://127.0.0.1:9050/bigquery/v2',
      credentials: { kind: 'keyFile', path: path.join(dir, 'keys/sa.json'), setting: 'credentials_path' },
    });
    const bare = fromUrl('bigquery://');
    assert.deepEqual([bare.project, bare.dataset, bare.location], [undefined, undefined, undefined]);
    throwsCode(() => fromUrl('bigquery://p/d/extra'), ErrorCode.InvalidInput, /path past the dataset/);
  });

  test('credentials_json is JSON text when it is an object, else the path of the key file; it wins over the URL', () => {
    const inline = fromUrl('bigquery://p?credentials_path=/other.json', { credentials_json: `  ${keyText()}\n` });
    assert.equal(inline.credentials.kind, 'key');
    const file = fromUrl('bigquery://p?credentials_path=/other.json', { credentials_json: 'secrets/sa.json' });
    assert.deepEqual(file.credentials, {
      kind: 'keyFile',
      path: path.join(dir, 'secrets/sa.json'),
      setting: 'credentials_json',
    });
  });

  test('fields without host are refused, naming the project; the key text never shows in an error', () => {
    throwsCode(
      () => bigQueryConfigFromFields({ ...base, database: 'sales' }, dir),
      ErrorCode.InvalidInput,
      /needs 'host'/,
    );
    const broken = `${keyText()}}`;
    const notJson = throwsCode(
      () => bigQueryConfigFromFields({ ...base, host: 'p', credentials_json: broken }, dir),
      ErrorCode.InvalidInput,
      /^Datasource 'warehouse': credentials_json is not valid JSON\.$/,
    );
    assertNoSecrets(notJson.message);
    const partial = keyText({ client_email: undefined });
    throwsCode(
      () => bigQueryConfigFromFields({ ...base, host: 'p', credentials_json: partial }, dir),
      ErrorCode.InvalidInput,
      /needs client_email and private_key/,
    );
  });

  test("a user's or a federated credential is refused as Unsupported, saying what is supported", () => {
    const user = JSON.stringify({
      type: 'authorized_user',
      client_id: 'x',
      client_secret: 's3cret',
      refresh_token: 'r',
    });
    const error = throwsCode(
      () => bigQueryConfigFromFields({ ...base, host: 'p', credentials_json: user }, dir),
      ErrorCode.Unsupported,
      /gcloud auth application-default login.*supports a service-account key .*GOOGLE_OAUTH_ACCESS_TOKEN/,
    );
    assert.ok(!error.message.includes('s3cret'));
    throwsCode(
      () => bigQueryConfigFromFields({ ...base, host: 'p', credentials_json: '{"type":"external_account"}' }, dir),
      ErrorCode.Unsupported,
      /workload identity federation/,
    );
  });

  test('secrets go over https only, or plain http to this machine: api_endpoint and the key’s token_uri', () => {
    throwsCode(
      () => fromUrl('bigquery://p?api_endpoint=http://bigquery.example.com'),
      ErrorCode.InvalidInput,
      /api_endpoint must be an https URL \(plain http only to this machine\), got 'http:\/\/bigquery\.example\.com'/,
    );
    throwsCode(() => fromUrl('bigquery://p?api_endpoint=ftp://127.0.0.1'), ErrorCode.InvalidInput, /https URL/);
    assert.equal(
      fromUrl('bigquery://p?api_endpoint=https://bq.example.com/proxy').apiBase,
      'https://bq.example.com/proxy/bigquery/v2',
    );
    for (const local of ['http://localhost:1', 'http://[::1]:1', 'http://127.0.0.2:1']) {
      assert.match(fromUrl(`bigquery://p?api_endpoint=${local}`).apiBase, /^http:/);
    }
    const httpToken = keyText({ token_uri: 'http://oauth2.example.com/token' });
    throwsCode(
      () => fromUrl('bigquery://p', { credentials_json: httpToken }),
      ErrorCode.InvalidInput,
      /token_uri must be an https URL/,
    );
  });

  test('a bigquery datasource is runnable: openDriver gives a lazy BigQuery driver without touching anything', () => {
    assert.ok((RUNNABLE_DATASOURCE_TYPES as readonly string[]).includes('bigquery'));
    const byType = openDriver({ ...base, host: 'p', credentials_json: keyText() }, { baseDir: dir });
    assert.equal(byType.dialect, 'bigquery');
    const byUrl = openDriver({ version: 2, name: 'w', connection_string: 'bigquery://p/d' }, { baseDir: dir });
    assert.equal(byUrl.dialect, 'bigquery');
    throwsCode(() => openDriver({ ...base }, { baseDir: dir }), ErrorCode.InvalidInput, /needs 'host'/);
  });
});

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

describe('signing in', () => {
  const one: Canned = { fields: [{ name: 'one', type: 'INTEGER' }], rows: [row('1')] };

  test('the assertion is RS256-signed by the key and claims iss, scope, aud, iat and exp an hour on; the API gets the token', async () => {
    await withStandin({ results: { 'SELECT 1': one } }, async ({ standin, email, driver }) => {
      const now = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
      const result = await driver(undefined, { now: () => now }).run('SELECT 1');
      assert.deepEqual(result.rows, [{ one: 1 }]);
      assert.equal(standin.tokenRequests.length, 1, 'the stand-in verified the signature with the public key');
      const [request] = standin.tokenRequests;
      assert.deepEqual(request?.header, { alg: 'RS256', typ: 'JWT', kid: KEY_ID });
      const iat = Math.floor(now / 1000);
      assert.deepEqual(request?.claims, {
        iss: email,
        scope: 'https://www.googleapis.com/auth/bigquery',
        aud: standin.tokenUri,
        iat,
        exp: iat + 3600,
      });
      const api = standin.requests.filter((r) => r.path.startsWith('/bigquery/'));
      assert.ok(api.length > 0 && api.every((r) => /^Bearer ya29\.standin-/.test(r.headers.authorization ?? '')));
    });
  });

  test('a token is kept across runs and drivers, and renewed a minute before it expires', async () => {
    await withStandin({ results: { 'SELECT 1': one }, tokenSeconds: 3600 }, async ({ standin, driver }) => {
      let now = Date.now();
      const clock = { now: () => now };
      const start = now;
      await driver(undefined, clock).run('SELECT 1');
      await driver(undefined, clock).run('SELECT 1');
      assert.equal(standin.tokenRequests.length, 1, 'a second driver reuses the first one’s token');
      now = start + 3_540_000 - 1;
      await driver(undefined, clock).run('SELECT 1');
      assert.equal(standin.tokenRequests.length, 1, 'just over a minute left: still kept');
      now = start + 3_540_000;
      await driver(undefined, clock).run('SELECT 1');
      assert.equal(standin.tokenRequests.length, 2, 'a minute left: renewed');
    });
  });

  test('a token the API refuses (401) is dropped and a new one fetched, once', async () => {
    await withStandin({ results: { 'SELECT 1': one } }, async ({ standin, driver }) => {
      await driver().run('SELECT 1');
      standin.revokeTokens();
      const result = await driver().run('SELECT 1');
      assert.deepEqual(result.rows, [{ one: 1 }]);
      assert.equal(standin.tokenRequests.length, 2);
    });
  });

  test('GOOGLE_APPLICATION_CREDENTIALS names a key file; the project falls back to its project_id', async () => {
    await withStandin({ results: { 'SELECT 1': one } }, async ({ standin, keyJson }) => {
      const file = path.join(dir, `adc-${standin.hostPort.replace(/\W/g, '-')}.json`);
      writeFileSync(file, keyJson({ project_id: 'from-key' }));
      const url = `bigquery://?api_endpoint=${standin.url}`;
      const ds: DatasourceDef = { version: 2, name: 'adc', connection_string: url };
      const env = { GOOGLE_APPLICATION_CREDENTIALS: file };
      const driver = new BigQueryDriver(bigQueryConfigFromUrl(ds, url, dir), (t) => t, { env });
      assert.deepEqual((await driver.run('SELECT 1')).rows, [{ one: 1 }]);
      assert.equal(standin.queries.length, 1);
      assert.equal(
        standin.requests.find((r) => r.method === 'POST' && r.path.endsWith('/queries'))?.path,
        '/bigquery/v2/projects/from-key/queries',
      );
    });
  });

  test('GOOGLE_OAUTH_ACCESS_TOKEN is used as it is, without the token service', async () => {
    const token = 'ya29.a-static-token-for-the-test-0123456789';
    await withStandin({ results: { 'SELECT 1': one }, staticToken: token }, async ({ standin, ds, driver }) => {
      const result = await driver(ds('', { credentials_json: undefined }), {
        env: { GOOGLE_OAUTH_ACCESS_TOKEN: token },
      }).run('SELECT 1');
      assert.deepEqual(result.rows, [{ one: 1 }]);
      assert.equal(standin.tokenRequests.length, 0);
      assert.ok(standin.requests.every((r) => r.headers.authorization === `Bearer ${token}`));
    });
  });

  test('no credentials anywhere, or a user credential in GOOGLE_APPLICATION_CREDENTIALS: a clear error, nothing sent', async () => {
    await withStandin({ results: {} }, async ({ standin, ds, driver }) => {
      const none = await rejectsWith(
        driver(ds('', { credentials_json: undefined })).run('SELECT 1'),
        ErrorCode.InvalidInput,
      );
      assert.match(none.message, /has no credentials: set a service-account key .*GOOGLE_APPLICATION_CREDENTIALS/);
      const file = path.join(dir, 'user-credentials.json');
      writeFileSync(file, JSON.stringify({ type: 'authorized_user', refresh_token: 'r' }));
      const env = { GOOGLE_APPLICATION_CREDENTIALS: file };
      const user = await rejectsWith(
        driver(ds('', { credentials_json: undefined }), { env }).run('SELECT 1'),
        ErrorCode.Unsupported,
      );
      assert.match(user.message, /the key file in GOOGLE_APPLICATION_CREDENTIALS holds a user's credentials/);
      const missing = { GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'nope.json') };
      const unreadable = await rejectsWith(
        driver(ds('', { credentials_json: undefined }), { env: missing }).run('SELECT 1'),
        ErrorCode.InvalidInput,
      );
      assert.match(
        unreadable.message,
        /cannot read the key file in GOOGLE_APPLICATION_CREDENTIALS \('.*nope\.json', ENOENT\)/,
      );
      assert.equal(standin.requests.length, 0);
    });
  });

  test("a key the token service refuses: ConnectionFailed with Google's reason, never the key or the assertion", async () => {
    await withStandin({ results: {} }, async ({ standin, ds, keyJson, driver }) => {
      const other = pair();
      const wrong = ds('', { credentials_json: keyJson({ private_key: other.pem }) });
      const error = await rejectsWith(driver(wrong).run('SELECT 1'), ErrorCode.ConnectionFailed);
      assert.match(
        error.message,
        /token service refused the service account slayer-\d+@.* \(HTTP 400\): invalid_grant: Invalid JWT Signature/,
      );
      assert.match(error.message, /\(assertion \*\*\*\)/, 'the echoed assertion is masked');
      for (const line of other.pem.split('\n').filter((l) => l.length > 16)) assert.ok(!error.message.includes(line));
      assertNoSecrets(error.message);
      assert.equal(standin.queries.length, 0);
    });
  });
});

// ---------------------------------------------------------------------------
// Rows: polling, paging, values
// ---------------------------------------------------------------------------

describe('rows', () => {
  test('jobs.query carries the SQL, GoogleSQL, the page size, the wait, a requestId, the dataset and location', async () => {
    const canned: Canned = { fields: [{ name: 'one', type: 'INTEGER' }], rows: [row('1')] };
    await withStandin({ results: { 'SELECT 1 AS one': canned } }, async ({ standin, ds, driver }) => {
      await driver(ds('&location=EU')).run('SELECT 1 AS one', { maxRows: 100 });
      const [body] = standin.queries;
      assert.match(String(body?.requestId), /^[0-9a-f-]{36}$/);
      assert.deepEqual(body, {
        query: 'SELECT 1 AS one',
        useLegacySql: false,
        maxResults: 101,
        timeoutMs: 10_000,
        requestId: body?.requestId,
        jobCreationMode: 'JOB_CREATION_OPTIONAL',
        formatOptions: { useInt64Timestamp: true },
        defaultDataset: { projectId: PROJECT, datasetId: 'sales' },
        location: 'EU',
      });
      const post = standin.requests.find((r) => r.path.endsWith('/queries'));
      assert.equal(post?.path, `/bigquery/v2/projects/${PROJECT}/queries`);
    });
  });

  test('a dataset of another project is named as project.dataset; no dataset, no defaultDataset', async () => {
    const canned: Canned = { fields: [{ name: 'one', type: 'INTEGER' }], rows: [row('1')] };
    await withStandin({ results: { 'SELECT 1': canned } }, async ({ standin, keyJson, driver }) => {
      const other: DatasourceDef = {
        version: 2,
        name: 'w',
        connection_string: `bigquery://${PROJECT}/bigquery-public-data.thelook_ecommerce?api_endpoint=${standin.url}`,
        credentials_json: keyJson(),
      };
      await driver(other).run('SELECT 1');
      assert.deepEqual(standin.queries[0]?.defaultDataset, {
        projectId: 'bigquery-public-data',
        datasetId: 'thelook_ecommerce',
      });
      const none = { ...other, connection_string: `bigquery://${PROJECT}?api_endpoint=${standin.url}` };
      await driver(none).run('SELECT 1');
      assert.ok(!('defaultDataset' in (standin.queries[1] ?? {})));
    });
  });

  test('a job not complete yet is polled through getQueryResults, in its location, until jobComplete', async () => {
    await withStandin(
      { results: { [SEVEN]: { ...sevenRows, polls: 3 } }, pageRows: 10 },
      async ({ standin, driver }) => {
        const result = await driver().run(SEVEN);
        assert.deepEqual(result, { columns: ['id', 'name'], rows: seven, truncated: false });
        assert.equal(queryGets(standin), 3, 'jobs.query said not complete; two polls not complete, the third the rows');
        const [job] = standin.jobs;
        const polls = standin.requests.filter((r) => r.method === 'GET').map((r) => new URL(r.path, standin.url));
        assert.ok(polls.every((url) => url.pathname === `/bigquery/v2/projects/${PROJECT}/queries/${job}`));
        assert.ok(
          polls.every((url) => url.searchParams.get('location') === 'US'),
          'the location of jobReference',
        );
        assert.ok(polls.every((url) => url.searchParams.get('formatOptions.useInt64Timestamp') === 'true'));
        assert.deepEqual(standin.cancelled, [], 'a job read to its end is not cancelled');
      },
    );
  });

  test('rows arrive over several pages by pageToken, in order', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, pageRows: 2 }, async ({ standin, driver }) => {
      const result = await driver().run(SEVEN);
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven, truncated: false });
      const tokens = standin.requests
        .filter((r) => r.method === 'GET')
        .map((r) => new URL(r.path, standin.url).searchParams.get('pageToken'));
      assert.deepEqual(tokens, ['page-2', 'page-4', 'page-6']);
    });
  });

  test('the preview cap: one row past maxRows says truncated; no page past it is asked for', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, pageRows: 2 }, async ({ standin, driver }) => {
      const result = await driver().run(SEVEN, { maxRows: 3 });
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven.slice(0, 3), truncated: true });
      assert.equal(standin.queries[0]?.maxResults, 4);
      const asked = standin.requests
        .filter((r) => r.method === 'GET')
        .map((r) => new URL(r.path, standin.url).searchParams.get('maxResults'));
      assert.deepEqual(asked, ['2'], 'the second page, of the two rows that reach past the cap, and no third');
      const exact = await driver().run(SEVEN, { maxRows: 7 });
      assert.deepEqual([exact.rows.length, exact.truncated], [7, false]);
      const none = await driver().run(SEVEN, { maxRows: 0 });
      assert.deepEqual([none.rows, none.truncated], [[], true]);
    });
  });

  test('a maxRows that is not a whole number is refused before any request', async () => {
    await withStandin({ results: {} }, async ({ standin, driver }) => {
      await rejectsWith(driver().run(SEVEN, { maxRows: 1.5 }), ErrorCode.InvalidInput);
      assert.equal(standin.requests.length, 0);
    });
  });

  test('every type maps to the driver contract; an INT64 past 2^53 keeps every digit; arrays and records as JSON', async () => {
    const canned: Canned = {
      fields: TYPES.map(([field]) => field),
      rows: [row(...TYPES.map(([, sent]) => sent)), row(...TYPES.map(() => null))],
    };
    await withStandin({ results: { 'SELECT everything': canned } }, async ({ driver }) => {
      const result = await driver().run('SELECT everything');
      assert.deepEqual(
        result.columns,
        TYPES.map(([field]) => field.name),
      );
      assert.deepEqual(result.rows, [
        Object.fromEntries(TYPES.map(([field, , expected]) => [field.name, expected])),
        Object.fromEntries(TYPES.map(([field]) => [field.name, null])),
      ]);
    });
  });

  test('an empty result still names its columns', async () => {
    const canned: Canned = { fields: [{ name: 'id', type: 'INTEGER' }], rows: [] };
    await withStandin({ results: { 'SELECT id FROM t WHERE false': canned } }, async ({ driver }) => {
      const result = await driver().run('SELECT id FROM t WHERE false');
      assert.deepEqual(result, { columns: ['id'], rows: [], truncated: false });
    });
  });

  test('through the engine: dotless result names (orders___status) come back under their field keys', async () => {
    await withStandin({ results: {} }, async ({ standin, keyJson }) => {
      const datasource: DatasourceDef = {
        version: 2,
        name: 'shop',
        type: 'bigquery',
        connection_string: `bigquery://${PROJECT}/shop?api_endpoint=${standin.url}`,
        credentials_json: keyJson(),
      };
      const host = {
        catalog: new StaticCatalog(shopModels(), [datasource]),
        openDriver: (ds: DatasourceDef) => openDriver(ds, { baseDir: dir, env: {} }),
      };
      const stages = decodeQuery({ source_model: 'orders', dimensions: ['status'], measures: ['*:count'] });
      const { sql } = await executeQuery(stages, host, { dryRun: true });
      assert.match(sql, /AS `orders___status`/);
      const fields = fieldsOf('orders___status:STRING orders____count:INTEGER');
      standin.setResult(sql, { fields, rows: [row('paid', '3')] });
      const response = await executeQuery(stages, host);
      assert.deepEqual(response.columns, ['orders.status', 'orders._count']);
      assert.deepEqual(response.data, [{ 'orders.status': 'paid', 'orders._count': 3 }]);
    });
  });
});

// ---------------------------------------------------------------------------
// Busy servers, errors, cancel, time limits, redaction
// ---------------------------------------------------------------------------

describe('errors, retries and cancel', () => {
  test('429, 503 and 403 rateLimitExceeded are asked again after Retry-After, with the same requestId', async () => {
    const busy = [
      { status: 429, retryAfter: '0.2', reason: 'rateLimitExceeded' },
      { status: 503, retryAfter: '0', reason: 'backendError' },
      { status: 403, reason: 'rateLimitExceeded' },
    ];
    await withStandin({ results: { [SEVEN]: sevenRows }, pageRows: 10, busy }, async ({ standin, driver }) => {
      const started = Date.now();
      const result = await driver().run(SEVEN);
      assert.deepEqual(result.rows, seven);
      assert.ok(Date.now() - started >= 190, 'the 429 asked for 0.2 s, and got it');
      assert.equal(queryPosts(standin), 4, 'three busy answers, then the query');
      assert.equal(new Set(standin.queries.map((q) => q.requestId)).size, 1, 'a resend is the same request');
    });
  });

  test('past the retries, the busy answer is the error, with its reason', async () => {
    const busy = Array.from({ length: 4 }, () => ({ status: 503, retryAfter: '0', reason: 'backendError' }));
    await withStandin({ results: { [SEVEN]: sevenRows }, busy }, async ({ standin, driver }) => {
      const error = await rejectsWith(driver().run(SEVEN), ErrorCode.DatabaseError);
      assert.equal(error.message, 'BigQuery answered HTTP 503: Busy: backendError (backendError)');
      assert.equal(queryPosts(standin), 4);
    });
  });

  test("a query BigQuery rejects: DatabaseError with Google's message and reason; at once or after polls", async () => {
    const message = 'Syntax error: Unexpected identifier "nope" at [1:8]';
    const rejected: Canned = { error: { code: 400, message, reason: 'invalidQuery', status: 'INVALID_ARGUMENT' } };
    const later: Canned = {
      error: { code: 404, message: 'Not found: Table p:sales.gone', reason: 'notFound' },
      polls: 2,
    };
    await withStandin(
      { results: { 'SELECT nope': rejected, 'SELECT * FROM gone': later } },
      async ({ standin, driver }) => {
        const now = await rejectsWith(driver().run('SELECT nope'), ErrorCode.DatabaseError);
        assert.equal(now.message, `BigQuery rejected the query: ${message} (invalidQuery)`);
        const polled = await rejectsWith(driver().run('SELECT * FROM gone'), ErrorCode.DatabaseError);
        assert.equal(polled.message, 'BigQuery answered HTTP 404: Not found: Table p:sales.gone (notFound)');
        assert.equal(queryGets(standin), 2);
        assert.deepEqual(standin.cancelled, [], 'a job that ended on its own is not cancelled');
      },
    );
  });

  test('an abort while the job runs rejects with Cancelled and cancels the job on BigQuery', async () => {
    const never: Canned = { ...sevenRows, polls: Number.POSITIVE_INFINITY };
    await withStandin({ results: { [SEVEN]: never } }, async ({ standin, driver }) => {
      const controller = new AbortController();
      const running = driver().run(SEVEN, { signal: controller.signal });
      await standin.until(() => queryGets(standin) > 0);
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      await standin.until(() => standin.cancelled.length > 0);
      assert.deepEqual(standin.cancelled, standin.jobs);
      const cancel = standin.requests.find((r) => r.path.includes('/cancel'));
      assert.equal(cancel?.method, 'POST');
      assert.equal(cancel?.path, `/bigquery/v2/projects/${PROJECT}/jobs/${standin.jobs[0] ?? ''}/cancel?location=US`);
      assert.match(cancel?.headers.authorization ?? '', /^Bearer ya29\.standin-/);
    });
  });

  test('an already aborted signal sends nothing, not even a token request', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows } }, async ({ standin, driver }) => {
      await rejectsWith(driver().run(SEVEN, { signal: AbortSignal.abort() }), ErrorCode.Cancelled);
      assert.equal(standin.requests.length, 0);
    });
  });

  test('a server that never answers fails the run at the request time limit, naming BigQuery and where', async () => {
    await withStandin({ results: {}, silent: ['SELECT sleep'] }, async ({ standin, driver }) => {
      const started = Date.now();
      const error = await rejectsWith(
        driver(undefined, {}, { requestTimeoutMs: 300 }).run('SELECT sleep'),
        ErrorCode.ConnectionFailed,
      );
      assert.equal(error.message, `BigQuery at ${standin.url} did not answer within 0.3 s.`);
      assert.ok(Date.now() - started < 5_000);
    });
  });

  test('no key, assertion or token ever shows in an error, wherever the text came from', async () => {
    // BigQuery's own message quoting a line of the private key and the key id.
    const quoting: Canned = {
      error: { code: 400, message: `cannot use key ${KEY_ID}: ${KEY_LINES[3] ?? ''} rejected`, reason: 'invalid' },
    };
    const token = 'ya29.a-wrong-static-token-0123456789abcdef';
    await withStandin({ results: { 'SELECT 1': quoting } }, async ({ ds, driver }) => {
      const quoted = await rejectsWith(driver().run('SELECT 1'), ErrorCode.DatabaseError);
      assert.match(quoted.message, /cannot use key \*\*\*: \*\*\* rejected/);
      assertNoSecrets(quoted.message);
      // A refused token whose 401 body repeats the header it was sent.
      const env = { GOOGLE_OAUTH_ACCESS_TOKEN: token };
      const refused = await rejectsWith(
        driver(ds('', { credentials_json: undefined }), { env }).run('SELECT 1'),
        ErrorCode.ConnectionFailed,
      );
      assert.match(refused.message, /^BigQuery refused the credentials \(HTTP 401\): .*Got 'Bearer \*\*\*'/);
      assertNoSecrets(refused.message, token);
    });
  });
});
