/**
 * `slayer-ls query` and `inspect` through the bundled CLI: input forms, SQL
 * in --dry-run, and one clear message for each kind of bad input. Runs on a
 * real SQLite file written here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { makeShop, type FixtureRoot } from '../support/fixtures';
import { parseWithSqlglot } from '../support/sqlglot';

const CLI = path.resolve(__dirname, '../../dist/slayer-ls.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Ten orders for three customers in two regions; amounts 10, 20, ... 100. */
function writeShopDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT)');
    db.exec("INSERT INTO customers VALUES (1, 'North'), (2, 'South'), (3, 'North')");
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL)');
    for (let i = 1; i <= 10; i++) db.run('INSERT INTO orders VALUES (?, ?, ?)', [i, (i % 3) + 1, i * 10]);
  } finally {
    db.close();
  }
}

/** A reader of RFC 4180 written here, independent of the exporter: quoted fields, doubled quotes, CRLF records. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const next = text[i + 1];
    if (quoted && char === '"' && next === '"') {
      field += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === ',') {
      record.push(field);
      field = '';
    } else if (!quoted && char === '\r' && next === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += char;
    }
  }
  return records;
}

let shop: FixtureRoot;

before(() => {
  shop = makeShop();
  writeShopDatabase(shop.file('shop.db'));
});

describe('slayer-ls query (the bundled CLI)', () => {
  test('inline JSON runs and --format json prints columns, data, row_count and sql', () => {
    const query = JSON.stringify({
      source_model: 'orders',
      dimensions: ['customers.region'],
      measures: ['revenue', '*:count'],
    });
    const result = run(['query', query, '--storage', '.', '--format', 'json'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    const response = JSON.parse(result.stdout) as {
      columns: string[];
      data: Record<string, unknown>[];
      row_count: number;
      sql: string;
    };
    assert.deepEqual(Object.keys(response), ['columns', 'data', 'row_count', 'sql']);
    assert.deepEqual(response.columns, ['orders.customers.region', 'orders.revenue', 'orders._count']);
    // Customer (i % 3) + 1: North holds customers 1 and 3 (orders 3, 6, 9 and 2, 5, 8), South customer 2.
    const north = response.data.find((row) => row['orders.customers.region'] === 'North');
    const south = response.data.find((row) => row['orders.customers.region'] === 'South');
    assert.deepEqual(north, { 'orders.customers.region': 'North', 'orders.revenue': 330, 'orders._count': 6 });
    assert.deepEqual(south, { 'orders.customers.region': 'South', 'orders.revenue': 220, 'orders._count': 4 });
    assert.match(response.sql, /LEFT JOIN customers AS customers ON orders\."customer_id" = customers\."id"/);
  });

  test('@file.query.yaml runs, and the table format aligns columns and counts rows', () => {
    shop.write('queries/total.query.yaml', 'source_model: orders\nmeasures:\n  - amount:max\n');
    const result = run(['query', '@queries/total.query.yaml', '--storage', '.'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'orders.amount_max\n-----------------\n              100\n(1 row)\n');
  });

  test("--format csv writes RFC 4180 rows that read back as the json format's rows; --out writes them to a file", () => {
    const query = JSON.stringify({
      source_model: 'orders',
      dimensions: ['customers.region'],
      measures: ['revenue', 'amount:avg'],
      order: [{ column: 'customers.region', direction: 'asc' }],
    });
    const json = run(['query', query, '--storage', '.', '--format', 'json'], shop.root);
    const csv = run(['query', query, '--storage', '.', '--format', 'csv'], shop.root);
    assert.equal(csv.status, 0, csv.stderr);
    const { columns, data } = JSON.parse(json.stdout) as { columns: string[]; data: Record<string, unknown>[] };
    const [header, ...records] = readCsv(csv.stdout);
    assert.deepEqual(header, columns);
    assert.deepEqual(
      records,
      data.map((row) => columns.map((column) => String(row[column]))),
    );
    const file = shop.file('out/regions.csv');
    mkdirSync(path.dirname(file), { recursive: true });
    const written = run(['query', query, '--storage', '.', '--format', 'csv', '--out', 'out/regions.csv'], shop.root);
    assert.equal(written.status, 0, written.stderr);
    assert.equal(written.stdout, '');
    assert.equal(written.stderr, `Wrote 2 rows to ${file}.\n`);
    assert.equal(readFileSync(file, 'utf8'), csv.stdout);
  });

  test('--out into a folder that does not exist fails with one message, exit 1', () => {
    const result = run(
      ['query', '{"source_model":"orders","measures":["*:count"]}', '--out', 'nowhere/x.csv'],
      shop.root,
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^slayer-ls query: Cannot write .*nowhere\/x\.csv: ENOENT/);
  });

  test('--dry-run prints the SQL without touching the database', () => {
    const result = run(
      ['query', '{"source_model":"orders","measures":["amount:sum"]}', '--storage', '.', '--dry-run'],
      shop.root,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'SELECT SUM(orders."amount") AS "orders.amount_sum"\nFROM orders AS orders');
  });

  test('--variables fill {placeholders} in filters', () => {
    const query = JSON.stringify({ source_model: 'orders', measures: ['*:count'], filters: ['amount >= {floor}'] });
    const result = run(
      ['query', query, '--storage', '.', '--format', 'json', '--variables', '{"floor": 70}'],
      shop.root,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { data: { 'orders._count': number }[] }).data[0]?.['orders._count'], 4);
  });

  test("--variables repeats as name=value, the way SLayer's CLI takes it", () => {
    const query = JSON.stringify({
      source_model: 'orders',
      measures: ['*:count'],
      filters: ['amount >= {floor}', 'amount <= {ceiling}'],
    });
    const args = [
      'query',
      query,
      '--storage',
      '.',
      '--format',
      'json',
      '--variables',
      'floor=30',
      '--variables',
      'ceiling=50',
    ];
    const result = run(args, shop.root);
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { data: { 'orders._count': number }[] }).data[0]?.['orders._count'], 3);
  });

  const badInput: ReadonlyArray<{ name: string; query: string; message: RegExp }> = [
    {
      name: 'bad JSON names the position',
      query: '{"source_model": orders}',
      message: /Invalid JSON in the query argument.*orders\}/,
    },
    {
      name: 'an unknown model suggests the nearest',
      query: '{"source_model":"order","measures":["*:count"]}',
      message: /Model 'order' not found\. Did you mean 'orders'\?/,
    },
    {
      name: 'an unknown column points into the formula and suggests',
      query: '{"source_model":"orders","measures":["amout:sum"]}',
      message:
        /^slayer-ls query: Column 'amout' not found in model 'orders'\. Did you mean 'amount'\?\n {2}in measure: amout:sum\n {14}\^{9}/,
    },
    {
      name: 'an unknown aggregation suggests',
      query: '{"source_model":"orders","measures":["amount:summ"]}',
      message: /Unknown aggregation 'summ'\. Did you mean 'sum'\?/,
    },
    {
      name: 'an ineligible aggregation names the rule',
      query: '{"source_model":"orders","measures":["id:sum"]}',
      message: /Aggregation 'sum' not allowed for primary-key column 'id'/,
    },
    {
      name: 'a formula syntax error shows where',
      query: '{"source_model":"orders","measures":["amount:sum +"]}',
      message: /Invalid formula syntax: 'amount:sum \+' — Unexpected end of formula.*\n {2}amount:sum \+\n {14}\^/,
    },
    {
      name: 'a schema error points at the field',
      query: '{"source_model":"orders","measures":["*:count"],"limt":3}',
      message: /Invalid query:\n {2}the query argument:1:49 Unknown query field 'limt'. Did you mean 'limit'\?/,
    },
    {
      name: 'a join that does not exist lists the joins there are',
      query: '{"source_model":"orders","dimensions":["stores.name"]}',
      message: /Model 'orders' has no join to 'stores'\. Available joins: \['customers'\]\./,
    },
  ];
  for (const { name, query, message } of badInput) {
    test(`bad input: ${name}; one message on stderr, exit 1`, () => {
      const result = run(['query', query, '--storage', '.'], shop.root);
      assert.equal(result.status, 1, result.stdout);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
      assert.equal(result.stderr.match(/slayer-ls query:/g)?.length, 1, 'exactly one message');
    });
  }

  test('running a table-backed model by name says to wrap it in a query, as SLayer does', () => {
    const result = run(['query', 'orders', '--storage', '.'], shop.root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Model 'orders' is not query-backed; pass a SlayerQuery with source_model='orders'\./);
  });
});

/**
 * Warehouses with no driver here: --dry-run prints the SQL in the type's
 * dialect, which the independent parser (sqlglot) reads in that dialect; a
 * run says plainly that the type cannot be queried. What the SQL means is
 * proven over the whole corpus in test/unit/dialect-corpus.test.ts.
 */
describe('slayer-ls query --dry-run on every warehouse dialect', () => {
  const PAGED_QUERY = JSON.stringify({
    source_model: 'orders',
    dimensions: ['customers.region'],
    measures: ['revenue'],
    order: [{ column: 'customers.region', direction: 'asc' }],
    limit: 1,
    offset: 1,
  });
  /**
   * Each type's dialect, a piece of SQL only that dialect writes for PAGED_QUERY, and whether a driver runs
   * it here (then the run gets past "cannot query": it reaches for the server, refused on port 9, or names what it still needs).
   */
  const WAREHOUSES: readonly { type: string; dialect: string; marker: RegExp; runs: boolean }[] = [
    { type: 'clickhouse', dialect: 'clickhouse', marker: /^LIMIT 1\nOFFSET 1$/m, runs: true },
    {
      type: 'mssql',
      dialect: 'sqlserver',
      marker: /\[orders___revenue\][\s\S]*OFFSET 1 ROWS\nFETCH NEXT 1 ROWS ONLY$/,
      runs: true,
    },
    { type: 'snowflake', dialect: 'snowflake', marker: /SUM\(orders\."AMOUNT"\)/, runs: true },
    { type: 'bigquery', dialect: 'bigquery', marker: /AS `orders___revenue`/, runs: true },
    { type: 'redshift', dialect: 'redshift', marker: /"orders\.customers\.region" ASC NULLS LAST/, runs: true },
    { type: 'trino', dialect: 'trino', marker: /^OFFSET 1\nLIMIT 1$/m, runs: true },
    { type: 'athena', dialect: 'trino', marker: /^OFFSET 1\nLIMIT 1$/m, runs: true },
    { type: 'databricks', dialect: 'databricks', marker: /AS `orders\.revenue`/, runs: true },
    { type: 'spark', dialect: 'databricks', marker: /AS `orders\.revenue`/, runs: false },
  ];

  for (const { type, dialect, marker, runs } of WAREHOUSES) {
    const outcome = runs ? 'a run reaches for the server' : 'a run says it cannot query';
    test(`type: ${type} prints ${dialect} SQL that sqlglot parses as ${dialect}, and ${outcome}`, () => {
      const root = makeShop();
      root.write('datasources/shop.yaml', `name: shop\ntype: ${type}\nhost: 127.0.0.1\nport: 9\nusername: u\n`);
      const dry = run(['query', PAGED_QUERY, '--storage', '.', '--dry-run'], root.root);
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stdout.trim(), marker);
      const [parsed] = parseWithSqlglot([{ dialect, sql: dry.stdout }]);
      assert.equal(parsed?.ok, true, parsed?.error);
      const live = run(['query', PAGED_QUERY, '--storage', '.'], root.root);
      assert.equal(live.status, 1);
      const refusal = new RegExp(`type '${type}', which SLayer Studio cannot query`);
      if (runs) assert.doesNotMatch(live.stderr, refusal);
      else assert.match(live.stderr, refusal);
    });
  }
});

describe('slayer-ls inspect (the bundled CLI)', () => {
  test('json: row count, columns with types and SLayer sampled text', () => {
    const result = run(['inspect', 'orders', '--storage', '.', '--format', 'json'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    const inspection = JSON.parse(result.stdout) as {
      row_count: number;
      columns: { name: string; type: string; sampled: string | null }[];
      joins: { target_model: string }[];
      measures: { name: string }[];
    };
    assert.equal(inspection.row_count, 10);
    const sampled = Object.fromEntries(inspection.columns.map((c) => [c.name, c.sampled]));
    assert.deepEqual(sampled, { id: null, customer_id: '1 .. 3', amount: '10.0 .. 100.0' });
    assert.deepEqual(
      inspection.joins.map((j) => j.target_model),
      ['customers'],
    );
    assert.deepEqual(
      inspection.measures.map((m) => m.name),
      ['revenue', 'regions_seen'],
    );
  });

  test('categorical columns list their most frequent values first', () => {
    const result = run(['inspect', 'customers', '--storage', '.', '--format', 'json'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    const region = (
      JSON.parse(result.stdout) as { columns: { name: string; sampled: string; distinct_count: number }[] }
    ).columns.find((c) => c.name === 'region');
    assert.equal(region?.sampled, 'North, South');
    assert.equal(region?.distinct_count, 2);
  });

  test('an unknown model exits 1 with a suggestion', () => {
    const result = run(['inspect', 'orderz', '--storage', '.'], shop.root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Model 'orderz' not found\. Did you mean 'orders'\?/);
  });
});
