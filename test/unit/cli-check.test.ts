import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { makeShop, ORDERS_MODEL } from '../support/fixtures';

const CLI = path.resolve(__dirname, '../../dist/slayer-ls.js');

function run(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('slayer-ls check (the bundled CLI)', () => {
  test('a valid storage root exits 0 and prints a summary', () => {
    const shop = makeShop();
    const result = run(['check', '--storage', '.'], shop.root);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /3 files in 1 storage root\(s\): 0 errors, 0 warnings/);
  });

  test('a broken model exits 1 and prints path:line:col severity message', () => {
    const shop = makeShop();
    shop.write('models/shop/orders.yaml', ORDERS_MODEL.replace('formula: amount:sum', 'formula: amount:summ'));
    const result = run(['check', '--storage', shop.root], shop.root);
    assert.equal(result.status, 1);
    const line = ORDERS_MODEL.split('\n').findIndex((l) => l.includes('amount:sum')) + 1;
    const column = (ORDERS_MODEL.split('\n')[line - 1] ?? '').indexOf('sum') + 1;
    assert.equal(
      result.stdout,
      `models/shop/orders.yaml:${line}:${column} error Unknown aggregation 'summ'. Did you mean 'sum'? [unknown-aggregation]\n`,
    );
  });

  test('--format json gives machine-readable problems', () => {
    const shop = makeShop();
    shop.write('models/shop/orders.yaml', ORDERS_MODEL.replace('data_source: shop', 'data_source: nowhere'));
    const result = run(['check', '--storage', '.', '--format', 'json'], shop.root);
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as { errors: number; problems: { code: string; line: number }[] };
    assert.equal(report.errors, 1);
    assert.deepEqual(
      report.problems.map((p) => [p.code, p.line]),
      [
        ['unknown-data-source', 3],
        ['file-location', 3],
      ],
    );
  });

  test('bad usage exits 2 with a message', () => {
    const shop = makeShop();
    const unknown = run(['frobnicate'], shop.root);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown command 'frobnicate'/);
    const badFormat = run(['check', '--format', 'xml'], shop.root);
    assert.equal(badFormat.status, 2);
    assert.match(badFormat.stderr, /--format must be one of text, json, got 'xml'/);
    const missing = run(['check', '--storage', 'no/such/dir'], shop.root);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /No such folder: no\/such\/dir/);
  });
});
