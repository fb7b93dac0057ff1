/**
 * The Databricks driver against a stand-in SQL warehouse
 * (test/support/databricks-standin.ts, whose header says what it proves and
 * what it does not), and the parsing of Databricks connection strings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { redactCredentials } from '../../server/src/engine/drivers/credentials';
import { openDriver } from '../../server/src/engine/drivers/connect';
import { DatabricksDriver } from '../../server/src/engine/drivers/databricks';
import {
  databricksConfigFromFields,
  databricksConfigFromUrl,
  type DatabricksConfig,
} from '../../server/src/engine/drivers/databricks-config';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import { DatabricksStandin, type Canned, type StandinOptions } from '../support/databricks-standin';
import { rejectsWith } from '../support/rejects-with';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const TOKEN = 'dapi0123456789abcdef0123456789abcd';
const WAREHOUSE = '1234567890abcdef';

function datasource(connectionString: string): DatasourceDef {
  return { version: 2, name: 'lakehouse', type: 'databricks', connection_string: connectionString };
}

function connectionString(standin: DatabricksStandin, token = TOKEN, extra = '&catalog=main&schema=sales'): string {
  return (
    `databricks://token:${token}@${standin.hostPort}` +
    `?http_path=/sql/1.0/warehouses/${WAREHOUSE}&insecure_http=true${extra}`
  );
}

/** A driver for the stand-in, with the redactor connect.ts binds to a datasource; polls kept quick. */
function driverFor(standin: DatabricksStandin, token = TOKEN, extra?: string): DatabricksDriver {
  const url = connectionString(standin, token, extra);
  const ds = datasource(url);
  const config: DatabricksConfig = { ...databricksConfigFromUrl(ds, url), pollIntervalMs: 5 };
  return new DatabricksDriver(config, (text) => redactCredentials(text, ds));
}

async function withStandin(
  options: Omit<StandinOptions, 'token'>,
  work: (standin: DatabricksStandin) => Promise<void>,
): Promise<void> {
  const standin = await DatabricksStandin.start({ token: TOKEN, ...options });
  try {
    await work(standin);
  } finally {
    await standin.close();
  }
}

function throwsInvalid(work: () => unknown, pattern: RegExp): SlayerError {
  let caught: unknown;
  assert.throws(work, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SlayerError);
  assert.equal(caught.code, ErrorCode.InvalidInput);
  assert.match(caught.message, pattern);
  return caught;
}

const statusGets = (standin: DatabricksStandin): number =>
  standin.requests.filter((r) => r.method === 'GET' && !r.path.includes('/result/chunks/')).length;
const chunkGets = (standin: DatabricksStandin): number =>
  standin.requests.filter((r) => r.path.includes('/result/chunks/')).length;

const SEVEN = 'SELECT id, name FROM seven ORDER BY id';
const sevenRows: Canned = {
  columns: [
    { name: 'id', type_name: 'INT' },
    { name: 'name', type_name: 'STRING' },
  ],
  rows: Array.from({ length: 7 }, (_, index) => [String(index + 1), `row ${index + 1}`]),
};
const seven = Array.from({ length: 7 }, (_, index) => ({ id: index + 1, name: `row ${index + 1}` }));

/** Name, type_name, the value as JSON_ARRAY writes it, the value the driver must return. */
const TYPES: readonly (readonly [string, string, string, unknown])[] = [
  ['big', 'LONG', '9007199254740993', '9007199254740993'],
  ['negative_big', 'LONG', '-9007199254740993', '-9007199254740993'],
  ['small_big', 'LONG', '42', 42],
  ['alias_big', 'BIGINT', '43', 43],
  ['n', 'INT', '7', 7],
  ['s', 'SHORT', '-3', -3],
  ['b', 'BYTE', '127', 127],
  ['price', 'DECIMAL', '12.50', 12.5],
  ['ratio', 'DOUBLE', '0.25', 0.25],
  ['not_a_number', 'DOUBLE', 'NaN', Number.NaN],
  ['f', 'FLOAT', '1.5', 1.5],
  ['ok', 'BOOLEAN', 'true', true],
  ['no', 'BOOLEAN', 'false', false],
  ['name', 'STRING', 'hé "quoted"\n', 'hé "quoted"\n'],
  ['day', 'DATE', '2024-01-02', '2024-01-02'],
  ['at', 'TIMESTAMP', '2024-01-02T03:04:05.120Z', '2024-01-02T03:04:05.12Z'],
  ['at_offset', 'TIMESTAMP', '2024-01-02T03:04:05.000+02:00', '2024-01-02T01:04:05Z'],
  ['at_ntz', 'TIMESTAMP_NTZ', '2024-01-02T03:04:05.000', '2024-01-02T03:04:05'],
  ['at_ntz_space', 'TIMESTAMP_NTZ', '2024-01-02 03:04:05.5', '2024-01-02T03:04:05.5'],
  ['bytes', 'BINARY', Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64'), '\\xdeadbeef'],
  ['tags', 'ARRAY', '[1,9007199254740993]', '[1,9007199254740993]'],
  ['m', 'MAP', '{"a":1}', '{"a":1}'],
  ['pair', 'STRUCT', '{"x":1,"y":"z"}', '{"x":1,"y":"z"}'],
];

// ---------------------------------------------------------------------------
// Rows, chunks, polling and values
// ---------------------------------------------------------------------------

describe('rows, chunks and polling', () => {
  test('rows arrive across several chunks, in order, following next_chunk_internal_link', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, chunkSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN);
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven, truncated: false });
      assert.equal(chunkGets(standin), 3, 'seven rows, two a chunk: the first inline, three more fetched');
      assert.deepEqual(standin.cancelled, [], 'a statement read to its end is not cancelled');
    });
  });

  test("a 'spark' datasource with a Databricks connection string runs on this driver, as SLayer's Spark does", async () => {
    await withStandin({ results: { [SEVEN]: sevenRows } }, async (standin) => {
      const ds: DatasourceDef = { ...datasource(connectionString(standin)), type: 'spark' };
      const driver = openDriver(ds, { baseDir: '.' });
      try {
        assert.equal(driver.dialect, 'databricks');
        assert.deepEqual((await driver.run(SEVEN)).rows, seven);
      } finally {
        await driver.close();
      }
    });
  });

  test('a PENDING then RUNNING statement is polled by id until SUCCEEDED', async () => {
    const canned: Canned = { ...sevenRows, polls: 3 };
    await withStandin({ results: { [SEVEN]: canned }, chunkSize: 10 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN);
      assert.deepEqual(result.rows, seven);
      assert.equal(statusGets(standin), 3, 'the POST answered PENDING; two polls RUNNING, the third SUCCEEDED');
      const id = standin.statements[0];
      assert.ok(id !== undefined);
      const polls = standin.requests.filter((r) => r.method === 'GET').map((r) => r.path);
      assert.ok(polls.every((path) => path === `/api/2.0/sql/statements/${id}`));
    });
  });

  test('an empty result still names its columns', async () => {
    const canned: Canned = { columns: [{ name: 'id', type_name: 'LONG' }], rows: [] };
    await withStandin({ results: { 'SELECT id FROM t WHERE false': canned } }, async (standin) => {
      const result = await driverFor(standin).run('SELECT id FROM t WHERE false');
      assert.deepEqual(result, { columns: ['id'], rows: [], truncated: false });
    });
  });

  test('every type maps to the driver contract, a LONG past 2^53 keeping every digit', async () => {
    const canned: Canned = {
      columns: TYPES.map(([name, type_name]) => ({ name, type_name })),
      rows: [TYPES.map(([, , sent]) => sent), TYPES.map(() => null)],
    };
    await withStandin({ results: { 'SELECT everything': canned } }, async (standin) => {
      const result = await driverFor(standin).run('SELECT everything');
      assert.deepEqual(
        result.columns,
        TYPES.map(([name]) => name),
      );
      assert.deepEqual(result.rows, [
        Object.fromEntries(TYPES.map(([name, , , expected]) => [name, expected])),
        Object.fromEntries(TYPES.map(([name]) => [name, null])),
      ]);
    });
  });
});

// ---------------------------------------------------------------------------
// maxRows and cancellation
// ---------------------------------------------------------------------------

describe('maxRows', () => {
  test('stops at the row past the limit, says truncated, and cancels the statement', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, chunkSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 3 });
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven.slice(0, 3), truncated: true });
      assert.equal(chunkGets(standin), 1, 'the fourth row is in the second chunk; no third chunk is asked for');
      assert.deepEqual(standin.cancelled, standin.statements, 'the statement was cancelled on the warehouse');
    });
  });

  test('a limit equal to the row count reads to the end: not truncated, nothing cancelled', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, chunkSize: 2 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 7 });
      assert.deepEqual([result.rows.length, result.truncated], [7, false]);
      assert.deepEqual(standin.cancelled, []);
    });
  });

  test('a maxRows that is not a whole number is refused before any request', async () => {
    await withStandin({ results: {} }, async (standin) => {
      await rejectsWith(driverFor(standin).run(SEVEN, { maxRows: 1.5 }), ErrorCode.InvalidInput);
      assert.equal(standin.requests.length, 0);
    });
  });
});

describe('cancellation', () => {
  test('an abort while the statement runs rejects with Cancelled and cancels it on the warehouse', async () => {
    const never: Canned = { ...sevenRows, polls: Number.POSITIVE_INFINITY };
    await withStandin({ results: { [SEVEN]: never } }, async (standin) => {
      const controller = new AbortController();
      const running = driverFor(standin).run(SEVEN, { signal: controller.signal });
      await standin.until(() => statusGets(standin) > 0);
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      await standin.until(() => standin.cancelled.length > 0);
      assert.deepEqual(standin.cancelled, standin.statements);
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
// Errors and redaction
// ---------------------------------------------------------------------------

describe('errors', () => {
  test("a FAILED statement surfaces its message as the run's DatabaseError", async () => {
    const message = '[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `nope` cannot be resolved.';
    const canned: Canned = { error: { message, error_code: 'BAD_REQUEST' }, polls: 1 };
    await withStandin({ results: { 'SELECT nope': canned } }, async (standin) => {
      const error = await rejectsWith(driverFor(standin).run('SELECT nope'), ErrorCode.DatabaseError);
      assert.equal(error.message, message);
      assert.deepEqual(standin.cancelled, [], 'a statement that ended on its own is not cancelled');
    });
  });

  test('a 503 is asked again, and the statement then runs', async () => {
    await withStandin({ results: { [SEVEN]: sevenRows }, unavailableTimes: 2, chunkSize: 10 }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN);
      assert.deepEqual(result.rows, seven);
      assert.equal(standin.requests.filter((r) => r.method === 'POST').length, 3, 'two 503s, then the POST');
    });
  });

  test('the token never appears in an error, wherever the text came from', async () => {
    const quoting: Canned = { error: { message: `token ${TOKEN} has no access to catalog main` } };
    await withStandin({ results: { 'SELECT 1': quoting } }, async (standin) => {
      // The warehouse's message quoting the token.
      const quoted = await rejectsWith(driverFor(standin).run('SELECT 1'), ErrorCode.DatabaseError);
      assert.match(quoted.message, /has no access/);
      assert.ok(!quoted.message.includes(TOKEN), quoted.message);
      // A refused token whose 401 body repeats the header it was sent.
      const wrong = 'dapiffffffffffffffffffffffffffffffff';
      const refused = await rejectsWith(driverFor(standin, wrong).run('SELECT 1'), ErrorCode.ConnectionFailed);
      assert.match(refused.message, /HTTP 401/);
      assert.ok(!refused.message.includes(wrong), refused.message);
    });
  });
});

// ---------------------------------------------------------------------------
// What the driver sends
// ---------------------------------------------------------------------------

describe('requests', () => {
  test('the POST carries statement, warehouse, catalog, schema and the INLINE JSON_ARRAY settings', async () => {
    const canned: Canned = { columns: [{ name: 'one', type_name: 'INT' }], rows: [['1']], polls: 1 };
    await withStandin({ results: { 'SELECT 1 AS one': canned } }, async (standin) => {
      const result = await driverFor(standin).run('SELECT 1 AS one');
      assert.deepEqual(result.rows, [{ one: 1 }]);
      const post = standin.requests[0];
      assert.ok(post);
      assert.deepEqual([post.method, post.path], ['POST', '/api/2.0/sql/statements']);
      assert.deepEqual(JSON.parse(post.body), {
        statement: 'SELECT 1 AS one',
        warehouse_id: WAREHOUSE,
        catalog: 'main',
        schema: 'sales',
        wait_timeout: '10s',
        on_wait_timeout: 'CONTINUE',
        format: 'JSON_ARRAY',
        disposition: 'INLINE',
      });
      assert.ok(standin.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`));
    });
  });

  test('no catalog or schema when the connection string names none', async () => {
    const canned: Canned = { columns: [{ name: 'one', type_name: 'INT' }], rows: [['1']] };
    await withStandin({ results: { 'SELECT 1': canned } }, async (standin) => {
      await driverFor(standin, TOKEN, '').run('SELECT 1');
      const body: unknown = JSON.parse(standin.requests[0]?.body ?? '{}');
      assert.ok(body !== null && typeof body === 'object');
      assert.ok(!('catalog' in body) && !('schema' in body));
    });
  });
});

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

describe('configuration from a connection string', () => {
  const parse = (url: string): DatabricksConfig => databricksConfigFromUrl(datasource(url), url);
  const host = 'dbc-a1b2c3d4-e5f6.cloud.databricks.com';

  test('the warehouse id is the last segment of http_path; https on 443', () => {
    const url = `databricks://token:${TOKEN}@${host}:443?http_path=/sql/1.0/warehouses/${WAREHOUSE}&catalog=main&schema=sales`;
    assert.deepEqual(parse(url), {
      server: `https://${host}:443`,
      token: TOKEN,
      warehouseId: WAREHOUSE,
      catalog: 'main',
      schema: 'sales',
    });
    const plain = parse(`databricks://token:${TOKEN}@${host}?http_path=%2Fsql%2F1.0%2Fwarehouses%2Fabc123`);
    assert.deepEqual([plain.server, plain.warehouseId], [`https://${host}:443`, 'abc123']);
    assert.equal(
      parse(`databricks://token:${TOKEN}@${host}?http_path=/sql/1.0/endpoints/abc123`).warehouseId,
      'abc123',
    );
  });

  test('https always, unless insecure_http=true to this machine (tests only); to any other host it is refused', () => {
    const path = `?http_path=/sql/1.0/warehouses/${WAREHOUSE}`;
    assert.equal(parse(`databricks://token:${TOKEN}@${host}:8443${path}`).server, `https://${host}:8443`);
    assert.equal(
      parse(`databricks://token:${TOKEN}@127.0.0.1:9000${path}&insecure_http=true`).server,
      'http://127.0.0.1:9000',
    );
    const refused = throwsInvalid(
      () => parse(`databricks://token:${TOKEN}@${host}${path}&insecure_http=true`),
      new RegExp(
        `insecure_http=true would send the access token in clear; it is allowed only to this machine .*'${host}'`,
      ),
    );
    assert.ok(!refused.message.includes(TOKEN), 'the token is not in the message');
  });

  test("a cluster's http_path is refused, naming the datasource and saying only SQL warehouses are supported", () => {
    const url = `databricks://token:${TOKEN}@${host}?http_path=/sql/protocolv1/o/1234567890123456/0123-456789-abcdefgh`;
    const error = throwsInvalid(
      () => parse(url),
      /^Datasource 'lakehouse': .*only Databricks SQL warehouses are supported/,
    );
    assert.ok(!error.message.includes(TOKEN));
  });

  test('a missing token, http_path or host is refused without showing the token', () => {
    const path = `?http_path=/sql/1.0/warehouses/${WAREHOUSE}`;
    throwsInvalid(() => parse(`databricks://token@${host}${path}`), /^Datasource 'lakehouse': .*personal access token/);
    throwsInvalid(() => parse(`databricks://${host}${path}`), /personal access token/);
    const noPath = throwsInvalid(() => parse(`databricks://token:${TOKEN}@${host}`), /needs http_path/);
    assert.ok(!noPath.message.includes(TOKEN));
    const bad = throwsInvalid(() => parse(`databricks://token:${TOKEN}@:443${path}`), /^Datasource 'lakehouse'/);
    assert.ok(!bad.message.includes(TOKEN));
  });

  test('fields without a connection_string are refused, saying one is needed', () => {
    const ds: DatasourceDef = { version: 2, name: 'lakehouse', type: 'databricks', host, password: TOKEN };
    const error = throwsInvalid(() => databricksConfigFromFields(ds), /needs a connection_string/);
    assert.ok(!error.message.includes(TOKEN));
  });
});
