/**
 * The Trino driver against a stand-in coordinator (test/support/trino-standin.ts,
 * whose header says what it proves and what it does not), and the parsing of
 * Trino datasources from a connection string and from fields.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { redactCredentials } from '../../server/src/engine/drivers/credentials';
import { TrinoDriver } from '../../server/src/engine/drivers/trino';
import {
  trinoConfigFromFields,
  trinoConfigFromUrl,
  type TrinoConfig,
} from '../../server/src/engine/drivers/trino-config';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import { TrinoStandin, type Canned, type StandinOptions } from '../support/trino-standin';
import { closedPort } from '../support/ports';
import { rejectsWith } from '../support/rejects-with';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const PASSWORD = 's3cr@t:pw';
/**
 * Long enough that a page held this long means the driver did not stop waiting
 * for it: the run then ends with rows, and the test fails instead of hanging.
 * No assertion depends on how long anything took.
 */
const HELD_MS = 10_000;

function datasource(connectionString: string): DatasourceDef {
  return { version: 2, name: 'warehouse', type: 'trino', connection_string: connectionString };
}

/** A driver for `url`, with the redactor connect.ts binds to a datasource. */
function driverFor(url: string, extra: Partial<TrinoConfig> = {}): TrinoDriver {
  const ds = datasource(url);
  return new TrinoDriver({ ...trinoConfigFromUrl(ds, url), ...extra }, (text) => redactCredentials(text, ds));
}

/** `trino://user@127.0.0.1:port/catalog/schema` for the stand-in. */
function standinUrl(standin: TrinoStandin, userinfo = 'alice', query = ''): string {
  return `trino://${userinfo}@${standin.url.replace('http://', '')}/hive/sales${query}`;
}

async function withStandin(options: StandinOptions, work: (standin: TrinoStandin) => Promise<void>): Promise<void> {
  const standin = await TrinoStandin.start(options);
  try {
    await work(standin);
  } finally {
    await standin.close();
  }
}

function throwsInvalid(work: () => unknown, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof SlayerError);
    assert.equal(error.code, ErrorCode.InvalidInput);
    assert.match(error.message, pattern);
    return true;
  });
}

const gets = (standin: TrinoStandin): number => standin.requests.filter((r) => r.method === 'GET').length;

const SEVEN = 'SELECT id, name FROM seven ORDER BY id';
const sevenRows: Canned = {
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'varchar' },
  ],
  rows: Array.from({ length: 7 }, (_, index) => [index + 1, `row ${index + 1}`]),
};
const seven = Array.from({ length: 7 }, (_, index) => ({ id: index + 1, name: `row ${index + 1}` }));

/** Name, Trino type, the value as Trino writes it in JSON, the value the driver must return. */
const TYPES = [
  ['big', 'bigint', 9007199254740993n, '9007199254740993'],
  ['negative_big', 'bigint', -9007199254740993n, '-9007199254740993'],
  ['small_big', 'bigint', 42n, 42],
  ['n', 'integer', 7, 7],
  ['price', 'decimal(10,2)', '12.50', 12.5],
  ['ratio', 'double', 0.25, 0.25],
  ['not_a_number', 'double', 'NaN', Number.NaN],
  ['r', 'real', 1.5, 1.5],
  ['ok', 'boolean', true, true],
  ['name', 'varchar', 'hé "quoted"\n', 'hé "quoted"\n'],
  ['code', 'char(3)', 'ab ', 'ab '],
  ['day', 'date', '2024-01-02', '2024-01-02'],
  ['at', 'timestamp(3)', '2024-01-02 03:04:05.120', '2024-01-02T03:04:05.12'],
  ['at_whole', 'timestamp(3)', '2024-01-02 03:04:05.000', '2024-01-02T03:04:05'],
  ['at_utc', 'timestamp(3) with time zone', '2024-01-02 03:04:05.120 UTC', '2024-01-02T03:04:05.12Z'],
  ['at_offset', 'timestamp(0) with time zone', '2024-01-02 03:04:05 +02:00', '2024-01-02T01:04:05Z'],
  ['bytes', 'varbinary', Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64'), '\\xdeadbeef'],
  ['tags', 'array(bigint)', [1n, 9007199254740993n], '[1,9007199254740993]'],
  ['doc', 'json', '{"a": [1, 2]}', '{"a": [1, 2]}'],
  // JSON.parse keeps `__proto__` as a key (a literal would set the prototype); Trino may send one in a map.
  ['m', 'map(varchar, integer)', JSON.parse('{"a": 1, "__proto__": 2}') as unknown, '{"a":1,"__proto__":2}'],
  ['pair', 'row(x integer, y varchar)', [1, 'z'], '[1,"z"]'],
] as const;

type TypeCase = (typeof TYPES)[number];

/** One row of every case and one of NULLs, through the stand-in, must come back as the expected values. */
async function checkTypes(cases: readonly TypeCase[]): Promise<void> {
  const canned: Canned = {
    columns: cases.map(([name, type]) => ({ name, type })),
    rows: [cases.map(([, , sent]) => sent), cases.map(() => null)],
  };
  await withStandin({ results: { 'SELECT everything': canned } }, async (standin) => {
    const result = await driverFor(standinUrl(standin)).run('SELECT everything');
    assert.deepEqual(
      result.columns,
      cases.map(([name]) => name),
    );
    assert.deepEqual(result.rows, [
      Object.fromEntries(cases.map(([name, , , expected]) => [name, expected])),
      Object.fromEntries(cases.map(([name]) => [name, null])),
    ]);
  });
}

// ---------------------------------------------------------------------------
// Rows, pages and values
// ---------------------------------------------------------------------------

describe('rows and pages', () => {
  test('rows and columns arrive across several pages, in order', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, pageSize: 2 }, async (standin) => {
      const result = await driverFor(standinUrl(standin)).run(SEVEN);
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven, truncated: false });
      assert.equal(gets(standin), 4, 'seven rows, two a page: four pages followed');
      assert.deepEqual(standin.cancelled, [], 'a query read to its end is not cancelled');
    });
  });

  test('an empty result still names its columns', async () => {
    const canned: Canned = { columns: [{ name: 'id', type: 'bigint' }], rows: [] };
    await withStandin({ results: { 'SELECT id FROM t WHERE false': canned } }, async (standin) => {
      const result = await driverFor(standinUrl(standin)).run('SELECT id FROM t WHERE false');
      assert.deepEqual(result, { columns: ['id'], rows: [], truncated: false });
    });
  });

  test('every Trino type maps to the driver contract, a BIGINT past 2^53 keeping every digit', async () => {
    await checkTypes(TYPES);
  });

  test('a page without long numbers (read by JSON.parse, not digit by digit) maps the same', async () => {
    const short = TYPES.filter(
      ([, , sent]) =>
        !/\d{16}/.test(JSON.stringify(sent, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
    );
    assert.ok(short.length < TYPES.length && short.length > 10);
    await checkTypes(short);
  });
});

// ---------------------------------------------------------------------------
// maxRows
// ---------------------------------------------------------------------------

describe('maxRows', () => {
  test('stops paging at the row past the limit, says truncated, and DELETEs the query', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, pageSize: 2 }, async (standin) => {
      const result = await driverFor(standinUrl(standin)).run(SEVEN, { maxRows: 3 });
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven.slice(0, 3), truncated: true });
      assert.equal(gets(standin), 2, 'the fourth row is on the second page; no third page is asked for');
      assert.deepEqual(standin.cancelled, standin.queries, 'the query was cancelled on the server');
    });
  });

  test('maxRows 0 answers no rows, truncated, when the query has some', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows } }, async (standin) => {
      const result = await driverFor(standinUrl(standin)).run(SEVEN, { maxRows: 0 });
      assert.deepEqual(result, { columns: ['id', 'name'], rows: [], truncated: true });
      assert.deepEqual(standin.cancelled, standin.queries);
    });
  });

  test('a limit equal to the row count reads to the end: not truncated, nothing cancelled', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, pageSize: 2 }, async (standin) => {
      const result = await driverFor(standinUrl(standin)).run(SEVEN, { maxRows: 7 });
      assert.deepEqual([result.rows.length, result.truncated], [7, false]);
      assert.deepEqual(standin.cancelled, []);
    });
  });

  test('a maxRows that is not a whole number is refused before any request', async () => {
    await withStandin({ results: {} }, async (standin) => {
      await rejectsWith(driverFor(standinUrl(standin)).run(SEVEN, { maxRows: -1 }), ErrorCode.InvalidInput);
      assert.equal(standin.requests.length, 0);
    });
  });
});

// ---------------------------------------------------------------------------
// Cancellation and failures
// ---------------------------------------------------------------------------

describe('cancellation', () => {
  test('an abort while a page is awaited rejects with Cancelled and DELETEs the query', async () => {
    const options: StandinOptions = {
      results: { [SEVEN]: sevenRows },
      pageSize: 2,
      delayAfterPages: 1,
      pageDelayMs: HELD_MS,
    };
    await withStandin(options, async (standin) => {
      const controller = new AbortController();
      const running = driverFor(standinUrl(standin)).run(SEVEN, { signal: controller.signal });
      await standin.until(() => standin.held > 0);
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      await standin.until(() => standin.cancelled.length > 0);
      assert.deepEqual(standin.cancelled, standin.queries);
    });
  });

  test('an already aborted signal sends nothing', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows } }, async (standin) => {
      await rejectsWith(
        driverFor(standinUrl(standin)).run(SEVEN, { signal: AbortSignal.abort() }),
        ErrorCode.Cancelled,
      );
      assert.equal(standin.requests.length, 0);
    });
  });

  test('a page that never comes fails as a connection error once the request time limit passes', async () => {
    const options: StandinOptions = { results: { [SEVEN]: sevenRows }, pageDelayMs: HELD_MS };
    await withStandin(options, async (standin) => {
      const error = await rejectsWith(
        driverFor(standinUrl(standin), { requestTimeoutMs: 200 }).run(SEVEN),
        ErrorCode.ConnectionFailed,
      );
      assert.match(error.message, /did not answer within 0\.2 s/);
    });
  });
});

describe('errors', () => {
  test("a Trino error surfaces its name and message as the run's DatabaseError", async () => {
    const canned: Canned = {
      error: { message: "line 1:8: Column 'nope' cannot be resolved", errorName: 'COLUMN_NOT_FOUND', errorCode: 47 },
    };
    await withStandin({ results: { 'SELECT nope': canned } }, async (standin) => {
      const error = await rejectsWith(driverFor(standinUrl(standin)).run('SELECT nope'), ErrorCode.DatabaseError);
      assert.equal(error.message, "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved");
    });
  });

  test('a 503 is asked again, and the query then runs', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, unavailableTimes: 2 }, async (standin) => {
      const result = await driverFor(standinUrl(standin)).run(SEVEN);
      assert.deepEqual(result.rows, seven);
      assert.equal(standin.requests.filter((r) => r.method === 'POST').length, 3, 'two 503s, then the POST that ran');
    });
  });

  test('a password never appears in an error, wherever the text came from', async () => {
    const login = `alice:${encodeURIComponent(PASSWORD)}`;
    const options: StandinOptions = { results: {}, requireAuth: { user: 'alice', password: 'other' } };
    await withStandin(options, async (standin) => {
      const url = standinUrl(standin, login, '?allow_password_over_http=true');
      // Trino's message quoting the connection string and the raw password.
      const canned: Canned = { error: { message: `catalog failed for ${url} with ${PASSWORD}`, errorName: 'X' } };
      const leaky = await TrinoStandin.start({ results: { 'SELECT 1': canned } });
      try {
        const leakyUrl = standinUrl(leaky, login, '?allow_password_over_http=true');
        const quoted = await rejectsWith(driverFor(leakyUrl).run('SELECT 1'), ErrorCode.DatabaseError);
        assert.match(quoted.message, /catalog failed/);
        assert.ok(!quoted.message.includes(PASSWORD) && !quoted.message.includes(encodeURIComponent(PASSWORD)));
      } finally {
        await leaky.close();
      }
      // A refused login whose body repeats the credentials it was sent.
      const refused = await rejectsWith(driverFor(url).run('SELECT 1'), ErrorCode.ConnectionFailed);
      assert.match(refused.message, /HTTP 401/);
      assert.ok(!refused.message.includes(PASSWORD), refused.message);
    });
    // No server at all.
    const port = await closedPort();
    const unreachable = `trino://${login}@127.0.0.1:${port}/hive?allow_password_over_http=true`;
    const lost = await rejectsWith(driverFor(unreachable).run('SELECT 1'), ErrorCode.ConnectionFailed);
    assert.match(lost.message, /Cannot reach Trino at http:\/\/127\.0\.0\.1/);
    assert.ok(!lost.message.includes(PASSWORD), lost.message);
  });
});

// ---------------------------------------------------------------------------
// What the driver sends
// ---------------------------------------------------------------------------

describe('requests', () => {
  test('the POST carries the SQL (no trailing semicolon), user, catalog, schema, source and Basic auth', async () => {
    const canned: Canned = { columns: [{ name: 'one', type: 'integer' }], rows: [[1]] };
    const options: StandinOptions = {
      results: { 'SELECT 1 AS one': canned },
      requireAuth: { user: 'alice', password: PASSWORD },
    };
    await withStandin(options, async (standin) => {
      const url = standinUrl(standin, `alice:${encodeURIComponent(PASSWORD)}`, '?allow_password_over_http=true');
      const result = await driverFor(url).run('SELECT 1 AS one;\n');
      assert.deepEqual(result.rows, [{ one: 1 }]);
      const post = standin.requests[0];
      assert.ok(post);
      assert.deepEqual([post.method, post.path, post.body], ['POST', '/v1/statement', 'SELECT 1 AS one']);
      assert.equal(post.headers['x-trino-user'], 'alice');
      assert.equal(post.headers['x-trino-catalog'], 'hive');
      assert.equal(post.headers['x-trino-schema'], 'sales');
      assert.equal(post.headers['x-trino-source'], 'slayer-studio');
      const basic = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
      assert.ok(
        standin.requests.every((request) => request.headers.authorization === basic),
        'every call carries the login',
      );
    });
  });

  test('no catalog or schema header when the datasource names none', async () => {
    const canned: Canned = { columns: [{ name: 'one', type: 'integer' }], rows: [[1]] };
    await withStandin({ results: { 'SELECT 1': canned } }, async (standin) => {
      await driverFor(`trino://bob@${standin.url.replace('http://', '')}`).run('SELECT 1');
      const headers = standin.requests[0]?.headers;
      assert.equal(headers?.['x-trino-user'], 'bob');
      assert.equal(headers?.['x-trino-catalog'], undefined);
      assert.equal(headers?.['x-trino-schema'], undefined);
      assert.equal(headers?.authorization, undefined);
    });
  });

  test('presto:// speaks with X-Presto-* headers, as PrestoDB reads them', async () => {
    const canned: Canned = { columns: [{ name: 'one', type: 'integer' }], rows: [[1]] };
    await withStandin({ results: { 'SELECT 1': canned } }, async (standin) => {
      await driverFor(`presto://carol@${standin.url.replace('http://', '')}/hive`).run('SELECT 1');
      const headers = standin.requests[0]?.headers;
      assert.deepEqual([headers?.['x-presto-user'], headers?.['x-presto-catalog']], ['carol', 'hive']);
      assert.equal(headers?.['x-trino-user'], undefined);
    });
  });
});

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

describe('configuration from a connection string', () => {
  const parse = (url: string): TrinoConfig => trinoConfigFromUrl(datasource(url), url);

  test('user, catalog and schema; http on 8080 by default', () => {
    assert.deepEqual(parse('trino://alice@trino.local/hive/sales'), {
      server: 'http://trino.local:8080',
      user: 'alice',
      catalog: 'hive',
      schema: 'sales',
      headerPrefix: 'X-Trino-',
    });
  });

  test('https on ssl=true, http_scheme=https or port 443, with a percent-encoded password', () => {
    assert.equal(parse('trino://a:p%40ss@h:8443/c?ssl=true').server, 'https://h:8443');
    assert.equal(parse('trino://a:p%40ss@h:8443/c?ssl=true').password, 'p@ss');
    assert.equal(parse('trino://a@h:8443/c?http_scheme=https').server, 'https://h:8443');
    assert.equal(parse('trino://a:pw@h:443/c').server, 'https://h:443');
    assert.equal(parse('trino://a@h/c?ssl=true').server, 'https://h:443');
    assert.equal(parse('trino://a@h:80/c').server, 'http://h:80', 'an explicit :80 is kept');
    assert.equal(parse('trino://a@[::1]:8080/c').server, 'http://[::1]:8080');
  });

  test('presto:// uses the X-Presto- headers', () => {
    assert.equal(parse('presto://a@h:8080/c').headerPrefix, 'X-Presto-');
  });

  test('a missing user, a path past catalog/schema and a password over http are refused, naming the datasource', () => {
    throwsInvalid(() => parse('trino://h:8080/hive'), /^Datasource 'warehouse': connection_string needs a user/);
    throwsInvalid(() => parse('trino://a@h:8080/hive/sales/extra'), /Datasource 'warehouse'.*catalog\/schema/);
    throwsInvalid(() => parse('trino://a:pw@h:8080/hive'), /Datasource 'warehouse': a password is only sent .* https/);
    assert.equal(parse('trino://a:pw@h:8080/hive?allow_password_over_http=true').allowPasswordOverHttp, true);
  });

  test('the driver itself refuses a password over http, whatever built its config', async () => {
    const config: TrinoConfig = { server: 'http://h:8080', user: 'a', password: 'pw', headerPrefix: 'X-Trino-' };
    const error = await rejectsWith(new TrinoDriver(config, (text) => text).run('SELECT 1'), ErrorCode.InvalidInput);
    assert.ok(!error.message.includes('pw@'), error.message);
  });
});

describe('configuration from fields', () => {
  const base: DatasourceDef = { version: 2, name: 'lake', type: 'trino', username: 'alice' };

  test('host, port 8080 by default, database as catalog, schema_name as schema', () => {
    const ds: DatasourceDef = { ...base, database: 'hive', schema_name: 'sales' };
    assert.deepEqual(trinoConfigFromFields(ds, { host: 'trino.local' }), {
      server: 'http://trino.local:8080',
      user: 'alice',
      catalog: 'hive',
      schema: 'sales',
      headerPrefix: 'X-Trino-',
    });
  });

  test('https on port 443 or with https:// in host; a password then goes along', () => {
    const ds: DatasourceDef = { ...base, password: 'pw' };
    assert.equal(trinoConfigFromFields(ds, { host: 'h', port: 443 }).server, 'https://h:443');
    assert.equal(trinoConfigFromFields(ds, { host: 'https://h:8443' }).server, 'https://h:8443');
    assert.equal(trinoConfigFromFields(ds, { host: 'https://h' }).server, 'https://h:443');
    assert.equal(trinoConfigFromFields(ds, { host: 'https://h', port: 8443 }).password, 'pw');
    assert.equal(trinoConfigFromFields(base, { host: '::1', port: 8080 }).server, 'http://[::1]:8080');
  });

  test('a missing username is refused, naming the datasource and the field', () => {
    throwsInvalid(
      () => trinoConfigFromFields({ ...base, username: undefined }, { host: 'h' }),
      /^Datasource 'lake' \(trino\) needs 'username'/,
    );
  });

  test('a password over http and a port written twice are refused', () => {
    throwsInvalid(() => trinoConfigFromFields({ ...base, password: 'pw' }, { host: 'h' }), /only sent .* over https/);
    throwsInvalid(() => trinoConfigFromFields(base, { host: 'https://h:8443', port: 9000 }), /port is set both/);
  });
});
