/**
 * Hovers on every part of a model file, over stdio: the model's name, a join,
 * an aggregation inside a formula, and a live value that takes longer than the
 * time limit (a real Postgres sleeping), which shows the static part and why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Database } from 'node-sqlite3-wasm';
import { HoverRequest, type Hover } from 'vscode-languageserver-protocol/node';
import { makeStorageRoot, SHOP_DATASOURCE, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';
import { postgresUrl } from '../support/postgres';

const ORDERS = [
  'name: orders',
  'sql_table: orders',
  'data_source: shop',
  'description: One row per order.',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: customer_id, type: INT}',
  '  - {name: amount, type: DOUBLE}',
  'measures:',
  '  - name: typical',
  '    formula: amount:median',
  'joins:',
  '  - target_model: customers',
  '    join_pairs: [[customer_id, id]]',
  '',
].join('\n');

const CUSTOMERS = [
  'name: customers',
  'sql_table: customers',
  'data_source: shop',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '',
].join('\n');

/** A model whose every query sleeps for 5 s on the server. */
const SLOW = [
  'name: slow',
  'sql: SELECT 1 AS x FROM pg_sleep(5)',
  'data_source: warehouse',
  'columns:',
  '  - {name: x, type: INT}',
  'measures:',
  '  - name: total',
  '    formula: x:sum',
  '',
].join('\n');

/** A query-backed model whose stage reads a `{variable}` with a default. */
const BIG_ORDERS = [
  'name: big_orders',
  'data_source: shop',
  'query_variables: {min_amount: 15}',
  'source_queries:',
  '  - source_model: orders',
  '    measures: ["*:count"]',
  '    filters: ["amount > {min_amount}"]',
  '',
].join('\n');

const AMOUNTS_QUERY = 'source_model: orders\ndimensions: [amount]\nmeasures: ["*:count"]\n';

describe('hover over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    const url = await postgresUrl();
    shop = makeStorageRoot({
      'datasources/shop.yaml': SHOP_DATASOURCE,
      'datasources/warehouse.yaml': `name: warehouse\ntype: postgres\nconnection_string: ${url}\n`,
      'models/shop/orders.yaml': ORDERS,
      'models/shop/customers.yaml': CUSTOMERS,
      'models/warehouse/slow.yaml': SLOW,
      'models/shop/big_orders.yaml': BIG_ORDERS,
      'queries/amounts.query.yaml': AMOUNTS_QUERY,
    });
    const db = new Database(shop.file('shop.db'));
    db.exec(
      'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL);' +
        'INSERT INTO orders VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30);' +
        'CREATE TABLE customers (id INTEGER PRIMARY KEY); INSERT INTO customers VALUES (1), (2);',
    );
    db.close();
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  /** The hover's markdown at the first character of `needle` on the line that holds `lineNeedle`. */
  async function hoverText(relative: string, text: string, lineNeedle: string, needle = lineNeedle): Promise<string> {
    const lines = text.split('\n');
    const line = lines.findIndex((candidate) => candidate.includes(lineNeedle));
    assert.ok(line >= 0);
    const hover: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: pathToFileURL(shop.file(relative)).toString() },
      position: { line, character: (lines[line] ?? '').indexOf(needle) },
    });
    const contents = hover?.contents;
    return contents && typeof contents === 'object' && 'value' in contents ? contents.value : '';
  }

  test("a model's name: its source, description, what it declares and its live row count", async () => {
    const text = await hoverText('models/shop/orders.yaml', ORDERS, 'name: orders', 'orders');
    assert.match(text, /\*\*orders\*\* on data source `shop`, from table `orders`/);
    assert.match(text, /One row per order\./);
    assert.match(text, /3 columns, 1 measures, 1 joins/);
    assert.match(text, /Rows: \*\*3\*\*/);
  });

  test('a join: its path, its pairs and the key of the model it reaches', async () => {
    const text = await hoverText('models/shop/orders.yaml', ORDERS, 'target_model: customers', 'customers');
    assert.match(text, /\*\*orders → customers\*\* \(left join\)/);
    assert.match(text, /`orders\.customer_id = customers\.id`/);
    assert.match(text, /Key of 'customers': `id`/);
  });

  test('an aggregation after the colon: what it computes and which types allow it', async () => {
    const text = await hoverText('models/shop/orders.yaml', ORDERS, 'amount:median', 'median');
    assert.match(text, /\*\*:median\*\*/);
    assert.match(text, /the median/);
    assert.match(text, /Allowed by default on: INT, DOUBLE/);
  });

  test('a name in a query file hovers as its declaration: the column with its live samples', async () => {
    const text = await hoverText('queries/amounts.query.yaml', AMOUNTS_QUERY, 'dimensions', 'amount');
    assert.match(text, /\*\*orders\.amount\*\* `DOUBLE`/);
    assert.match(text, /Sampled: /);
  });

  test('a {variable} shows its default and where it comes from; a datasource never its connection', async () => {
    const variable = await hoverText('models/shop/big_orders.yaml', BIG_ORDERS, 'filters', 'min_amount');
    assert.match(variable, /\*\*\{min_amount\}\*\* = `15`/);
    assert.match(variable, /query_variables of model `big_orders\.yaml`/);
    const datasource = await hoverText('models/shop/orders.yaml', ORDERS, 'data_source: shop', 'shop');
    assert.match(datasource, /\*\*shop\*\*: a `sqlite` datasource/);
    assert.doesNotMatch(datasource, /shop\.db/, 'no connection details');
  });

  test('a live value slower than the time limit: the static part and why, without waiting for the database', async () => {
    const started = Date.now();
    const text = await hoverText('models/warehouse/slow.yaml', SLOW, 'name: total', 'total');
    const waited = Date.now() - started;
    assert.match(text, /\*\*slow\.total\*\* = `x:sum`/);
    assert.match(text, /Live data unavailable: the database did not answer within 1\.5 s/);
    // The query sleeps 5 s; an answer well before that proves the hover did not wait for it.
    assert.ok(waited < 4_500, `the hover took ${waited} ms`);
  });
});
