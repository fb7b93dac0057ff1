/**
 * The ClickHouse driver against a real ClickHouse (Debian's 18.16 unless
 * SLAYER_TEST_CLICKHOUSE_URL names another): a generated table's values come
 * back in the driver contract's form (types.ts), maxRows and cancellation
 * stop the query on the server too (system.processes shows it gone), errors
 * carry ClickHouse's message and never a password, and an unmatched LEFT JOIN
 * gives NULL. The text reading and the configuration are also tested without
 * a server, for types 18.16 does not have (Bool, DateTime64, Map).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { ClickHouseDriver } from '../../server/src/engine/drivers/clickhouse';
import { literalToJson, readerFor } from '../../server/src/engine/drivers/clickhouse-values';
import {
  clickHouseConfigFromFields,
  clickHouseConfigFromUrl,
  type ClickHouseConfig,
} from '../../server/src/engine/drivers/clickhouse-config';
import { redactCredentials } from '../../server/src/engine/drivers/credentials';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import {
  clickhouseConfig,
  clickhouseExec,
  clickhouseUrl,
  createClickhouseDatabase,
  dropClickhouseDatabase,
} from '../support/clickhouse';
import { rejectsWith } from '../support/rejects-with';

// ---------------------------------------------------------------------------
// The generated table
// ---------------------------------------------------------------------------

interface Item {
  id: number;
  small: number;
  big: bigint;
  huge: bigint;
  ratio: number;
  priceText: string;
  day: string;
  at: string;
  name: string;
  note: string | null;
  qty: number | null;
  flag: number;
  tags: string[];
  pair: [number, string];
  colour: 'red' | 'green';
  uuid: string;
}

const ROWS = 30;
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
/** Text a TSV reader must unescape: a tab, a newline, a backslash, a quote, and characters past ASCII. */
const AWKWARD = ['plain', 'tab\there', 'line\nbreak', 'back\\slash', "it's", 'naïve 東京 ✓', '\\N', ''];

/** A small deterministic generator (a linear congruential sequence), so failures reproduce. */
function generateItems(): Item[] {
  let state = 4242;
  const next = (limit: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % limit;
  };
  return Array.from({ length: ROWS }, (_, index) => {
    const id = index + 1;
    const day = `20${pad(10 + next(15))}-${pad(1 + next(12))}-${pad(1 + next(28))}`;
    return {
      id,
      small: next(256) - 128,
      // Every third value is past 2^53, where a JavaScript number would lose digits.
      big: id % 3 === 0 ? -(9007199254740993n + BigInt(id)) : BigInt(next(1_000_000)),
      huge: id % 2 === 0 ? 18446744073709551615n - BigInt(id) : BigInt(id),
      ratio: (next(2_000_000) - 1_000_000) / 1024,
      priceText: `${next(100000)}.${pad(next(100))}`,
      day,
      at: `${day} ${pad(next(24))}:${pad(next(60))}:${pad(next(60))}`,
      name: AWKWARD[index % AWKWARD.length] ?? '',
      note: id % 4 === 0 ? null : `note ${id}`,
      qty: id % 5 === 0 ? null : next(1000),
      flag: next(2),
      tags: Array.from({ length: next(3) }, (_unused, i) => `t${i}'${id}`),
      pair: [id, `p\t${id}`],
      colour: next(2) === 0 ? 'red' : 'green',
      uuid: `00000000-0000-4000-8000-${pad(id, 12)}`,
    };
  });
}

const ITEMS = generateItems();

const COLUMNS: readonly [string, string][] = [
  ['id', 'Int32'],
  ['small', 'Int8'],
  ['big', 'Int64'],
  ['huge', 'UInt64'],
  ['ratio', 'Float64'],
  ['price', 'Decimal(12, 2)'],
  ['day', 'Date'],
  ['at', 'DateTime'],
  ['name', 'String'],
  ['note', 'Nullable(String)'],
  ['qty', 'Nullable(Int32)'],
  ['flag', 'UInt8'],
  ['tags', 'Array(String)'],
  ['pair', 'Tuple(Int32, String)'],
  ['colour', "Enum8('red' = 1, 'green' = 2)"],
  ['uuid', 'UUID'],
];

const safeInteger = (value: bigint): number | string =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();

/** What the driver must return for a row, derived from the generator alone. */
function expectedRow(item: Item): Record<string, unknown> {
  return {
    id: item.id,
    small: item.small,
    big: safeInteger(item.big),
    huge: safeInteger(item.huge),
    ratio: item.ratio,
    price: Number(item.priceText),
    day: item.day,
    at: item.at.replace(' ', 'T'),
    name: item.name,
    note: item.note,
    qty: item.qty,
    // UInt8 is a number: only a Bool column says boolean.
    flag: item.flag,
    tags: JSON.stringify(item.tags),
    pair: JSON.stringify(item.pair),
    colour: item.colour,
    uuid: item.uuid,
  };
}

const quoted = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function valuesOf(item: Item): string {
  return [
    item.id,
    item.small,
    item.big.toString(),
    item.huge.toString(),
    String(item.ratio),
    item.priceText,
    quoted(item.day),
    quoted(item.at),
    quoted(item.name),
    item.note === null ? 'NULL' : quoted(item.note),
    item.qty ?? 'NULL',
    item.flag,
    `[${item.tags.map(quoted).join(',')}]`,
    `(${item.pair[0]},${quoted(item.pair[1])})`,
    quoted(item.colour),
    quoted(item.uuid),
  ].join(', ');
}

// ---------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------

let url: string;
let database: string;
let driver: ClickHouseDriver;
const noRedaction = (text: string): string => text;

before(
  async () => {
    url = await clickhouseUrl();
    database = await createClickhouseDatabase(url, 'driver');
    const columns = COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
    await clickhouseExec(url, `CREATE TABLE items (${columns}) ENGINE = Memory`, { database });
    await clickhouseExec(url, `INSERT INTO items VALUES (${ITEMS.map(valuesOf).join('), (')})`, { database });
    await clickhouseExec(url, 'CREATE TABLE lefts (id Int32, name String) ENGINE = Memory', { database });
    await clickhouseExec(url, "INSERT INTO lefts VALUES (1, 'one'), (2, 'two')", { database });
    await clickhouseExec(url, 'CREATE TABLE rights (id Int32, score Int32, label String) ENGINE = Memory', {
      database,
    });
    await clickhouseExec(url, "INSERT INTO rights VALUES (1, 10, 'ten')", { database });
    driver = new ClickHouseDriver(clickhouseConfig(url, database), noRedaction);
  },
  { timeout: 600_000 },
);

after(async () => {
  if (url && database) await dropClickhouseDatabase(url, database);
});

/** How many queries holding `marker` the server is running, this one aside. */
async function serverRuns(marker: string): Promise<number> {
  const text = await clickhouseExec(
    url,
    `SELECT count() FROM system.processes WHERE query LIKE '%${marker}%' AND query NOT LIKE '%system.processes%'`,
  );
  return Number(text.trim());
}

/** Polls until `check` holds, for at most `ms`; the last answer decides. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

// ---------------------------------------------------------------------------
// Values and columns
// ---------------------------------------------------------------------------

describe('clickhouse: values and columns', () => {
  test('a generated table comes back normalised, NULLs included', async () => {
    const result = await driver.run(`SELECT ${COLUMNS.map(([name]) => name).join(', ')} FROM items ORDER BY id`);
    assert.deepEqual(
      result.columns,
      COLUMNS.map(([name]) => name),
    );
    assert.equal(result.truncated, false);
    assert.deepEqual(result.rows, ITEMS.map(expectedRow));
  });

  test('columns keep the SELECT order, even integer-like names; an empty result still names them', async () => {
    const result = await driver.run('SELECT 2 AS "b", 1 AS "a", 3 AS "10", \'x\' AS "z y"');
    assert.deepEqual(result.columns, ['b', 'a', '10', 'z y']);
    assert.deepEqual(result.rows, [{ b: 2, a: 1, '10': 3, 'z y': 'x' }]);
    const empty = await driver.run('SELECT id AS n, name FROM items WHERE id < 0');
    assert.deepEqual([empty.columns, empty.rows, empty.truncated], [['n', 'name'], [], false]);
  });

  test('aggregates, NULL literals and nested NULLs', async () => {
    const result = await driver.run(
      'SELECT count() AS n, sum(qty) AS total, avg(ratio) AS mean, NULL AS nothing, [1, NULL] AS list FROM items',
    );
    const qtys = ITEMS.flatMap((item) => (item.qty === null ? [] : [item.qty]));
    const mean = ITEMS.reduce((sum, item) => sum + item.ratio, 0) / ITEMS.length;
    const row = result.rows[0];
    assert.ok(row);
    assert.deepEqual(
      { ...row, mean: undefined },
      {
        n: ITEMS.length,
        total: qtys.reduce((a, b) => a + b, 0),
        mean: undefined,
        nothing: null,
        list: '[1,null]',
      },
    );
    assert.ok(Math.abs(Number(row.mean) - mean) < 1e-9, String(row.mean));
  });

  test('the text reader: types 18.16 lacks, wrappers, and literals that are not JSON', () => {
    assert.equal(readerFor('Bool')('true'), true);
    assert.equal(readerFor('Nullable(Bool)')('false'), false);
    assert.equal(readerFor('Nullable(Bool)')('\\N'), null);
    assert.equal(readerFor('DateTime64(3)')('2024-01-02 03:04:05.120'), '2024-01-02T03:04:05.12');
    assert.equal(readerFor("DateTime('UTC')")('2024-01-02 03:04:05'), '2024-01-02T03:04:05');
    assert.equal(readerFor('LowCardinality(Nullable(String))')('a\\tb'), 'a\tb');
    assert.equal(
      readerFor('Int128')('-170141183460469231731687303715884105728'),
      '-170141183460469231731687303715884105728',
    );
    assert.deepEqual(['nan', 'inf', '-inf', '1e+308'].map(readerFor('Float64')), [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e308,
    ]);
    assert.equal(
      readerFor('Map(String, UInt64)')("{'a':1,'b\\'c':18446744073709551615}"),
      '{"a":1,"b\'c":18446744073709551615}',
    );
    assert.equal(
      readerFor('Array(Tuple(String, Nullable(Float64)))')("[('x',nan),('y',NULL)]"),
      '[["x","nan"],["y",null]]',
    );
    assert.equal(literalToJson('[1,2'), '[1,2', 'malformed text comes back unchanged');
  });
});

// ---------------------------------------------------------------------------
// maxRows and cancellation
// ---------------------------------------------------------------------------

describe('clickhouse: maxRows and cancellation', () => {
  test('maxRows returns at most that many rows and says when more existed', async () => {
    const five = await driver.run('SELECT id FROM items ORDER BY id', { maxRows: 5 });
    assert.deepEqual(
      five.rows,
      ITEMS.slice(0, 5).map((item) => ({ id: item.id })),
    );
    assert.equal(five.truncated, true);
    const all = await driver.run('SELECT id FROM items', { maxRows: ITEMS.length });
    assert.deepEqual([all.rows.length, all.truncated], [ITEMS.length, false]);
    const none = await driver.run('SELECT id FROM items', { maxRows: 0 });
    assert.deepEqual([none.columns, none.rows, none.truncated], [['id'], [], true]);
    await rejectsWith(driver.run('SELECT 1', { maxRows: -1 }), ErrorCode.InvalidInput);
  });

  test('a met maxRows stops an endless query on the server too', async () => {
    const marker = `slayer_maxrows_${process.pid}`;
    const started = Date.now();
    const result = await driver.run(`SELECT number AS ${marker} FROM system.numbers`, { maxRows: 100_000 });
    assert.deepEqual([result.rows.length, result.truncated], [100_000, true]);
    assert.deepEqual(result.rows.at(-1), { [marker]: 99_999 });
    assert.ok(Date.now() - started < 30_000, 'the rows stream in; the run does not wait for the end');
    assert.ok(await eventually(async () => (await serverRuns(marker)) === 0, 10_000), 'the query is gone');
  });

  test('aborting a long query rejects with Cancelled at once and KILL QUERY ends it on the server', async () => {
    const marker = `slayer_cancel_${process.pid}`;
    const controller = new AbortController();
    // count() writes nothing until it ends, so only a kill (not a dropped connection) stops it.
    const running = driver.run(`SELECT count() AS ${marker} FROM numbers(100000000000)`, {
      signal: controller.signal,
    });
    assert.ok(await eventually(async () => (await serverRuns(marker)) === 1, 10_000), 'the query is running');
    const abortedAt = Date.now();
    controller.abort();
    await rejectsWith(running, ErrorCode.Cancelled);
    assert.ok(Date.now() - abortedAt < 1000, 'the run answers the cancel at once');
    assert.ok(await eventually(async () => (await serverRuns(marker)) === 0, 10_000), 'the server stopped it');
    const afterwards = await driver.run('SELECT count() AS n FROM items');
    assert.deepEqual(afterwards.rows, [{ n: ITEMS.length }]);
  });

  test('a cancel straight after the start still stops the server query', async () => {
    const marker = `slayer_early_cancel_${process.pid}`;
    const controller = new AbortController();
    const running = driver.run(`SELECT count() AS ${marker} FROM numbers(100000000000)`, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 5);
    await rejectsWith(running, ErrorCode.Cancelled);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await serverRuns(marker), 0, 'nothing left running');
  });

  test('an already-aborted signal never starts the query', async () => {
    await rejectsWith(driver.run('SELECT 1', { signal: AbortSignal.abort() }), ErrorCode.Cancelled);
  });
});

// ---------------------------------------------------------------------------
// Errors and settings
// ---------------------------------------------------------------------------

describe('clickhouse: errors and settings', () => {
  test("an error carries ClickHouse's message", async () => {
    const error = await rejectsWith(driver.run('SELECT no_such_column FROM items'), ErrorCode.DatabaseError);
    assert.match(error.message, /^Code: 47\b.*no_such_column/);
    assert.doesNotMatch(error.message, /e\.what\(\)/);
  });

  test('an error after rows have streamed (past the first megabyte) is an error, not a short result', async () => {
    const error = await rejectsWith(
      driver.run('SELECT number, throwIf(number = 3000000) FROM numbers(10000000)'),
      ErrorCode.DatabaseError,
    );
    assert.match(error.message, /^Code: 395\b/);
  });

  test('queries run read-only: a write is refused', async () => {
    const error = await rejectsWith(driver.run("INSERT INTO lefts VALUES (3, 'three')"), ErrorCode.DatabaseError);
    assert.match(error.message, /readonly/i);
    const rows = await driver.run('SELECT count() AS n FROM lefts');
    assert.deepEqual(rows.rows, [{ n: 2 }]);
  });

  test('join_use_nulls: an unmatched LEFT JOIN row gives NULL, not 0 or an empty string', async () => {
    const result = await driver.run(
      'SELECT l.id AS id, r.score AS score, r.label AS label FROM lefts AS l ' +
        'LEFT JOIN rights AS r ON l.id = r.id ORDER BY l.id',
    );
    assert.deepEqual(result.rows, [
      { id: 1, score: 10, label: 'ten' },
      { id: 2, score: null, label: null },
    ]);
  });

  test('a password never appears in an error: wrong password, unreachable server, query text', async () => {
    const secret = 'pässw0rd-s3cret';
    const base = new URL(url);
    const connectionString = `clickhouse://slayer:${encodeURIComponent(secret)}@${base.host}/${database}`;
    const ds: DatasourceDef = { version: 2, name: 'ch', connection_string: connectionString };
    const redact = (text: string): string => redactCredentials(text, ds);
    const wrong = new ClickHouseDriver(clickHouseConfigFromUrl(ds, connectionString), redact);
    const refused = await rejectsWith(wrong.run('SELECT 1'), ErrorCode.ConnectionFailed);
    assert.doesNotMatch(refused.message, new RegExp(secret));
    assert.match(refused.message, /password/i);

    const port = await closedPort();
    const nowhere: ClickHouseConfig = { server: `http://127.0.0.1:${port}`, username: 'u', password: secret, database };
    const unreachable = await rejectsWith(
      new ClickHouseDriver(nowhere, redact).run('SELECT 1'),
      ErrorCode.ConnectionFailed,
    );
    assert.doesNotMatch(unreachable.message, new RegExp(secret));

    const echoing = new ClickHouseDriver(clickhouseConfig(url, database), redact);
    // ClickHouse quotes the text it cannot parse, so the secret is in its message before redaction.
    const echoed = await rejectsWith(echoing.run(`SELECT toInt32('${secret}')`), ErrorCode.DatabaseError);
    assert.ok(!echoed.message.includes(secret), echoed.message);
    assert.match(echoed.message, /Cannot parse/);
    assert.equal(echoed.cause, undefined, 'the raw error is not kept');
  });
});

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

describe('clickhouse: configuration', () => {
  const ds: DatasourceDef = { version: 2, name: 'ch' };

  test('connection strings: clickhouse://, +http, clickhouses://, secure=true, defaults', () => {
    assert.deepEqual(clickHouseConfigFromUrl(ds, 'clickhouse://bob:p%40ss@db.example.com:8124/sales'), {
      server: 'http://db.example.com:8124',
      username: 'bob',
      password: 'p@ss',
      database: 'sales',
    });
    assert.deepEqual(clickHouseConfigFromUrl(ds, 'clickhouse+http://db'), {
      server: 'http://db:8123',
      username: 'default',
      database: 'default',
    });
    assert.equal(clickHouseConfigFromUrl(ds, 'clickhouses://db/x').server, 'https://db:8443');
    assert.equal(clickHouseConfigFromUrl(ds, 'clickhouse://db/x?secure=true').server, 'https://db:8443');
    assert.equal(clickHouseConfigFromUrl(ds, 'clickhouse+https://db:443/x').server, 'https://db:443');
    assert.equal(clickHouseConfigFromUrl(ds, 'clickhouse://[::1]:9999/x').server, 'http://[::1]:9999');
  });

  test('the native protocol is refused with the HTTP form to write instead', () => {
    assert.throws(
      () => clickHouseConfigFromUrl(ds, 'clickhouse+native://u:p@db:9000/x'),
      (error: unknown) =>
        error instanceof SlayerError &&
        error.code === ErrorCode.InvalidInput &&
        /HTTP interface/.test(error.message) &&
        /clickhouse:\/\/user:password@host:8123\/database/.test(error.message),
    );
    assert.throws(() => clickHouseConfigFromUrl(ds, 'clickhouse://db/a/b'), /path past the database/);
  });

  test('fields: host, port, database, username, password; https on 8443 or an https:// host', () => {
    const fields: DatasourceDef = { ...ds, username: 'bob', password: 'pw', database: 'sales' };
    assert.deepEqual(clickHouseConfigFromFields(fields, { host: 'db' }), {
      server: 'http://db:8123',
      username: 'bob',
      password: 'pw',
      database: 'sales',
    });
    assert.deepEqual(clickHouseConfigFromFields(ds, { host: 'localhost' }), {
      server: 'http://localhost:8123',
      username: 'default',
      database: 'default',
    });
    assert.equal(clickHouseConfigFromFields(ds, { host: 'db', port: 8443 }).server, 'https://db:8443');
    assert.equal(
      clickHouseConfigFromFields(ds, { host: 'https://db.example.com' }).server,
      'https://db.example.com:8443',
    );
    assert.equal(clickHouseConfigFromFields(ds, { host: 'http://db:9123' }).server, 'http://db:9123');
    assert.equal(clickHouseConfigFromFields(ds, { host: '::1', port: 8123 }).server, 'http://[::1]:8123');
  });
});
