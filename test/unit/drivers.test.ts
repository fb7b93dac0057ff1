/**
 * The driver layer against real databases: one generated table loaded into a
 * SQLite file, a DuckDB file and the test Postgres; every driver must return
 * the values computed here from the generator, so all three agree.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from 'node-sqlite3-wasm';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { openDriver, redactCredentials, resolveEnvReferences } from '../../server/src/engine/drivers/connect';
import {
  SQLITE_AGGREGATE_SPELLING,
  SQLITE_FUNCTIONS,
  corr,
  covarPop,
  covarSamp,
  median,
  percentileCont,
  percentileDisc,
  pow,
  sqliteAggregateCall,
  stddevPop,
  stddevSamp,
  varPop,
  varSamp,
  type SqliteAggregateName,
} from '../../server/src/engine/drivers/sqlite-functions';
import type { Dialect, Driver } from '../../server/src/engine/drivers/types';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import { createMysqlDatabase, dropMysqlDatabase, mysqlUrl, mysqlUrlFor, withMysql } from '../support/mysql';
import { postgresUrl, withPostgres } from '../support/postgres';
import { closedPort } from '../support/ports';
import { rejectsWith } from '../support/rejects-with';

// ---------------------------------------------------------------------------
// The generated table
// ---------------------------------------------------------------------------

interface Item {
  id: number;
  qty: number | null;
  /** Written as this decimal text on every database. */
  priceText: string;
  name: string | null;
  day: string;
  /** Date, hour, minute, second and milliseconds of the timestamp. */
  at: { day: string; h: number; m: number; s: number; ms: number };
  active: boolean;
  amountText: string;
  big: bigint;
}

const ROWS = 40;
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A small deterministic generator (a linear congruential sequence), so failures reproduce. */
function generateItems(): Item[] {
  let state = 12345;
  const next = (limit: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % limit;
  };
  return Array.from({ length: ROWS }, (_, index) => {
    const id = index + 1;
    const day = `2024-${pad(1 + next(12))}-${pad(1 + next(28))}`;
    return {
      id,
      qty: id % 7 === 0 ? null : next(50) - 10,
      priceText: (next(100000) / 100).toFixed(2),
      name: id % 5 === 0 ? null : `item ${id} ${'xyz'.slice(next(3))}`,
      day,
      at: { day, h: next(24), m: next(60), s: next(60), ms: id % 3 === 0 ? next(1000) : 0 },
      active: next(2) === 1,
      amountText: `${next(1000)}.${pad(next(100))}`,
      // Every fourth value is past 2^53, where a JavaScript number would lose digits.
      big: id % 4 === 0 ? 9007199254740993n + BigInt(id) : BigInt(next(1_000_000)),
    };
  });
}

const ITEMS = generateItems();

function timestampLiteral(at: Item['at']): string {
  return `${at.day} ${pad(at.h)}:${pad(at.m)}:${pad(at.s)}.${pad(at.ms, 3)}`;
}

/** What every driver must return for a row, derived from the generator alone. */
function expectedRow(item: Item): Record<string, unknown> {
  const fraction = item.at.ms === 0 ? '' : `.${pad(item.at.ms, 3).replace(/0+$/, '')}`;
  const safe = item.big <= BigInt(Number.MAX_SAFE_INTEGER);
  return {
    id: item.id,
    qty: item.qty,
    price: Number(item.priceText),
    name: item.name,
    day: item.day,
    seen_at: `${item.at.day}T${pad(item.at.h)}:${pad(item.at.m)}:${pad(item.at.s)}${fraction}`,
    active: item.active,
    amount: Number(item.amountText),
    big: safe ? Number(item.big) : item.big.toString(),
  };
}

const COLUMNS = ['id', 'qty', 'price', 'name', 'day', 'seen_at', 'active', 'amount', 'big'];

function createTable(double: string, timestamp = 'TIMESTAMP'): string {
  return (
    `CREATE TABLE items (id INTEGER, qty INTEGER, price ${double}, name TEXT, day DATE, ` +
    `seen_at ${timestamp}, active BOOLEAN, amount NUMERIC(10,2), big BIGINT)`
  );
}

const sqlText = (text: string | null): string => (text === null ? 'NULL' : `'${text.replace(/'/g, "''")}'`);

/** One INSERT every database accepts: text literals are cast to the column types on the way in. */
function insertItems(): string {
  const values = ITEMS.map((item) =>
    [
      item.id,
      item.qty ?? 'NULL',
      item.priceText,
      sqlText(item.name),
      sqlText(item.day),
      sqlText(timestampLiteral(item.at)),
      item.active ? 'TRUE' : 'FALSE',
      item.amountText,
      item.big.toString(),
    ].join(', '),
  );
  return `INSERT INTO items VALUES (${values.join('), (')})`;
}

function writeSqlite(file: string, statements: string[]): void {
  const db = new Database(file);
  try {
    for (const statement of statements) db.exec(statement);
  } finally {
    db.close();
  }
}

async function writeDuckdb(file: string, statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Writes to a DuckDB file from a separate Node process, as another tool would. */
async function writeDuckdbElsewhere(file: string, statement: string): Promise<void> {
  const script =
    "const { DuckDBInstance } = require('@duckdb/node-api');" +
    'const [file, sql] = process.argv.slice(-2);' +
    '(async () => { const i = await DuckDBInstance.create(file); const c = await i.connect();' +
    ' await c.run(sql); c.closeSync(); i.closeSync(); })()' +
    '.catch((e) => { console.error(e.message); process.exit(1); });';
  await promisify(execFile)(process.execPath, ['-e', script, file, statement], {
    cwd: path.resolve(__dirname, '../..'),
  });
}

// ---------------------------------------------------------------------------
// Fixture: the three databases
// ---------------------------------------------------------------------------

/**
 * Redshift has no server here: its driver (the Postgres driver's Redshift flavour, from a redshift:// URL)
 * runs against the test Postgres, which stands in for the wire protocol, login, cursors and cancel. What
 * Redshift itself accepts of our SQL is proven by test/unit/dialect-corpus.test.ts, not here.
 */
const DIALECTS: readonly Dialect[] = ['sqlite', 'duckdb', 'postgres', 'mysql', 'redshift'];
const dir = mkdtempSync(path.join(tmpdir(), 'slayer-drivers-'));
const schema = `drivers_${process.pid}_${Date.now()}`;
let pgUrl = '';
let myUrl = '';
let myDatabase = '';
const drivers = {} as Record<Dialect, Driver>;

function datasource(dialect: Dialect): DatasourceDef {
  if (dialect === 'postgres') {
    return { version: 2, name: 'pg', type: 'postgres', connection_string: pgUrl, schema_name: schema };
  }
  if (dialect === 'redshift') {
    const url = `${pgUrl.replace(/^postgres(ql)?:/, 'redshift:')}${pgUrl.includes('?') ? '&' : '?'}sslmode=disable`;
    return { version: 2, name: 'rs', type: 'redshift', connection_string: url, schema_name: schema };
  }
  if (dialect === 'mysql')
    return { version: 2, name: 'my', type: 'mysql', connection_string: mysqlUrlFor(myUrl, myDatabase) };
  // Relative paths: they must resolve against the storage root (baseDir).
  return { version: 2, name: dialect, type: dialect, database: `items.${dialect}` };
}

/**
 * A query that would run for minutes, on each database. MariaDB stops a recursive CTE at
 * max_recursive_iterations (1,000 by default), so there it is BENCHMARK, which KILL QUERY interrupts.
 */
const longQuery = (dialect: Dialect): string =>
  dialect === 'mysql' ? "SELECT BENCHMARK(100000000000, MD5('slayer')) AS c" : LONG_QUERY;

/** The numbers 1 to `count`, in order; MariaDB's SEQUENCE engine names them `seq_1_to_N`. */
const series = (dialect: Dialect, count: number): string =>
  dialect === 'mysql'
    ? `SELECT seq AS i FROM seq_1_to_${count} ORDER BY seq`
    : `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count}) SELECT i FROM n`;

const LONG_QUERY =
  'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT count(*) AS c FROM n';

before(async () => {
  pgUrl = await postgresUrl();
  writeSqlite(path.join(dir, 'items.sqlite'), [createTable('DOUBLE'), insertItems()]);
  await writeDuckdb(path.join(dir, 'items.duckdb'), [createTable('DOUBLE'), insertItems()]);
  await withPostgres(pgUrl, async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await client.query(createTable('DOUBLE PRECISION'));
    await client.query(insertItems());
  });
  myUrl = await mysqlUrl();
  myDatabase = await createMysqlDatabase(myUrl, 'drivers');
  await withMysql(mysqlUrlFor(myUrl, myDatabase), async (connection) => {
    // DATETIME(3): MySQL's TIMESTAMP is a moment (and updates itself); fractions need a precision.
    await connection.query(createTable('DOUBLE', 'DATETIME(3)'));
    await connection.query(insertItems());
  });
  for (const dialect of DIALECTS) drivers[dialect] = openDriver(datasource(dialect), { baseDir: dir });
});

after(async () => {
  await Promise.all(DIALECTS.map((dialect) => drivers[dialect]?.close()));
  if (pgUrl) await withPostgres(pgUrl, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  if (myDatabase) await dropMysqlDatabase(myUrl, myDatabase);
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Values and shapes
// ---------------------------------------------------------------------------

describe('the same table on every driver', () => {
  for (const dialect of DIALECTS) {
    test(`${dialect}: normalised rows equal the generated values`, async () => {
      const driver = drivers[dialect];
      assert.equal(driver.dialect, dialect);
      const result = await driver.run(`SELECT ${COLUMNS.join(', ')} FROM items ORDER BY id`);
      assert.deepEqual(result.columns, COLUMNS);
      assert.equal(result.truncated, false);
      assert.deepEqual(result.rows, ITEMS.map(expectedRow));
    });

    test(`${dialect}: columns keep the SELECT order, even integer-like names`, async () => {
      const result = await drivers[dialect].run('SELECT name, id AS "2", price, id AS "1" FROM items WHERE id = 1');
      assert.deepEqual(result.columns, ['name', '2', 'price', '1']);
      const first = ITEMS[0];
      assert.ok(first);
      assert.deepEqual(result.rows, [{ name: first.name, 2: 1, price: Number(first.priceText), 1: 1 }]);
    });

    test(`${dialect}: aggregates come back as plain numbers`, async () => {
      const result = await drivers[dialect].run(
        'SELECT count(*) AS n, count(qty) AS counted, sum(qty) AS total, sum(amount) AS amount FROM items',
      );
      const quantities = ITEMS.flatMap((item) => (item.qty === null ? [] : [item.qty]));
      const cents = ITEMS.reduce((sum, item) => sum + Math.round(Number(item.amountText) * 100), 0);
      const row = result.rows[0];
      assert.ok(row);
      assert.equal(row.n, ITEMS.length);
      assert.equal(row.counted, quantities.length);
      assert.equal(
        row.total,
        quantities.reduce((a, b) => a + b, 0),
      );
      assert.ok(typeof row.amount === 'number' && Math.abs(row.amount - cents / 100) < 1e-6, String(row.amount));
    });

    test(`${dialect}: an empty result still names its columns`, async () => {
      const result = await drivers[dialect].run('SELECT id, name FROM items WHERE id < 0');
      assert.deepEqual(result, { columns: ['id', 'name'], rows: [], truncated: false });
    });
  }
});

describe('maxRows', () => {
  for (const dialect of DIALECTS) {
    test(`${dialect}: returns at most maxRows and says when more existed`, async () => {
      const driver = drivers[dialect];
      const five = await driver.run('SELECT id FROM items ORDER BY id', { maxRows: 5 });
      assert.deepEqual(
        five.rows,
        ITEMS.slice(0, 5).map((item) => ({ id: item.id })),
      );
      assert.equal(five.truncated, true);
      const all = await driver.run('SELECT id FROM items ORDER BY id', { maxRows: ITEMS.length });
      assert.equal(all.rows.length, ITEMS.length);
      assert.equal(all.truncated, false);
      const none = await driver.run('SELECT id FROM items', { maxRows: 0 });
      assert.deepEqual([none.rows, none.truncated], [[], true]);
      // Larger than one page/chunk, so the limit is met mid-stream.
      const numbers = await driver.run(series(dialect, 5000), { maxRows: 2500 });
      assert.deepEqual([numbers.rows.length, numbers.truncated, numbers.rows.at(-1)], [2500, true, { i: 2500 }]);
    });

    test(`${dialect}: rejects a maxRows that is not a whole number`, async () => {
      await rejectsWith(drivers[dialect].run('SELECT 1', { maxRows: -1 }), ErrorCode.InvalidInput);
    });
  }
});

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

describe('cancellation', () => {
  for (const dialect of DIALECTS) {
    test(`${dialect}: aborting a long query rejects quickly with Cancelled, and the driver still works`, async () => {
      const driver = drivers[dialect];
      const controller = new AbortController();
      const running = driver.run(longQuery(dialect), { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const abortedAt = Date.now();
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      const took = Date.now() - abortedAt;
      assert.ok(took < 3000, `cancellation took ${took} ms`);
      const after = await driver.run('SELECT count(*) AS n FROM items');
      assert.deepEqual(after.rows, [{ n: ITEMS.length }]);
    });

    test(`${dialect}: an already-aborted signal never starts the query`, async () => {
      await rejectsWith(drivers[dialect].run('SELECT 1 AS one', { signal: AbortSignal.abort() }), ErrorCode.Cancelled);
    });
  }

  test('mysql: a cancel stops the statement on the server (KILL QUERY), not only the client', async () => {
    const controller = new AbortController();
    const marker = `slayer_cancel_${process.pid}`;
    const running = drivers.mysql.run(`SELECT BENCHMARK(100000000000, MD5('${marker}')) AS c`, {
      signal: controller.signal,
    });
    const serverRuns = (): Promise<number> =>
      withMysql(mysqlUrlFor(myUrl, myDatabase), async (connection) => {
        const [rows] = await connection.query(
          `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${marker}%' AND INFO NOT LIKE '%PROCESSLIST%'`,
        );
        return Number((rows as { n: number }[])[0]?.n ?? 0);
      });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await serverRuns(), 1, 'the statement is running on the server');
    controller.abort();
    await rejectsWith(running, ErrorCode.Cancelled);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await serverRuns(), 0, 'the server no longer runs it');
  });

  test('sqlite: cancelling the running query leaves the queued one to finish on a new worker', async () => {
    const driver = drivers.sqlite;
    const controller = new AbortController();
    const long = driver.run(LONG_QUERY, { signal: controller.signal });
    const queued = driver.run('SELECT max(id) AS top FROM items');
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await rejectsWith(long, ErrorCode.Cancelled);
    assert.deepEqual((await queued).rows, [{ top: ITEMS.length }]);
  });
});

// ---------------------------------------------------------------------------
// Files are free between runs
// ---------------------------------------------------------------------------

describe('file locks are released between runs', () => {
  test('sqlite: another connection can write right after a run and after a cancelled run', async () => {
    const file = path.join(dir, 'lock.sqlite');
    writeSqlite(file, ['CREATE TABLE t (x INTEGER)', 'INSERT INTO t VALUES (1)']);
    const driver = openDriver({ version: 2, name: 'lock', type: 'sqlite', database: file }, { baseDir: dir });
    try {
      assert.deepEqual((await driver.run('SELECT x FROM t')).rows, [{ x: 1 }]);
      writeSqlite(file, ['INSERT INTO t VALUES (2)']);
      const controller = new AbortController();
      const long = driver.run(`${LONG_QUERY.replace('SELECT count(*) AS c FROM n', 'SELECT count(*) FROM n, t')}`, {
        signal: controller.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await rejectsWith(long, ErrorCode.Cancelled);
      assert.equal(existsSync(`${file}.lock`), false, 'the terminated worker left its lock directory');
      writeSqlite(file, ['INSERT INTO t VALUES (3)']);
      assert.deepEqual((await driver.run('SELECT sum(x) AS s FROM t')).rows, [{ s: 6 }]);
    } finally {
      await driver.close();
    }
  });

  test('duckdb: another process can open the file read-write right after a run and after a cancelled run', async () => {
    const file = path.join(dir, 'lock.duckdb');
    await writeDuckdb(file, ['CREATE TABLE t (x INTEGER)', 'INSERT INTO t VALUES (1)']);
    const driver = openDriver({ version: 2, name: 'lock', type: 'duckdb', database: file }, { baseDir: dir });
    assert.deepEqual((await driver.run('SELECT x FROM t')).rows, [{ x: 1 }]);
    // DuckDB's file lock is per process, so only another process proves it was released.
    await writeDuckdbElsewhere(file, 'INSERT INTO t VALUES (2)');
    const controller = new AbortController();
    const long = driver.run(LONG_QUERY, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await rejectsWith(long, ErrorCode.Cancelled);
    await writeDuckdbElsewhere(file, 'INSERT INTO t VALUES (3)');
    assert.deepEqual((await driver.run('SELECT sum(x) AS s FROM t')).rows, [{ s: 6 }]);
    await driver.close();
  });
});

// ---------------------------------------------------------------------------
// SLayer's SQLite functions
// ---------------------------------------------------------------------------

describe('SLayer functions on SQLite', () => {
  const memory = (): Driver =>
    openDriver({ version: 2, name: 'mem', type: 'sqlite', database: ':memory:' }, { baseDir: dir });
  let sqlite: Driver;
  before(() => {
    sqlite = memory();
  });
  after(() => sqlite.close());

  /** `WITH v(x, y) AS (VALUES ...)`: NULL rows included, which every aggregate must skip. */
  function valuesCte(rows: readonly (readonly [number | null, number | null])[]): string {
    const body = [...rows, [null, null] as const].map(([x, y]) => `(${x ?? 'NULL'}, ${y ?? 'NULL'})`).join(', ');
    return `WITH v(x, y) AS (VALUES ${body})`;
  }

  async function aggregate(name: SqliteAggregateName, rows: [number | null, number | null][], p = '0.5') {
    const params = SQLITE_AGGREGATE_SPELLING[name].params;
    const args = params.map((param) => (param === 'p' ? p : param === 'y' ? 'y' : 'x'));
    const result = await sqlite.run(`${valuesCte(rows)} SELECT ${sqliteAggregateCall(name, args)} AS r FROM v`);
    return result.rows[0]?.r;
  }

  const xs = (...values: number[]): [number, null][] => values.map((value) => [value, null]);
  const close = (actual: unknown, expected: number): void => {
    assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-12, `${String(actual)} != ${expected}`);
  };

  test('median: middle value, mean of the two middle values, NULL for no values', async () => {
    assert.equal(await aggregate('median', xs(4, 1, 2)), 2);
    assert.equal(await aggregate('median', xs(10, 1, 3, 2)), 2.5);
    assert.equal(await aggregate('median', xs(7)), 7);
    assert.equal(await aggregate('median', []), null);
  });

  test('percentile_cont interpolates like Postgres; percentile_disc picks a value', async () => {
    // Ranks 0..3 for 1, 2, 3, 4: p = 0.25 is rank 0.75, three quarters of the way from 1 to 2.
    assert.equal(await aggregate('percentile_cont', xs(4, 3, 2, 1), '0.25'), 1.75);
    assert.equal(await aggregate('percentile_cont', xs(4, 3, 2, 1), '1'), 4);
    assert.equal(await aggregate('percentile_cont', xs(5), '0.9'), 5);
    assert.equal(await aggregate('percentile_cont', [], '0.5'), null);
    // cume_dist of 1, 2, 3, 4 is .25, .5, .75, 1: the first reaching 0.5 is 2, reaching 0.51 is 3.
    assert.equal(await aggregate('percentile_disc', xs(4, 3, 2, 1), '0.5'), 2);
    assert.equal(await aggregate('percentile_disc', xs(4, 3, 2, 1), '0.51'), 3);
    assert.equal(await aggregate('percentile_disc', xs(4, 3, 2, 1), '0'), 1);
    await rejectsWith(aggregate('percentile_cont', xs(1, 2), '1.5'), ErrorCode.DatabaseError);
  });

  test('variance and standard deviation, with Postgres semantics for N <= 1', async () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32.
    const data = xs(2, 4, 4, 4, 5, 5, 7, 9);
    close(await aggregate('var_samp', data), 32 / 7);
    close(await aggregate('variance', data), 32 / 7);
    close(await aggregate('var_pop', data), 4);
    close(await aggregate('variance_pop', data), 4);
    close(await aggregate('stddev_samp', data), Math.sqrt(32 / 7));
    close(await aggregate('stddev_pop', data), 2);
    for (const name of ['var_samp', 'variance', 'stddev_samp'] as const) {
      assert.equal(await aggregate(name, xs(3)), null, `${name} of one value`);
      assert.equal(await aggregate(name, []), null, `${name} of none`);
    }
    for (const name of ['var_pop', 'variance_pop', 'stddev_pop'] as const) {
      assert.equal(await aggregate(name, xs(3)), 0, `${name} of one value`);
      assert.equal(await aggregate(name, []), null, `${name} of none`);
    }
  });

  test('corr and covariance over pairs, skipping pairs with a NULL', async () => {
    // x 1, 2, 3 and y 2, 4, 7: means 2 and 13/3; the products of deviations sum to 7/3 + 8/3 = 5.
    const pairs: [number | null, number | null][] = [
      [1, 2],
      [2, 4],
      [3, 7],
      [4, null],
      [null, 9],
    ];
    close(await aggregate('covar_samp', pairs), 5 / 2);
    close(await aggregate('covar_pop', pairs), 5 / 3);
    // Squared deviations: x 2, y 38/3, so corr = 5 / sqrt(2 * 38 / 3).
    close(await aggregate('corr', pairs), 5 / Math.sqrt((2 * 38) / 3));
    close(
      await aggregate('corr', [
        [1, 3],
        [2, 5],
        [3, 7],
      ]),
      1,
    );
    close(
      await aggregate('corr', [
        [1, 3],
        [2, 1],
        [3, -1],
      ]),
      -1,
    );
    assert.equal(
      await aggregate('corr', [
        [1, 3],
        [1, 5],
        [1, 7],
      ]),
      null,
      'constant x',
    );
    assert.equal(await aggregate('corr', [[1, 3]]), null, 'one pair');
    assert.equal(await aggregate('covar_samp', [[1, 3]]), null, 'one pair');
    assert.equal(await aggregate('covar_pop', [[1, 3]]), 0, 'one pair');
    assert.equal(await aggregate('covar_pop', []), null, 'no pairs');
  });

  test('aggregates work per group and as window functions', async () => {
    const grouped = await sqlite.run(
      `${valuesCte([
        [1, 1],
        [1, 3],
        [1, 8],
        [2, 5],
      ])} SELECT x, ${sqliteAggregateCall('median', ['y'])} AS m ` + 'FROM v WHERE x IS NOT NULL GROUP BY x ORDER BY x',
    );
    assert.deepEqual(grouped.rows, [
      { x: 1, m: 3 },
      { x: 2, m: 5 },
    ]);
    const windowed = await sqlite.run(
      `${valuesCte([
        [1, 1],
        [2, 3],
        [3, 8],
      ])} SELECT x, slayer_median(json_group_array(y) OVER (ORDER BY x)) AS m ` +
        'FROM v WHERE x IS NOT NULL ORDER BY x',
    );
    assert.deepEqual(
      windowed.rows.map((row) => row.m),
      [1, 2, 3],
    );
  });

  test('scalar maths, NULL in NULL out, and errors where Postgres raises them', async () => {
    const result = await sqlite.run(
      'SELECT ln(exp(2)) AS a, log10(1000) AS b, log2(8) AS c, log(2, 8) AS d, exp(0) AS e, sqrt(16) AS f, ' +
        'pow(2, 10) AS g, power(2, -1) AS h, ln(NULL) AS i, pow(NULL, 2) AS j',
    );
    const row = result.rows[0];
    assert.ok(row);
    close(row.a, 2);
    close(row.b, 3);
    close(row.c, 3);
    close(row.d, 3);
    assert.deepEqual([row.e, row.f, row.g, row.h, row.i, row.j], [1, 4, 1024, 0.5, null, null]);
    const failures: [string, RegExp][] = [
      ['ln(0)', /logarithm of zero/],
      ['log10(-1)', /logarithm of a negative/],
      ['sqrt(-1)', /square root of a negative/],
      ['pow(0, -1)', /zero raised to a negative power/],
      ['pow(-8, 0.5)', /non-integer power/],
      ['exp(1000)', /overflow/],
      ['log(1, 10)', /division by zero/],
    ];
    for (const [call, message] of failures) {
      const error = await rejectsWith(sqlite.run(`SELECT ${call} AS r`), ErrorCode.DatabaseError);
      assert.match(error.message, message, call);
    }
  });

  test('every registered function declares its arity exactly, and every aggregate spelling has its UDF', () => {
    for (const fn of SQLITE_FUNCTIONS) assert.equal(fn.implementation.length, fn.arity, fn.name);
    const registered = new Set(SQLITE_FUNCTIONS.map((fn) => fn.name));
    for (const [name, spelling] of Object.entries(SQLITE_AGGREGATE_SPELLING)) {
      assert.ok(registered.has(spelling.udf), `${name} -> ${spelling.udf}`);
    }
    assert.throws(() => sqliteAggregateCall('corr', ['x']), /takes 2 argument/);
  });

  test('the pure functions agree with the hand-computed values', () => {
    assert.equal(median([]), null);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(percentileCont([10, 20, 30], 0.5), 20);
    assert.equal(percentileCont([10, 20], 0.3), 13);
    assert.equal(percentileDisc([10, 20, 30], 0.34), 20);
    assert.throws(() => percentileCont([1], -0.1), /\[0, 1\]/);
    assert.equal(varSamp([1]), null);
    assert.equal(varPop([1]), 0);
    assert.equal(stddevSamp([]), null);
    assert.equal(stddevPop([5, 5]), 0);
    assert.equal(varSamp([1, 3]), 2);
    assert.equal(covarSamp([[1, 1]]), null);
    assert.equal(covarPop([[1, 1]]), 0);
    assert.equal(
      corr([
        [1, 2],
        [2, 2],
      ]),
      null,
    );
    assert.equal(pow(-2, 3), -8);
  });

  test('SQLite UDFs match Postgres and DuckDB built-ins on the generated table', async () => {
    const sqliteSql =
      'SELECT ' +
      [
        `${sqliteAggregateCall('median', ['price'])} AS median`,
        `${sqliteAggregateCall('percentile_cont', ['price', '0.3'])} AS p30`,
        `${sqliteAggregateCall('percentile_disc', ['price', '0.3'])} AS d30`,
        `${sqliteAggregateCall('stddev_samp', ['qty'])} AS sd`,
        `${sqliteAggregateCall('var_pop', ['qty'])} AS vp`,
        `${sqliteAggregateCall('corr', ['price', 'qty'])} AS corr`,
        `${sqliteAggregateCall('covar_samp', ['price', 'qty'])} AS cov`,
      ].join(', ') +
      ' FROM items';
    const nativeSql = (cont: string, disc: string): string =>
      `SELECT ${cont.replace('P', '0.5')} AS median, ${cont.replace('P', '0.3')} AS p30, ` +
      `${disc.replace('P', '0.3')} AS d30, stddev_samp(qty) AS sd, var_pop(qty) AS vp, ` +
      'corr(price, qty) AS corr, covar_samp(price, qty) AS cov FROM items';
    const postgresSql = nativeSql(
      'percentile_cont(P) WITHIN GROUP (ORDER BY price)',
      'percentile_disc(P) WITHIN GROUP (ORDER BY price)',
    );
    const duckdbSql = nativeSql('quantile_cont(price, P)', 'quantile_disc(price, P)');
    const [fromSqlite, fromPostgres, fromDuckdb] = await Promise.all([
      drivers.sqlite.run(sqliteSql),
      drivers.postgres.run(postgresSql),
      drivers.duckdb.run(duckdbSql),
    ]);
    const reference = fromSqlite.rows[0];
    assert.ok(reference);
    for (const other of [fromPostgres.rows[0], fromDuckdb.rows[0]]) {
      assert.ok(other);
      for (const [key, value] of Object.entries(reference)) {
        const theirs = other[key];
        assert.ok(
          typeof value === 'number' &&
            typeof theirs === 'number' &&
            Math.abs(value - theirs) < 1e-9 * (1 + Math.abs(value)),
          `${key}: ${String(value)} vs ${String(theirs)}`,
        );
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Datasources: types, connection strings, env, credentials
// ---------------------------------------------------------------------------

describe('openDriver', () => {
  test('connection strings: sqlite:/// and duckdb:/// relative to the storage root, postgresql:// URLs', async () => {
    const cases: DatasourceDef[] = [
      { version: 2, name: 'a', connection_string: 'sqlite:///items.sqlite' },
      { version: 2, name: 'b', connection_string: `duckdb:///${path.join(dir, 'items.duckdb')}` },
      { version: 2, name: 'c', type: 'postgresql', connection_string: pgUrl, schema_name: schema },
    ];
    for (const ds of cases) {
      const driver = openDriver(ds, { baseDir: dir });
      try {
        assert.deepEqual((await driver.run('SELECT count(*) AS n FROM items')).rows, [{ n: ITEMS.length }], ds.name);
      } finally {
        await driver.close();
      }
    }
  });

  test('postgres fields: host, port, database, username and schema_name as search_path', async () => {
    const url = new URL(pgUrl);
    const ds: DatasourceDef = {
      version: 2,
      name: 'fields',
      type: 'postgres',
      host: url.hostname,
      port: '${SLAYER_TEST_PORT}',
      database: url.pathname.slice(1),
      username: decodeURIComponent(url.username),
      schema_name: schema,
    };
    const driver = openDriver(ds, { baseDir: dir, env: { SLAYER_TEST_PORT: url.port } });
    assert.deepEqual((await driver.run('SELECT max(id) AS top FROM items')).rows, [{ top: ITEMS.length }]);
    await driver.close();
  });

  test('${ENV} references resolve in any field; a missing one is named in the error', async () => {
    const ds: DatasourceDef = { version: 2, name: 'env', type: 'sqlite', database: '${SLAYER_TEST_DIR}/items.sqlite' };
    const driver = openDriver(ds, { baseDir: '/nonexistent', env: { SLAYER_TEST_DIR: dir } });
    assert.deepEqual((await driver.run('SELECT count(*) AS n FROM items')).rows, [{ n: ITEMS.length }]);
    await driver.close();
    const missing: DatasourceDef = { ...ds, password: 'x${SLAYER_TEST_NOT_SET_ANYWHERE}' };
    assert.throws(
      () => openDriver(missing, { baseDir: dir, env: { SLAYER_TEST_DIR: dir } }),
      (error: unknown) =>
        error instanceof SlayerError &&
        error.code === ErrorCode.InvalidInput &&
        error.message.includes('SLAYER_TEST_NOT_SET_ANYWHERE') &&
        error.message.includes("'password'"),
    );
    assert.equal(resolveEnvReferences({ version: 2, name: 'n', host: '${H}:${P}' }, { H: 'db', P: '1' }).host, 'db:1');
  });

  test('unsupported types fail naming the type and the supported ones; a missing file fails to connect', async () => {
    assert.throws(
      () => openDriver({ version: 2, name: 'm', type: 'oracle', host: 'h' }, { baseDir: dir }),
      (error: unknown) =>
        error instanceof SlayerError &&
        error.code === ErrorCode.UnsupportedDatasource &&
        /'oracle'/.test(error.message) &&
        /sqlite, duckdb, postgres, postgresql, mysql, mariadb, redshift, trino, presto, clickhouse, databricks/.test(
          error.message,
        ),
    );
    assert.throws(
      () => openDriver({ version: 2, name: 'n', connection_string: 'oracle://u:p@host/db' }, { baseDir: dir }),
      (error: unknown) => error instanceof SlayerError && error.code === ErrorCode.UnsupportedDatasource,
    );
    const driver = openDriver(
      { version: 2, name: 'gone', type: 'sqlite', database: 'missing.sqlite' },
      { baseDir: dir },
    );
    await rejectsWith(driver.run('SELECT 1'), ErrorCode.ConnectionFailed);
    assert.equal(existsSync(path.join(dir, 'missing.sqlite')), false, 'a read-only open must not create the file');
    await driver.close();
  });

  test('a failed connection never shows the password', async () => {
    const port = await closedPort();
    const secret = 'hunter2-secret';
    const sources: DatasourceDef[] = [
      {
        version: 2,
        name: 'f',
        type: 'postgres',
        host: '127.0.0.1',
        port,
        username: 'u',
        password: secret,
        database: 'd',
      },
      { version: 2, name: 'u', type: 'postgres', connection_string: `postgresql://u:${secret}@127.0.0.1:${port}/d` },
      { version: 2, name: 'e', type: 'postgres', connection_string: `postgresql://u:\${PW}@127.0.0.1:${port}/d` },
      { version: 2, name: 'm', type: 'mysql', host: '127.0.0.1', port, username: 'u', password: secret, database: 'd' },
      { version: 2, name: 'n', type: 'mariadb', connection_string: `mysql+pymysql://u:${secret}@127.0.0.1:${port}/d` },
    ];
    for (const ds of sources) {
      const driver = openDriver(ds, { baseDir: dir, env: { PW: secret } });
      const error = await rejectsWith(driver.run('SELECT 1'), ErrorCode.ConnectionFailed);
      assert.ok(!error.message.includes(secret), error.message);
      assert.ok(!String(error.stack).includes(secret), 'stack');
      assert.equal(error.cause, undefined, 'the raw library error is not kept');
      await driver.close();
    }
  });

  test('a query error is redacted too, and redactCredentials masks every spelling of the secret', async () => {
    const secret = 'hunter2-secret';
    const ds: DatasourceDef = { ...datasource('postgres'), password: secret };
    const driver = openDriver(ds, { baseDir: dir });
    const error = await rejectsWith(driver.run(`SELECT "${secret}" FROM items`), ErrorCode.DatabaseError);
    assert.ok(!error.message.includes(secret), error.message);
    await driver.close();
    const url = 'postgresql://bob:p%40ss@db/x';
    const redacted = redactCredentials(`failed: ${url} with p@ss and p%40ss`, {
      version: 2,
      name: 'r',
      connection_string: url,
    });
    assert.ok(!redacted.includes('p@ss') && !redacted.includes('p%40ss'), redacted);
    assert.ok(redacted.includes('bob'), 'the user name stays for diagnosis');
  });
});
