import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { discoverWorkspace } from '../../server/src/workspace/discovery';
import { PathMatcher } from '../../server/src/workspace/glob';
import { WorkspaceIndex } from '../../server/src/workspace/index';
import { CUSTOMERS_MODEL, makeShop, makeStorageRoot, ORDERS_MODEL, SHOP_DATASOURCE } from '../support/fixtures';

async function loadIndex(folder: string): Promise<WorkspaceIndex> {
  const discovered = await discoverWorkspace([folder], new PathMatcher(['**/node_modules/**']));
  const index = new WorkspaceIndex({ warnOnUnknownFields: true });
  await index.load(discovered.roots, discovered.files);
  return index;
}

function codes(index: WorkspaceIndex, file: string): string[] {
  return index.problems(file).map((p) => p.code);
}

describe('workspace index', () => {
  test('discovery finds the storage root and its files, and skips dbt projects and excluded folders', async () => {
    const fixture = makeStorageRoot({
      'slayer/datasources/shop.yaml': SHOP_DATASOURCE,
      'slayer/models/shop/orders.yaml': ORDERS_MODEL,
      'dbt/dbt_project.yml': 'name: x\n',
      'dbt/models/schema.yaml': 'version: 2\n',
      'node_modules/pkg/models/x.yaml': 'name: x\n',
      'queries/top.query.yaml': 'source_model: orders\n',
    });
    const discovered = await discoverWorkspace([fixture.root], new PathMatcher(['**/node_modules/**']));
    assert.deepEqual(discovered.roots, [fixture.file('slayer')]);
    assert.deepEqual(discovered.files, [
      fixture.file('queries/top.query.yaml'),
      fixture.file('slayer/datasources/shop.yaml'),
      fixture.file('slayer/models/shop/orders.yaml'),
    ]);
  });

  test('an unsaved edit re-checks the file and its dependents only', async () => {
    const shop = makeShop();
    shop.write('models/shop/unrelated.yaml', 'name: unrelated\nsql_table: t\ndata_source: shop\n');
    const index = await loadIndex(shop.root);
    const customers = shop.file('models/shop/customers.yaml');
    const orders = shop.file('models/shop/orders.yaml');
    const touched = await index.setOverlay(customers, CUSTOMERS_MODEL.replace('region', 'territory'));
    assert.deepEqual(touched.sort(), [customers, orders].sort());
    assert.ok(codes(index, orders).includes('unknown-reference'));
    assert.deepEqual(codes(index, shop.file('models/shop/unrelated.yaml')), []);
  });

  test('closing an unsaved buffer goes back to the bytes on disk', async () => {
    const shop = makeShop();
    const index = await loadIndex(shop.root);
    const orders = shop.file('models/shop/orders.yaml');
    await index.setOverlay(orders, ORDERS_MODEL.replace('amount:sum', 'amount:nope'));
    assert.deepEqual(codes(index, orders), ['unknown-aggregation']);
    await index.clearOverlay(orders);
    assert.deepEqual(codes(index, orders), []);
  });

  test('the editor owns an open file: a disk change under it is ignored until it closes', async () => {
    const shop = makeShop();
    const index = await loadIndex(shop.root);
    const orders = shop.file('models/shop/orders.yaml');
    await index.setOverlay(orders, ORDERS_MODEL);
    shop.write('models/shop/orders.yaml', ORDERS_MODEL.replace('data_source: shop', 'data_source: gone'));
    assert.deepEqual(await index.filesChangedOnDisk([orders]), []);
    assert.deepEqual(codes(index, orders), []);
    await index.clearOverlay(orders);
    assert.ok(codes(index, orders).includes('unknown-data-source'));
  });

  test('a disk event whose bytes the index already has re-checks nothing', async () => {
    const shop = makeShop();
    const index = await loadIndex(shop.root);
    assert.deepEqual(await index.filesChangedOnDisk([shop.file('models/shop/orders.yaml')]), []);
  });

  test('two files declaring one model are both flagged, and fixing one clears both', async () => {
    const shop = makeShop();
    const copy = shop.write('models/shop/orders_copy.yaml', ORDERS_MODEL);
    const index = await loadIndex(shop.root);
    const orders = shop.file('models/shop/orders.yaml');
    assert.ok(codes(index, orders).includes('ambiguous-model'));
    assert.ok(codes(index, copy).includes('ambiguous-model'));
    await index.setOverlay(copy, ORDERS_MODEL.replace('name: orders', 'name: orders_copy'));
    assert.ok(!codes(index, orders).includes('ambiguous-model'));
  });

  test('editing one of two same-named models of different data sources does not change which one a lookup finds', async () => {
    const shop = makeShop();
    shop.write('datasources/warehouse.yaml', 'name: warehouse\ntype: sqlite\ndatabase: w.db\n');
    const copy = shop.write(
      'models/warehouse/orders.yaml',
      ORDERS_MODEL.replace('data_source: shop', 'data_source: warehouse'),
    );
    const index = await loadIndex(shop.root);
    const before = index.catalogFor(shop.root).getModel('orders')?.data_source;
    const first = before === 'shop' ? shop.file('models/shop/orders.yaml') : copy;
    const text = before === 'shop' ? ORDERS_MODEL : ORDERS_MODEL.replace('data_source: shop', 'data_source: warehouse');
    await index.setOverlay(first, text.replace('amount:sum', 'amount:avg'));
    assert.equal(index.catalogFor(shop.root).getModel('orders')?.data_source, before);
    await index.clearOverlay(first);
    assert.equal(index.catalogFor(shop.root).getModel('orders')?.data_source, before);
  });

  test("a storage root's priority.yaml is read at start and again when it changes on disk", async () => {
    const shop = makeShop();
    shop.write('priority.yaml', 'priority: [shop, warehouse]\n');
    const index = await loadIndex(shop.root);
    assert.deepEqual(index.catalogFor(shop.root).dataSourcePriority?.(), ['shop', 'warehouse']);
    const file = shop.write('priority.yaml', '# changed\npriority: [warehouse]\n');
    assert.deepEqual(await index.filesChangedOnDisk([file]), []);
    assert.deepEqual(index.catalogFor(shop.root).dataSourcePriority?.(), ['warehouse']);
    shop.write('priority.yaml', 'priority: not a list\n');
    await index.filesChangedOnDisk([file]);
    assert.deepEqual(index.catalogFor(shop.root).dataSourcePriority?.(), []);
  });

  test('a query naming a model two data sources declare is an error until priority.yaml chooses one', async () => {
    const shop = makeShop();
    shop.write('datasources/warehouse.yaml', 'name: warehouse\ntype: sqlite\ndatabase: w.db\n');
    shop.write('models/warehouse/orders.yaml', ORDERS_MODEL.replace('data_source: shop', 'data_source: warehouse'));
    const query = shop.write('queries/total.query.yaml', 'source_model: orders\nmeasures: [amount:sum]\n');
    const index = await loadIndex(shop.root);
    const [problem] = index.problems(query);
    assert.equal(problem?.code, 'ambiguous-model');
    assert.match(
      problem?.message ?? '',
      /^Model 'orders' exists in multiple datasources: \['shop', 'warehouse'\]\. Specify a data_source/,
    );
    assert.equal(index.get(query)?.parsed.text.slice(problem?.span.start, problem?.span.end), 'orders');
    const priority = shop.write('priority.yaml', 'priority: [warehouse, shop]\n');
    assert.deepEqual(await index.filesChangedOnDisk([priority]), [query]);
    assert.deepEqual(codes(index, query), []);
  });

  test('a datasource that disappears makes its models fail', async () => {
    const shop = makeShop();
    const index = await loadIndex(shop.root);
    rmSync(shop.file('datasources/shop.yaml'));
    const touched = await index.filesChangedOnDisk([shop.file('datasources/shop.yaml')]);
    assert.ok(touched.includes(shop.file('models/shop/orders.yaml')));
    assert.ok(codes(index, shop.file('models/shop/orders.yaml')).includes('unknown-data-source'));
  });

  test('a byte-order mark does not shift diagnostic positions', async () => {
    const shop = makeShop();
    shop.write('models/shop/orders.yaml', `\uFEFF${ORDERS_MODEL.replace('amount:sum', 'amount:nope')}`);
    const index = await loadIndex(shop.root);
    const state = index.get(shop.file('models/shop/orders.yaml'));
    const problem = state?.problems[0];
    assert.ok(state && problem);
    assert.equal(state.parsed.text.slice(problem.span.start, problem.span.end), 'nope');
  });
});
