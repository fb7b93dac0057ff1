import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CUSTOMERS_MODEL, makeShop, ORDERS_MODEL } from '../support/fixtures';

const CLI = path.resolve(__dirname, '../../dist/slayer-ls.js');

function run(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The fixture's orders model lists each measure's name before its formula; SLayer's order is formula first. */
const ORDERS_FORMATTED = ORDERS_MODEL.replace(
  / {2}- name: (\w+)\n {4}formula: (.+)\n/g,
  (_match, name: string, formula: string) => `  - formula: ${formula}\n    name: ${name}\n`,
);

describe('slayer-ls format (the bundled CLI)', () => {
  test('--check lists the unformatted files, changes nothing and exits 1', () => {
    const shop = makeShop();
    const result = run(['format', '--check'], shop.root);
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, `${path.join('models', 'shop', 'orders.yaml')}\n`);
    assert.match(result.stderr, /3 SLayer files: 1 need formatting\./);
    assert.equal(readFileSync(shop.file('models/shop/orders.yaml'), 'utf8'), ORDERS_MODEL);
  });

  test('format rewrites in place, keeping the file mode; then --check exits 0', () => {
    const shop = makeShop();
    const orders = shop.file('models/shop/orders.yaml');
    chmodSync(orders, 0o640);
    const result = run(['format', 'models'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${path.join('models', 'shop', 'orders.yaml')}\n`);
    assert.equal(readFileSync(orders, 'utf8'), ORDERS_FORMATTED);
    assert.equal(statSync(orders).mode & 0o777, 0o640);
    assert.equal(readFileSync(shop.file('models/shop/customers.yaml'), 'utf8'), CUSTOMERS_MODEL);
    const check = run(['format', '--check', shop.root], shop.root);
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout, '');
  });

  test('a file with YAML errors is reported, left as written, and fails the run', () => {
    const shop = makeShop();
    const broken = 'sql_table: orders\nname: orders\ncolumns: [id\n';
    shop.write('models/shop/orders.yaml', broken);
    const result = run(['format', 'models/shop/orders.yaml'], shop.root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /orders\.yaml: not formatted: line \d+: /);
    assert.equal(readFileSync(shop.file('models/shop/orders.yaml'), 'utf8'), broken);
  });

  test('JSON query files and YAML outside a storage root are left alone', () => {
    const shop = makeShop();
    const json = '{"measures": ["*:count"], "source_model": "orders"}\n';
    shop.write('queries/count.query.json', json);
    shop.write('notes/todo.yaml', 'b: 1\na: 2\n');
    shop.write('queries/count.query.yaml', 'measures: ["*:count"]\nsource_model: orders\n');
    const result = run(['format', '.'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(shop.file('queries/count.query.json'), 'utf8'), json);
    assert.equal(readFileSync(shop.file('notes/todo.yaml'), 'utf8'), 'b: 1\na: 2\n');
    assert.equal(
      readFileSync(shop.file('queries/count.query.yaml'), 'utf8'),
      'source_model: orders\nmeasures: ["*:count"]\n',
    );
  });

  test('bad usage exits 2', () => {
    const shop = makeShop();
    const unknown = run(['format', '--fix', '.'], shop.root);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /format has no option --fix/);
    const missing = run(['format', 'no/such/path'], shop.root);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /No such file or folder: no\/such\/path/);
  });
});
