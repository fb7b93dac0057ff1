import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Requests, sendTypedRequest } from '../../shared/src/protocol';
import { CUSTOMERS_MODEL, makeShop, ORDERS_MODEL, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

describe('diagnostics over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    shop = makeShop();
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  test('the first index reports the storage root and no errors for a valid shop', async () => {
    const first = client.indexed[0];
    assert.ok(first);
    assert.equal(first.roots, 1);
    assert.equal(first.files, 3);
    assert.equal(first.errors, 0);
    const roots = await sendTypedRequest(client.connection, Requests.listStorageRoots, {});
    assert.deepEqual(roots, [{ path: shop.root, models: 2, datasources: 1, queries: 0 }]);
  });

  test('an invalid model opened in the editor gets a diagnostic with the exact range, and the fix clears it', async () => {
    const file = shop.file('models/shop/orders.yaml');
    const broken = ORDERS_MODEL.replace('formula: amount:sum', 'formula: amount:summ');
    await client.open(file, broken);
    const diagnostics = await client.waitForDiagnostics(file, (d) => d.length > 0, 'an error');
    assert.equal(diagnostics.length, 1);
    const [diagnostic] = diagnostics;
    assert.equal(diagnostic?.code, 'unknown-aggregation');
    assert.match(diagnostic?.message ?? '', /Unknown aggregation 'summ'\. Did you mean 'sum'\?/);
    const line = broken.split('\n').findIndex((text) => text.includes('amount:summ'));
    const column = (broken.split('\n')[line] ?? '').indexOf('summ');
    assert.deepEqual(diagnostic?.range, { start: { line, character: column }, end: { line, character: column + 4 } });

    await client.replace(file, ORDERS_MODEL);
    await client.waitForDiagnostics(file, (d) => d.length === 0, 'cleared');
    await client.close(file);
  });

  test('editing a referenced model (unsaved) updates the dependent model', async () => {
    const orders = shop.file('models/shop/orders.yaml');
    const customers = shop.file('models/shop/customers.yaml');
    await client.open(customers, CUSTOMERS_MODEL);
    await client.replace(customers, CUSTOMERS_MODEL.replace('- name: region', '- name: territory'));
    const diagnostics = await client.waitForDiagnostics(
      orders,
      (d) => d.some((x) => x.message.includes("'region'")),
      'region missing',
    );
    const regionError = diagnostics.find((d) => d.message.includes("'region'"));
    assert.equal(regionError?.code, 'unknown-reference');
    assert.match(regionError?.message ?? '', /Column 'region' not found in model 'customers'/);

    await client.replace(customers, CUSTOMERS_MODEL);
    await client.waitForDiagnostics(orders, (d) => d.length === 0, 'cleared after the rename is undone');
    await client.close(customers);
  });

  test('a file changed on disk without any editor event updates diagnostics', async () => {
    const orders = shop.file('models/shop/orders.yaml');
    writeFileSync(orders, ORDERS_MODEL.replace('data_source: shop', 'data_source: warehouse'));
    const diagnostics = await client.waitForDiagnostics(
      orders,
      (d) => d.some((x) => x.code === 'unknown-data-source'),
      'unknown data source',
    );
    const error = diagnostics.find((d) => d.code === 'unknown-data-source');
    assert.equal(error?.range.start.line, 2);
    assert.match(error?.message ?? '', /Datasource 'warehouse' not found/);

    writeFileSync(orders, ORDERS_MODEL);
    await client.waitForDiagnostics(orders, (d) => !d.some((x) => x.code === 'unknown-data-source'), 'fixed on disk');
  });

  test('a model deleted on disk turns its dependents into errors', async () => {
    const customers = shop.file('models/shop/customers.yaml');
    const orders = shop.file('models/shop/orders.yaml');
    const { rmSync } = await import('node:fs');
    rmSync(customers);
    await client.waitForDiagnostics(
      orders,
      (d) => d.some((x) => x.code === 'unknown-model'),
      'the join target is gone',
    );
    writeFileSync(customers, CUSTOMERS_MODEL);
    await client.waitForDiagnostics(orders, (d) => d.length === 0, 'the join target is back');
  });
});
