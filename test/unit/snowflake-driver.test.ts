/**
 * The Snowflake driver against a stand-in of Snowflake's SQL API
 * (test/support/snowflake-standin.ts, whose header says what it proves and
 * what it does not), the reading of Snowflake datasources (fields, connection
 * strings, connections.toml profiles), the key-pair JWT, and the TOML subset
 * reader. Every key pair is generated here, per run, into a temporary folder.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { openDriver } from '../../server/src/engine/drivers/connect';
import { redactCredentials } from '../../server/src/engine/drivers/credentials';
import { keyPairJwt, SnowflakeDriver } from '../../server/src/engine/drivers/snowflake';
import {
  connectionsFile,
  loadSnowflakeConfig,
  snowflakeSettingsFromFields,
  snowflakeSettingsFromUrl,
  type SnowflakeConfig,
  type SnowflakeSettings,
} from '../../server/src/engine/drivers/snowflake-config';
import { readToml, TomlError } from '../../server/src/engine/drivers/toml-subset';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import { withStarted } from '../support/http-standin';
import { rejectsWith, throwsWith } from '../support/rejects-with';
import {
  fingerprintOf,
  SnowflakeStandin,
  type Canned,
  type StandinAuth,
  type StandinOptions,
} from '../support/snowflake-standin';

// ---------------------------------------------------------------------------
// Keys and files, made per run
// ---------------------------------------------------------------------------

const ACCOUNT = 'xy12345.us-east-1';
const USER = 'analyst';
const PASSPHRASE = 'correct horse battery staple';
const OAUTH_TOKEN = 'ver:1-hint:1234-ETMsDgAAAYZoauthTokenForTheStandinOnly';

let dir = '';
let publicKey: KeyObject;
let privatePem = '';
let keyFile = '';
let encryptedKeyFile = '';
let otherKeyFile = '';

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'slayer-snowflake-'));
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  publicKey = pair.publicKey;
  privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  keyFile = path.join(dir, 'rsa_key.p8');
  writeFileSync(keyFile, privatePem, { mode: 0o600 });
  encryptedKeyFile = path.join(dir, 'rsa_key_encrypted.p8');
  const encrypted = pair.privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: PASSPHRASE,
  });
  writeFileSync(encryptedKeyFile, encrypted, { mode: 0o600 });
  otherKeyFile = path.join(dir, 'other_key.p8');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(otherKeyFile, other.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A SNOWFLAKE_HOME holding `toml` as its connections.toml. */
function snowflakeHome(toml: string): string {
  const home = mkdtempSync(path.join(dir, 'home-'));
  writeFileSync(path.join(home, 'connections.toml'), toml);
  return home;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function datasource(connectionString: string, fields: Partial<DatasourceDef> = {}): DatasourceDef {
  return { version: 2, name: 'sf', type: 'snowflake', connection_string: connectionString, ...fields };
}

/** A connection string reaching the stand-in, key-pair by default. */
function connectionString(
  standin: SnowflakeStandin,
  params = `private_key_file=${encodeURIComponent(keyFile)}`,
): string {
  return (
    `snowflake://${USER}@${ACCOUNT}/shop/public?warehouse=compute_wh&role=analyst_role` +
    `&host=${encodeURIComponent(standin.url)}&${params}`
  );
}

/** A driver for the stand-in, with the redactor connect.ts binds to a datasource; polls kept quick. */
function driverFor(standin: SnowflakeStandin, params?: string): SnowflakeDriver {
  const ds = datasource(connectionString(standin, params));
  const settings: SnowflakeSettings = {
    ...snowflakeSettingsFromUrl(ds, ds.connection_string ?? ''),
    pollIntervalMs: 5,
  };
  return new SnowflakeDriver(settings, (text) => redactCredentials(text, ds), { baseDir: dir, env: {} });
}

function keyPairAuth(): StandinAuth {
  return { publicKey, account: 'XY12345', user: 'ANALYST' };
}

async function withStandin(
  options: Omit<StandinOptions, 'auth'> & { auth?: StandinAuth },
  work: (standin: SnowflakeStandin) => Promise<void>,
): Promise<void> {
  return withStarted(SnowflakeStandin.start({ auth: keyPairAuth(), ...options }), work);
}

/** Throws InvalidInput whose message matches `pattern`; the error, for more checks. */
function throwsInvalid(work: () => unknown, pattern: RegExp): SlayerError {
  const error = throwsWith(work, ErrorCode.InvalidInput);
  assert.match(error.message, pattern);
  return error;
}

const posts = (standin: SnowflakeStandin) => standin.requests.filter((r) => r.method === 'POST');
const partitionGets = (standin: SnowflakeStandin) => standin.requests.filter((r) => r.path.includes('partition='));
const statusGets = (standin: SnowflakeStandin) =>
  standin.requests.filter((r) => r.method === 'GET' && !r.path.includes('partition='));

const SEVEN = 'SELECT id, name FROM seven ORDER BY id';
const sevenRows: Canned = {
  columns: [
    { name: 'ID', type: 'fixed', scale: 0 },
    { name: 'NAME', type: 'text' },
  ],
  rows: Array.from({ length: 7 }, (_, index) => [String(index + 1), `row ${index + 1}`]),
};
const seven = Array.from({ length: 7 }, (_, index) => ({ ID: index + 1, NAME: `row ${index + 1}` }));

/** Name, rowType type and scale, the value as the SQL API writes it, the value the driver must return. */
const TYPES: readonly (readonly [string, string, number | undefined, string, unknown])[] = [
  ['big', 'fixed', 0, '9007199254740993', '9007199254740993'],
  ['negative_big', 'fixed', 0, '-9007199254740993', '-9007199254740993'],
  ['n', 'fixed', 0, '42', 42],
  ['price', 'fixed', 2, '12.50', 12.5],
  ['negative_price', 'fixed', 2, '-0.05', -0.05],
  ['ratio', 'real', undefined, '0.25', 0.25],
  ['huge', 'real', undefined, '1.5e+300', 1.5e300],
  ['not_a_number', 'real', undefined, 'NaN', Number.NaN],
  ['infinite', 'real', undefined, 'inf', Number.POSITIVE_INFINITY],
  ['dec', 'decfloat', undefined, '1234.5', 1234.5],
  ['ok', 'boolean', undefined, 'true', true],
  ['no', 'boolean', undefined, 'false', false],
  ['name', 'text', undefined, 'hé "quoted"\n', 'hé "quoted"\n'],
  ['day', 'date', undefined, '19724', '2024-01-02'],
  ['old_day', 'date', undefined, '-1', '1969-12-31'],
  ['clock', 'time', 9, '82919.500000000', '23:01:59.5'],
  ['at_ntz', 'timestamp_ntz', 9, '1704164645.120000000', '2024-01-02T03:04:05.12'],
  ['at_ntz_whole', 'timestamp_ntz', 0, '1704164645', '2024-01-02T03:04:05'],
  ['before_epoch', 'timestamp_ntz', 9, '-1.500000000', '1969-12-31T23:59:58.5'],
  ['at_ltz', 'timestamp_ltz', 9, '1704164645.000000000', '2024-01-02T03:04:05Z'],
  // 1440 + 120: written at +02:00; the moment is the same, shown in UTC.
  ['at_tz', 'timestamp_tz', 9, '1704164645.000001000 1560', '2024-01-02T03:04:05.000001Z'],
  ['at_tz_west', 'timestamp_tz', 3, '1704164645.250 960', '2024-01-02T03:04:05.25Z'],
  ['bytes', 'binary', undefined, 'DEADBEEF', '\\xdeadbeef'],
  ['doc', 'variant', undefined, '{\n  "a": 9007199254740993\n}', '{\n  "a": 9007199254740993\n}'],
  ['pair', 'object', undefined, '{"x":1}', '{"x":1}'],
  ['tags', 'array', undefined, '[\n  1,\n  2\n]', '[\n  1,\n  2\n]'],
];

// ---------------------------------------------------------------------------
// Rows, partitions, polling and values
// ---------------------------------------------------------------------------

describe('rows, partitions and polling', () => {
  test('rows arrive across several partitions, in order, each read with ?partition=N (gzip-compressed)', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, partitionSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN);
      assert.deepEqual(result, { columns: ['ID', 'NAME'], rows: seven, truncated: false });
      assert.deepEqual(
        partitionGets(standin).map((r) => new URL(r.path, 'http://x').searchParams.get('partition')),
        ['1', '2', '3'],
        'seven rows, two a partition: the first comes with the result, three more are read',
      );
      assert.deepEqual(standin.cancelled, [], 'a statement read to its end is not cancelled');
    });
  });

  test('the statement is submitted asynchronously and its 202s are polled by handle until the result', async () => {
    await withStandin({ results: { [SEVEN]: { ...sevenRows, polls: 3 } }, partitionSize: 10 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN);
      assert.deepEqual(result.rows, seven);
      const handle = standin.statements[0];
      assert.ok(handle !== undefined);
      assert.match(posts(standin)[0]?.path ?? '', /^\/api\/v2\/statements\?async=true&requestId=[0-9a-f-]{36}$/);
      assert.deepEqual(
        statusGets(standin).map((r) => r.path),
        Array.from({ length: 4 }, () => `/api/v2/statements/${handle}`),
        'three polls answered 202, the fourth the result',
      );
    });
  });

  test('an empty result still names its columns', async () => {
    const canned: Canned = { columns: [{ name: 'ID', type: 'fixed', scale: 0 }], rows: [] };
    await withStandin({ results: { 'SELECT id FROM t WHERE false': canned } }, async (standin) => {
      const result = await driverFor(standin).run('SELECT id FROM t WHERE false');
      assert.deepEqual(result, { columns: ['ID'], rows: [], truncated: false });
    });
  });

  test('every type maps to the driver contract by its rowType type and scale', async () => {
    const canned: Canned = {
      columns: TYPES.map(([name, type, scale]) => (scale === undefined ? { name, type } : { name, type, scale })),
      rows: [TYPES.map(([, , , sent]) => sent), TYPES.map(() => null)],
    };
    await withStandin({ results: { 'SELECT everything': canned }, partitionSize: 10 }, async (standin) => {
      const values = Object.fromEntries(TYPES.map(([name, , , , expected]) => [name, expected]));
      const nulls = Object.fromEntries(TYPES.map(([name]) => [name, null]));
      assert.deepEqual(await driverFor(standin).run('SELECT everything'), {
        columns: Object.keys(values),
        rows: [values, nulls],
        truncated: false,
      });
    });
  });
});

// ---------------------------------------------------------------------------
// maxRows and cancellation
// ---------------------------------------------------------------------------

describe('maxRows', () => {
  test('stops at the row past the limit and says truncated, reading no partition it does not need', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, partitionSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 3 });
      assert.deepEqual(result, { columns: ['ID', 'NAME'], rows: seven.slice(0, 3), truncated: true });
      assert.equal(partitionGets(standin).length, 1, 'the fourth row is in partition 1; partition 2 is not read');
    });
  });

  test('a limit met at a partition boundary is truncated without reading the next partition', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, partitionSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 4 });
      assert.deepEqual([result.rows.length, result.truncated], [4, true]);
      assert.equal(partitionGets(standin).length, 1);
    });
  });

  test('a limit equal to the row count reads to the end: not truncated', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, partitionSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 7 });
      assert.deepEqual([result.rows.length, result.truncated], [7, false]);
    });
  });

  test('a maxRows that is not a whole number is refused before any request', async () => {
    await withStandin({ results: {} }, async (standin) => {
      await rejectsWith(driverFor(standin).run(SEVEN, { maxRows: -1 }), ErrorCode.InvalidInput);
      assert.equal(standin.requests.length, 0);
    });
  });
});

describe('cancellation', () => {
  test('an abort while the statement runs rejects with Cancelled and POSTs its cancel', async () => {
    const never: Canned = { ...sevenRows, polls: Number.POSITIVE_INFINITY };
    await withStandin({ results: { [SEVEN]: never } }, async (standin) => {
      const controller = new AbortController();
      const running = driverFor(standin).run(SEVEN, { signal: controller.signal });
      await standin.until(() => statusGets(standin).length > 0);
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      await standin.until(() => standin.cancelled.length > 0);
      assert.deepEqual(standin.cancelled, standin.statements);
      const cancel = standin.requests.find((r) => r.path.endsWith('/cancel'));
      assert.equal(cancel?.path, `/api/v2/statements/${standin.statements[0] ?? ''}/cancel`);
    });
  });

  test('an already aborted signal sends nothing', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows } }, async (standin) => {
      await rejectsWith(driverFor(standin).run(SEVEN, { signal: AbortSignal.abort() }), ErrorCode.Cancelled);
      assert.equal(standin.requests.length, 0);
    });
  });
});

// ---------------------------------------------------------------------------
// Errors, retries, time limits and redaction
// ---------------------------------------------------------------------------

describe('errors', () => {
  test("a failed statement (422) surfaces Snowflake's message, code and SQL state, and is not cancelled", async () => {
    const error = {
      code: '002003',
      sqlState: '42S02',
      message: "SQL compilation error:\nObject 'NOPE' does not exist.",
    };
    await withStandin({ results: { 'SELECT * FROM nope': { error, polls: 1 } } }, async (standin) => {
      const failed = await rejectsWith(driverFor(standin).run('SELECT * FROM nope'), ErrorCode.DatabaseError);
      assert.equal(failed.message, `${error.message} (code 002003, SQLSTATE 42S02)`);
      assert.deepEqual(standin.cancelled, [], 'a statement that ended on its own is not cancelled');
    });
  });

  test('a 429 (Retry-After) is asked again, and the statement then runs', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, busyTimes: 2, partitionSize: 10 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN);
      assert.deepEqual(result.rows, seven);
      assert.equal(posts(standin).length, 3, 'two 429s, then the POST');
    });
  });

  test('the statement carries its time limit; one past it (408) fails as TimedOut', async () => {
    await withStandin({ results: { SLOW: { timeout: true, polls: 1 }, [SEVEN]: sevenRows } }, async (standin) => {
      const timedOut = await rejectsWith(driverFor(standin).run('SLOW'), ErrorCode.TimedOut);
      assert.match(timedOut.message, /time limit of 120 s .*timeout of 120 second/);
      const body = JSON.parse(posts(standin)[0]?.body ?? '{}') as { timeout?: unknown };
      assert.equal(body.timeout, 120, "SLayer's default limit, as the statement's timeout");
      const params = `private_key_file=${encodeURIComponent(keyFile)}&statement_timeout_in_seconds=30`;
      await driverFor(standin, params).run(SEVEN);
      assert.equal((JSON.parse(posts(standin)[1]?.body ?? '{}') as { timeout?: unknown }).timeout, 30);
      assert.deepEqual(standin.cancelled, []);
    });
  });

  test('the JWT never appears in an error, even when Snowflake quotes the header it was sent', async () => {
    const quoting: Canned = {
      error: { code: '003001', sqlState: '42501', message: 'Insufficient privileges for {authorization}' },
    };
    await withStandin({ results: { 'SELECT 1': quoting } }, async (standin) => {
      const failed = await rejectsWith(driverFor(standin).run('SELECT 1'), ErrorCode.DatabaseError);
      assert.match(failed.message, /^Insufficient privileges for Bearer \*\*\*/);
      assert.doesNotMatch(failed.message, /eyJ/);
      // A key Snowflake does not know: 401, whose body repeats the JWT it was sent.
      const wrongKey = `private_key_file=${encodeURIComponent(otherKeyFile)}`;
      const refused = await rejectsWith(driverFor(standin, wrongKey).run('SELECT 1'), ErrorCode.ConnectionFailed);
      assert.match(refused.message, /HTTP 401.*bad signature/);
      assert.doesNotMatch(refused.message, /eyJ/);
    });
  });

  test('a token, a passphrase and the key text never appear in an error', async () => {
    const keyLine = readFileSync(encryptedKeyFile, 'utf8').split('\n')[5] ?? '';
    assert.ok(keyLine.length > 40);
    const leaking: Canned = {
      error: {
        code: '000001',
        sqlState: '00000',
        message: `echo {authorization} ${PASSPHRASE} ${keyLine} ${encodeURIComponent(PASSPHRASE)}`,
      },
    };
    await withStandin({ results: { 'SELECT 1': leaking } }, async (standin) => {
      const encrypted = `private_key_file=${encodeURIComponent(encryptedKeyFile)}&private_key_file_pwd=${encodeURIComponent(PASSPHRASE)}`;
      const failed = await rejectsWith(driverFor(standin, encrypted).run('SELECT 1'), ErrorCode.DatabaseError);
      for (const secret of [PASSPHRASE, encodeURIComponent(PASSPHRASE), keyLine, 'eyJ']) {
        assert.ok(!failed.message.includes(secret), failed.message);
      }
      assert.match(failed.message, /^echo Bearer \*\*\*/);
    });
    await withStandin({ results: { 'SELECT 1': leaking }, auth: { oauthToken: OAUTH_TOKEN } }, async (standin) => {
      const oauth = `authenticator=oauth&token=${encodeURIComponent(OAUTH_TOKEN)}`;
      const failed = await rejectsWith(driverFor(standin, oauth).run('SELECT 1'), ErrorCode.DatabaseError);
      assert.ok(!failed.message.includes(OAUTH_TOKEN), failed.message);
      assert.match(failed.message, /^echo Bearer \*\*\*/);
    });
  });

  test('a wrong passphrase is refused without showing it', async () => {
    const ds = datasource(
      `snowflake://${USER}@${ACCOUNT}?private_key_file=${encodeURIComponent(encryptedKeyFile)}&private_key_file_pwd=wrong-${encodeURIComponent(PASSPHRASE)}`,
    );
    const driver = new SnowflakeDriver(snowflakeSettingsFromUrl(ds, ds.connection_string ?? ''), (t) => t, {});
    const error = await rejectsWith(driver.run('SELECT 1'), ErrorCode.InvalidInput);
    assert.match(error.message, /^Datasource 'sf': the private key cannot be read: a wrong passphrase/);
    assert.ok(!error.message.includes(PASSPHRASE), error.message);
    const bare = datasource(`snowflake://${USER}@${ACCOUNT}?private_key_file=${encodeURIComponent(encryptedKeyFile)}`);
    const noPassphrase = new SnowflakeDriver(
      snowflakeSettingsFromUrl(bare, bare.connection_string ?? ''),
      (t) => t,
      {},
    );
    const missing = await rejectsWith(noPassphrase.run('SELECT 1'), ErrorCode.InvalidInput);
    assert.match(missing.message, /encrypted and no passphrase \(private_key_file_pwd\)/);
  });
});

// ---------------------------------------------------------------------------
// What the driver sends; the JWT
// ---------------------------------------------------------------------------

describe('requests and credentials', () => {
  test('the POST carries statement, timeout and the session context; identifiers in upper case', async () => {
    const canned: Canned = { columns: [{ name: 'ONE', type: 'fixed', scale: 0 }], rows: [['1']] };
    await withStandin({ results: { 'SELECT 1 AS one': canned } }, async (standin) => {
      const result = await driverFor(standin).run('SELECT 1 AS one');
      assert.deepEqual(result.rows, [{ ONE: 1 }]);
      assert.deepEqual(JSON.parse(posts(standin)[0]?.body ?? '{}'), {
        statement: 'SELECT 1 AS one',
        timeout: 120,
        database: 'SHOP',
        schema: 'PUBLIC',
        warehouse: 'COMPUTE_WH',
        role: 'ANALYST_ROLE',
      });
      for (const request of standin.requests) {
        assert.equal(request.headers['x-snowflake-authorization-token-type'], 'KEYPAIR_JWT');
        assert.equal(request.headers['user-agent'], 'slayer-studio');
      }
    });
  });

  test('every call carries a JWT the stand-in verified against the public key, with Snowflake claims', async () => {
    await withStandin({ results: { [SEVEN]: { ...sevenRows, polls: 1 } } }, async (standin) => {
      await driverFor(standin).run(SEVEN);
      assert.ok(standin.claims.length >= 3, 'the POST, the poll and the partitions were all accepted');
      const claims = standin.claims[0];
      assert.ok(claims);
      assert.equal(claims.sub, 'XY12345.ANALYST', 'account without region, both in upper case');
      assert.equal(claims.iss, `XY12345.ANALYST.${fingerprintOf(publicKey)}`);
      assert.ok(claims.exp - claims.iat <= 3600 && claims.exp > Date.now() / 1000);
    });
  });

  test('keyPairJwt: RS256 over header.payload, verifiable with the public key alone', async () => {
    const config = await loadSnowflakeConfig(
      snowflakeSettingsFromUrl(
        datasource(`snowflake://${USER}@${ACCOUNT}?private_key_file=${encodeURIComponent(keyFile)}`),
        `snowflake://${USER}@${ACCOUNT}?private_key_file=${encodeURIComponent(keyFile)}`,
      ),
    );
    assert.equal(config.auth.kind, 'KEYPAIR_JWT');
    if (config.auth.kind !== 'KEYPAIR_JWT') return;
    assert.equal(config.auth.fingerprint, fingerprintOf(publicKey));
    const jwt = keyPairJwt(config.account, config.user, config.auth, 1_700_000_000);
    const [header = '', payload = '', signature = ''] = jwt.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'RS256', typ: 'JWT' });
    assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()), {
      iss: `XY12345.ANALYST.${fingerprintOf(publicKey)}`,
      sub: 'XY12345.ANALYST',
      iat: 1_700_000_000,
      exp: 1_700_000_000 + 59 * 60,
    });
    assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url')));
    const tampered = Buffer.from(`${header}.${payload.slice(0, -2)}AA`);
    assert.ok(!verify('sha256', tampered, publicKey, Buffer.from(signature, 'base64url')));
  });

  test('OAuth sends the token as a Bearer with token type OAUTH', async () => {
    const canned: Canned = { columns: [{ name: 'ONE', type: 'fixed', scale: 0 }], rows: [['1']] };
    await withStandin({ results: { 'SELECT 1': canned }, auth: { oauthToken: OAUTH_TOKEN } }, async (standin) => {
      const tokenFile = path.join(dir, 'token.txt');
      writeFileSync(tokenFile, `${OAUTH_TOKEN}\n`);
      const params = `authenticator=oauth&token_file_path=${encodeURIComponent(tokenFile)}`;
      assert.deepEqual((await driverFor(standin, params).run('SELECT 1')).rows, [{ ONE: 1 }]);
      assert.ok(standin.requests.every((r) => r.headers.authorization === `Bearer ${OAUTH_TOKEN}`));
      assert.ok(standin.requests.every((r) => r.headers['x-snowflake-authorization-token-type'] === 'OAUTH'));
    });
  });

  test('openDriver runs a snowflake:// datasource through the lazily loaded driver', async () => {
    const canned: Canned = { columns: [{ name: 'ONE', type: 'fixed', scale: 0 }], rows: [['1']] };
    await withStandin({ results: { 'SELECT 1': canned } }, async (standin) => {
      const driver = openDriver(datasource(connectionString(standin)), { baseDir: dir, env: {} });
      assert.equal(driver.dialect, 'snowflake');
      assert.deepEqual((await driver.run('SELECT 1')).rows, [{ ONE: 1 }]);
      await driver.close();
    });
  });
});

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

describe('configuration from fields and connection strings', () => {
  const fields = (extra: Partial<DatasourceDef>): DatasourceDef => ({
    version: 2,
    name: 'sf',
    type: 'snowflake',
    ...extra,
  });

  test('connection_name defers to the profile; warehouse, role, database and schema_name override it', () => {
    const ds = fields({ connection_name: 'default', warehouse: 'wh', schema_name: 'marts', host: 'ignored' });
    assert.deepEqual(snowflakeSettingsFromFields(ds), {
      datasource: 'sf',
      connectionName: 'default',
      options: { warehouse: 'wh', schema: 'marts' },
    });
  });

  test('a password is refused with a typed error naming what to use instead, never the password', () => {
    const secret = 'hunter2-sf-password';
    const error = throwsInvalid(
      () => snowflakeSettingsFromFields(fields({ host: ACCOUNT, username: USER, password: secret })),
      /^Datasource 'sf': .*SQL API, which does not accept a password; use key-pair authentication \(private_key_file.*OAuth/,
    );
    assert.ok(!error.message.includes(secret));
    const url = `snowflake://${USER}:${secret}@${ACCOUNT}/shop`;
    const fromUrl = throwsInvalid(() => snowflakeSettingsFromUrl(datasource(url), url), /does not accept a password/);
    assert.ok(!fromUrl.message.includes(secret));
  });

  test('missing account, user or credentials are each named', () => {
    throwsInvalid(
      () => snowflakeSettingsFromFields(fields({ username: USER })),
      /needs the account identifier: 'host'/,
    );
    throwsInvalid(() => snowflakeSettingsFromFields(fields({ host: ACCOUNT })), /needs the user: 'username'/);
    throwsInvalid(
      () => snowflakeSettingsFromFields(fields({ host: ACCOUNT, username: USER })),
      /Snowflake needs credentials; use key-pair authentication/,
    );
    const sso = `snowflake://${USER}@${ACCOUNT}?authenticator=externalbrowser`;
    throwsInvalid(() => snowflakeSettingsFromUrl(datasource(sso), sso), /authenticator 'externalbrowser' is not one/);
    const noToken = `snowflake://${USER}@${ACCOUNT}?authenticator=oauth`;
    throwsInvalid(() => snowflakeSettingsFromUrl(datasource(noToken), noToken), /'oauth' needs a token/);
  });

  test('a connection string gives user, account, database, schema and its parameters; fields override', () => {
    const url = `snowflake://${USER}@${ACCOUNT}/shop/public?warehouse=wh&role=r&private_key_file=/k.p8&private_key_file_pwd=p%40ss`;
    assert.deepEqual(snowflakeSettingsFromUrl(datasource(url, { warehouse: 'other_wh' }), url), {
      datasource: 'sf',
      options: {
        account: ACCOUNT,
        user: USER,
        database: 'shop',
        schema: 'public',
        warehouse: 'other_wh',
        role: 'r',
        private_key_file: '/k.p8',
        private_key_file_pwd: 'p@ss',
      },
    });
    throwsInvalid(
      () => snowflakeSettingsFromUrl(datasource('snowflake://u@a/d/s/x'), 'snowflake://u@a/d/s/x'),
      /path past/,
    );
  });

  test('snowflake://?connection_name=<profile> is the profile form, and refuses anything beside it', () => {
    const url = 'snowflake://?connection_name=dev';
    assert.deepEqual(snowflakeSettingsFromUrl(datasource(url, { role: 'r' }), url), {
      datasource: 'sf',
      connectionName: 'dev',
      options: { role: 'r' },
    });
    const extra = 'snowflake://?connection_name=dev&warehouse=wh';
    throwsInvalid(() => snowflakeSettingsFromUrl(datasource(extra), extra), /must hold nothing else/);
  });

  test('the server is <account>.snowflakecomputing.com over https unless host says otherwise; http only to loopback', async () => {
    const load = async (params: string): Promise<SnowflakeConfig> => {
      const url = `snowflake://${USER}@${ACCOUNT}?private_key_file=${encodeURIComponent(keyFile)}${params}`;
      return loadSnowflakeConfig(snowflakeSettingsFromUrl(datasource(url), url));
    };
    const plain = await load('');
    assert.deepEqual(
      [plain.server, plain.account],
      ['https://xy12345.us-east-1.snowflakecomputing.com:443', 'XY12345'],
    );
    assert.equal((await load('&host=https://sf.internal:8443')).server, 'https://sf.internal:8443');
    assert.equal((await load('&host=127.0.0.1&port=8080&protocol=http')).server, 'http://127.0.0.1:8080');
    assert.equal((await load('&host=http://[::1]:9000')).server, 'http://[::1]:9000');
    for (const params of [
      '&host=http://sf.example.com',
      '&host=sf.example.com&protocol=http',
      '&host=http://10.0.0.8:80',
    ]) {
      const error = await rejectsWith(load(params), ErrorCode.InvalidInput);
      assert.match(error.message, /plain http is allowed only to this machine/);
    }
  });
});

describe('configuration from connections.toml', () => {
  const profileDs: DatasourceDef = { version: 2, name: 'sf', type: 'snowflake', connection_name: 'dev' };

  test('connections.toml is $SNOWFLAKE_HOME/connections.toml, else ~/.snowflake/connections.toml', () => {
    assert.equal(connectionsFile({ SNOWFLAKE_HOME: '/opt/sf' }), path.join('/opt/sf', 'connections.toml'));
    assert.equal(connectionsFile({ HOME: '/home/a' }), path.join('/home/a', '.snowflake', 'connections.toml'));
  });

  test("a profile's account, user, key and context are read; the datasource's fields override", async () => {
    const home = snowflakeHome(
      [
        '# the default profile',
        '[default]',
        'account = "other"',
        '',
        '[dev]',
        `account = "${ACCOUNT}"   # locator with region`,
        `user = "${USER}"`,
        `private_key_file = '${keyFile}'`,
        'warehouse = "compute_wh"',
        'database = "shop"',
        'role = "\\"Mixed Role\\""',
        'statement_timeout_in_seconds = 45',
      ].join('\n'),
    );
    const settings = snowflakeSettingsFromFields({ ...profileDs, database: 'analytics' });
    const config = await loadSnowflakeConfig(settings, { env: { SNOWFLAKE_HOME: home } });
    assert.equal(config.server, 'https://xy12345.us-east-1.snowflakecomputing.com:443');
    assert.deepEqual(
      [config.account, config.user, config.warehouse, config.database, config.role, config.statementTimeoutSeconds],
      ['XY12345', USER, 'COMPUTE_WH', 'ANALYTICS', 'Mixed Role', 45],
    );
    assert.equal(config.auth.kind, 'KEYPAIR_JWT');
  });

  test('a profile with a password only is refused the same way; an inline PEM key is accepted', async () => {
    const secret = 'profile-password-1234';
    const withPassword = snowflakeHome(`[dev]\naccount = "${ACCOUNT}"\nuser = "${USER}"\npassword = "${secret}"\n`);
    const error = await rejectsWith(
      loadSnowflakeConfig(snowflakeSettingsFromFields(profileDs), { env: { SNOWFLAKE_HOME: withPassword } }),
      ErrorCode.InvalidInput,
    );
    assert.match(error.message, /does not accept a password/);
    assert.ok(!error.message.includes(secret));
    const inline = snowflakeHome(
      `[dev]\naccount = "${ACCOUNT}"\nuser = "${USER}"\nprivate_key_raw = """\n${privatePem}"""\n`,
    );
    const config = await loadSnowflakeConfig(snowflakeSettingsFromFields(profileDs), {
      env: { SNOWFLAKE_HOME: inline },
    });
    assert.ok(config.auth.kind === 'KEYPAIR_JWT' && config.auth.fingerprint === fingerprintOf(publicKey));
    assert.ok(
      config.secrets.some((secret) => secret.includes('PRIVATE KEY')),
      'the key text is masked in errors',
    );
  });

  test('a missing file, a missing profile and bad TOML are named, never showing the file text', async () => {
    const load = (env: NodeJS.ProcessEnv) => loadSnowflakeConfig(snowflakeSettingsFromFields(profileDs), { env });
    const nowhere = path.join(dir, 'no-such-home');
    const missing = await rejectsWith(load({ SNOWFLAKE_HOME: nowhere }), ErrorCode.InvalidInput);
    assert.match(
      missing.message,
      /connection_name 'dev' needs .*no-such-home.*connections\.toml, which cannot be read \(ENOENT\)/,
    );
    const other = await rejectsWith(
      load({ SNOWFLAKE_HOME: snowflakeHome('[prod]\naccount = "a"\n[test]\n') }),
      ErrorCode.InvalidInput,
    );
    assert.match(other.message, /has no \[dev\] connection; it has prod, test\./);
    const broken = snowflakeHome('[dev]\naccount = "a"\npassword = "s3cret-in-file\n');
    const bad = await rejectsWith(load({ SNOWFLAKE_HOME: broken }), ErrorCode.InvalidInput);
    assert.match(bad.message, /cannot be read: line 3: a string is not closed on its line/);
    assert.ok(!bad.message.includes('s3cret-in-file'));
  });
});

describe('the TOML subset', () => {
  test('tables, strings (basic, literal, multi-line, escapes), numbers, booleans and comments', () => {
    const text = [
      'top = 1',
      '[a]  # comment',
      'plain = "x # not a comment"',
      "literal = 'C:\\path\\key.p8'",
      'escaped = "tab\\tquote\\" \\u00e9"',
      'n = -1_000',
      'f = 2.5e3',
      'yes = true',
      '"quoted key" = false',
      '[connections."my.name"]',
      'multi = """',
      'line one',
      'line two \\',
      '   joined"""',
      "raw = '''",
      "no \\escape'''",
    ].join('\r\n');
    const tables = readToml(text);
    assert.deepEqual(Object.fromEntries(tables.get('') ?? []), { top: 1 });
    assert.deepEqual(Object.fromEntries(tables.get('a') ?? []), {
      plain: 'x # not a comment',
      literal: 'C:\\path\\key.p8',
      escaped: 'tab\tquote" é',
      n: -1000,
      f: 2500,
      yes: true,
      'quoted key': false,
    });
    assert.deepEqual(Object.fromEntries(tables.get('connections.my.name') ?? []), {
      multi: 'line one\r\nline two joined',
      raw: 'no \\escape',
    });
  });

  test('what it does not read is refused, naming the line and never its text', () => {
    const cases: [string, RegExp][] = [
      ['a = 1\nb = [1, 2]', /^line 2: arrays and inline tables/],
      ['[[x]]', /^line 1: arrays of tables/],
      ['a = 1\na = 2', /^line 2: a key is set twice/],
      ['\n\nsecret-token-value', /^line 3: expected '=' after a key$/],
      ['a = 1979-05-27', /^line 1: a value that is not a string, number or boolean$/],
      ['a = "x" b', /^line 1: unexpected text after a value$/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(
        () => readToml(text),
        (error: unknown) =>
          error instanceof TomlError && pattern.test(error.message) && !error.message.includes('secret'),
        text,
      );
    }
  });
});
