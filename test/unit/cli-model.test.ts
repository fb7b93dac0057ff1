/**
 * SLayer's engine API as slayer-ls verbs, through the bundled CLI on a real
 * SQLite file: save-model (from a query, --no-save, --file), show,
 * column-types and refresh-samples, each printing JSON shaped like SLayer's
 * return value and writing only through the storage.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { makeShop, type FixtureRoot } from '../support/fixtures';

const CLI = path.resolve(__dirname, '../../dist/slayer-ls.js');

function slayerLs(shop: FixtureRoot, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args, '--storage', shop.root], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Customers 1..3 in North, South, North; orders 1..4 with amounts 10..40. */
function writeDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT)');
    db.exec("INSERT INTO customers VALUES (1, 'North'), (2, 'South'), (3, 'North')");
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL)');
    db.exec('INSERT INTO orders VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30), (4, 1, 40)');
  } finally {
    db.close();
  }
}

const BY_REGION = JSON.stringify({ source_model: 'orders', dimensions: ['customers.region'], measures: ['revenue'] });

describe('slayer-ls model verbs', () => {
  let shop: FixtureRoot;
  beforeEach(() => {
    shop = makeShop();
    writeDatabase(shop.file('shop.db'));
  });

  test('save-model NAME QUERY prints the query-backed model with its cache, and saves it', () => {
    const saved = slayerLs(shop, 'save-model', 'by_region', BY_REGION);
    assert.equal(saved.status, 0, saved.stderr);
    const model = JSON.parse(saved.stdout) as {
      name: string;
      data_source: string;
      columns: { name: string; type: string }[];
    };
    assert.equal(model.name, 'by_region');
    assert.equal(model.data_source, 'shop');
    assert.deepEqual(
      model.columns.map((c) => [c.name, c.type]),
      [
        ['customers__region', 'TEXT'],
        ['revenue', 'DOUBLE'],
      ],
    );
    const file = shop.file('models/shop/by_region.yaml');
    assert.ok(existsSync(file), 'the model file was written');
    // What was saved is what show returns.
    assert.deepEqual(JSON.parse(slayerLs(shop, 'show', 'by_region').stdout), model);
  });

  test('--no-save prints the model and writes nothing', () => {
    const dry = slayerLs(shop, 'save-model', 'by_region', BY_REGION, '--no-save');
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal((JSON.parse(dry.stdout) as { name: string }).name, 'by_region');
    assert.ok(!existsSync(shop.file('models/shop/by_region.yaml')));
  });

  test('save-model --file validates a hand-written model against the storage root before saving it', () => {
    const draft = shop.write(
      'drafts/big_orders.yaml',
      'name: big_orders\nsql_table: orders\ndata_source: shop\ncolumns:\n  - name: amount\n    type: DOUBLE\nmeasures:\n  - name: total\n    formula: "amont:sum"\n',
    );
    const refused = slayerLs(shop, 'save-model', '--file', draft);
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /big_orders\.yaml:9: Column 'amont' not found in model 'big_orders'.*the model was not saved/,
    );
    assert.ok(!existsSync(shop.file('models/shop/big_orders.yaml')));
    writeFileSync(draft, readFileSync(draft, 'utf8').replace('amont:sum', 'amount:sum'));
    const saved = slayerLs(shop, 'save-model', '--file', draft);
    assert.equal(saved.status, 0, saved.stderr);
    assert.match(readFileSync(shop.file('models/shop/big_orders.yaml'), 'utf8'), /formula: amount:sum/);
  });

  test('column-types maps the probed columns (not keys, not hidden) to SLayer categories', () => {
    const types = slayerLs(shop, 'column-types', 'orders');
    assert.equal(types.status, 0, types.stderr);
    assert.deepEqual(JSON.parse(types.stdout), { customer_id: 'number', amount: 'number' });
    assert.equal(slayerLs(shop, 'column-types', 'nothing').status, 1);
  });

  test('refresh-samples writes samples into the model file and reports unknown models', () => {
    const refreshed = slayerLs(shop, 'refresh-samples', 'customers', 'nothing');
    assert.deepEqual(JSON.parse(refreshed.stdout), { errors: [], unresolved_models: ['nothing'] });
    assert.equal(refreshed.status, 1, 'an unknown model fails the run');
    const text = readFileSync(shop.file('models/shop/customers.yaml'), 'utf8');
    // North twice, South once: ranked by count.
    assert.match(text, /sampled: North, South/);
  });
});
