/**
 * A model name used in two data sources (the demo's `orders` in `jaffle` and
 * `jaffle_duckdb`) must never be resolved by whichever the catalog lists
 * first: the two read different databases. SLayer's rule: the only model of
 * the name; of several, the one in the preferred data source (a query-backed
 * model's own, a join's parent's); else AmbiguousModelError. Two SQLite files
 * with different rows, values computed by hand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { ErrorCode, isSlayerError } from '../../shared/src/errors';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { openDriver } from '../../server/src/engine/drivers/connect';
import { executeQuery, stageCatalogFor, storedQueryOf, type EngineHost } from '../../server/src/engine/query/execute';
import type { DatasourceDef, ModelDef } from '../../server/src/engine/schema/types';
import { decodeQuery } from '../support/run-query';

let dir: string;
let host: EngineHost;

/** `a` holds amounts 1, 2, 3 (sum 6); `b` holds 10 and 20 (sum 30). Both have customer 1, in regions A and B. */
function writeDatabase(file: string, amounts: readonly number[], region: string): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL)');
    amounts.forEach((amount, i) => db.run('INSERT INTO orders VALUES (?, 1, ?)', [i + 1, amount]));
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT)');
    db.run('INSERT INTO customers VALUES (1, ?)', [region]);
  } finally {
    db.close();
  }
}

function model(text: string): ModelDef {
  const parsed = parseSlayerDocument('model', text, { warnOnUnknownFields: true });
  assert.ok(parsed.model && parsed.parseProblems.length === 0, JSON.stringify(parsed.parseProblems));
  return parsed.model;
}

const orders = (ds: string): string =>
  `name: orders\nsql_table: orders\ndata_source: ${ds}\ncolumns:\n  - name: id\n    type: INT\n    primary_key: true\n  - name: customer_id\n    type: INT\n  - name: amount\n    type: DOUBLE\njoins:\n  - target_model: customers\n    join_pairs: [[customer_id, id]]\n`;
const customers = (ds: string): string =>
  `name: customers\nsql_table: customers\ndata_source: ${ds}\ncolumns:\n  - name: id\n    type: INT\n    primary_key: true\n  - name: region\n    type: TEXT\n`;
const TOTALS_B =
  'name: totals_b\ndata_source: b\nsource_queries:\n  - source_model: orders\n    measures: ["amount:sum"]\n';

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'slayer-model-names-'));
  writeDatabase(path.join(dir, 'a.sqlite'), [1, 2, 3], 'A');
  writeDatabase(path.join(dir, 'b.sqlite'), [10, 20], 'B');
  const datasources: DatasourceDef[] = [
    { version: 2, name: 'a', type: 'sqlite', database: path.join(dir, 'a.sqlite') },
    { version: 2, name: 'b', type: 'sqlite', database: path.join(dir, 'b.sqlite') },
  ];
  // `a`'s models are listed first: a guess would read a.sqlite.
  const models = [orders('a'), customers('a'), orders('b'), customers('b'), TOTALS_B].map(model);
  host = { catalog: new StaticCatalog(models, datasources), openDriver: (ds) => openDriver(ds, { baseDir: dir }) };
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('a bare name found in two data sources is an error naming both, not the first one found', async () => {
  await assert.rejects(
    executeQuery(decodeQuery({ source_model: 'orders', measures: ['amount:sum'] }), host),
    (error: unknown) =>
      isSlayerError(error) &&
      error.code === ErrorCode.InvalidInput &&
      /^Model 'orders' exists in multiple datasources: \['a', 'b'\]/.test(error.message),
  );
});

test("a query-backed model's stages read the models of its own data source", async () => {
  const response = await executeQuery(decodeQuery({ source_model: 'totals_b', measures: ['amount_sum:sum'] }), host);
  assert.deepEqual(response.data, [{ 'totals_b.amount_sum_sum': 30 }]);
  const totals = host.catalog.getModel('totals_b');
  assert.ok(totals);
  assert.equal(stageCatalogFor(totals, host.catalog).cacheOf(totals).data_source, 'b');
});

test('run by name, a query-backed model runs its stages in its own data source', async () => {
  const { stages, dataSource } = storedQueryOf('totals_b', host.catalog);
  assert.equal(dataSource, 'b');
  const response = await executeQuery(stages, host, { preferDataSource: dataSource });
  assert.deepEqual(response.data, [{ 'orders.amount_sum': 30 }]);
});

test("a join target in two data sources is the joining model's own", async () => {
  const response = await executeQuery(
    decodeQuery({ source_model: 'orders', dimensions: ['customers.region'], measures: ['amount:sum'] }),
    host,
    { preferDataSource: 'b' },
  );
  assert.deepEqual(response.data, [{ 'orders.customers.region': 'B', 'orders.amount_sum': 30 }]);
});

test("the storage root's priority.yaml decides a bare name, as SLayer's does", async () => {
  const catalog = new StaticCatalog(
    [orders('a'), customers('a'), orders('b'), customers('b')].map(model),
    ['a', 'b'].map((name) => host.catalog.getDatasource(name)).filter((ds) => ds !== undefined),
  );
  catalog.setDataSourcePriority(['b', 'a']);
  const response = await executeQuery(decodeQuery({ source_model: 'orders', measures: ['amount:sum'] }), {
    ...host,
    catalog,
  });
  assert.deepEqual(response.data, [{ 'orders.amount_sum': 30 }]);
});
