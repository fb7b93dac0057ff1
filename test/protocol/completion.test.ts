import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CompletionRequest,
  InsertTextFormat,
  type CompletionItem,
  type CompletionList,
} from 'vscode-languageserver-protocol/node';
import { makeStorageRoot, ORDERS_MODEL, SHOP_DATASOURCE, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

const CUSTOMERS = [
  'name: customers',
  'sql_table: customers',
  'data_source: shop',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: region_id, type: INT}',
  '  - name: segment',
  '    type: TEXT',
  '    label: Segment',
  '    description: Where marketing puts the customer.',
  'joins:',
  '  - target_model: regions',
  '    join_pairs: [[region_id, id]]',
  '',
].join('\n');

const REGIONS = [
  'name: regions',
  'sql_table: regions',
  'data_source: shop',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: name, type: TEXT}',
  '',
].join('\n');

/** Where `|` stands in `text`: the file is opened without it and completion asked there. */
function marked(text: string): { text: string; line: number; character: number } {
  const at = text.indexOf('|');
  assert.ok(at >= 0, 'the test text marks the cursor with |');
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { text: text.slice(0, at) + text.slice(at + 1), line, character: at - (before.lastIndexOf('\n') + 1) };
}

/** The shop's three related models, and any extra files. */
function shopRoot(extra: Record<string, string> = {}): FixtureRoot {
  return makeStorageRoot({
    'datasources/shop.yaml': SHOP_DATASOURCE,
    'models/shop/customers.yaml': CUSTOMERS,
    'models/shop/regions.yaml': REGIONS,
    'models/shop/orders.yaml': ORDERS_MODEL,
    ...extra,
  });
}

describe('completion over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    shop = shopRoot({ 'queries/by_status.query.yaml': 'source_model: orders\nmeasures: ["*:count"]\n' });
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  /** Opens (or replaces) `relative` with the marked text and asks for completion at the mark. */
  async function complete(relative: string, markedText: string): Promise<CompletionItem[]> {
    const file = shop.file(relative);
    const { text, line, character } = marked(markedText);
    if (opened.has(file)) await client.replace(file, text);
    else await client.open(file, text);
    opened.add(file);
    const result = await client.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri: pathToFileURL(file).toString() },
      position: { line, character },
    });
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    return items;
  }
  const opened = new Set<string>();
  const labels = (items: readonly CompletionItem[]): string[] => items.map((item) => item.label);

  test('after `column:` the aggregations that column allows, parameters as snippets, replacing what follows the colon', async () => {
    const items = await complete('models/shop/orders.yaml', `${ORDERS_MODEL}  - name: typical\n    formula: amount:a|`);
    const names = labels(items);
    for (const expected of ['sum', 'avg', 'median', 'count_distinct', 'weighted_avg(weight=…)', 'percentile(p=…)']) {
      assert.ok(names.includes(expected), `${expected} offered for a DOUBLE column`);
    }
    const weighted = items.find((item) => item.label === 'weighted_avg(weight=…)');
    assert.equal(weighted?.insertTextFormat, InsertTextFormat.Snippet);
    assert.deepEqual(
      weighted?.textEdit && 'range' in weighted.textEdit ? weighted.textEdit.newText : undefined,
      'weighted_avg(weight=${1})',
    );
    const line = ORDERS_MODEL.split('\n').length + 0;
    const edit = items.find((item) => item.label === 'sum')?.textEdit;
    assert.ok(edit && 'range' in edit);
    assert.deepEqual(edit.range, { start: { line, character: 20 }, end: { line, character: 21 } }, 'the partial `a`');
  });

  test('a primary key only counts', async () => {
    const items = await complete('models/shop/orders.yaml', `${ORDERS_MODEL}  - name: ids\n    formula: id:|`);
    assert.deepEqual(labels(items).sort(), ['count', 'count_distinct', 'count_distinct_approx']);
  });

  test('after `customers.` the target model columns and its own joins, at any depth', async () => {
    const first = await complete('models/shop/orders.yaml', `${ORDERS_MODEL}  - name: n\n    formula: customers.|`);
    assert.deepEqual(labels(first).sort(), ['id', 'region_id', 'regions', 'segment']);
    const segment = first.find((item) => item.label === 'segment');
    assert.equal(segment?.detail, 'TEXT · Segment');
    assert.deepEqual(segment?.documentation, { kind: 'markdown', value: 'Where marketing puts the customer.' });
    const second = await complete(
      'models/shop/orders.yaml',
      `${ORDERS_MODEL}  - name: n\n    formula: customers.regions.na|:count_distinct`,
    );
    assert.deepEqual(labels(second).sort(), ['id', 'name']);
  });

  test('a bare word in a formula offers the model names first, then *:count, transforms and functions', async () => {
    const items = await complete('models/shop/orders.yaml', `${ORDERS_MODEL}  - name: x\n    formula: cumsum(r|`);
    const sorted = [...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
    const names = labels(sorted);
    assert.ok(names.indexOf('revenue') < names.indexOf('*:count'), 'the saved measure before the vocabulary');
    assert.ok(names.indexOf('*:count') < names.indexOf('cumsum'));
    assert.ok(names.indexOf('cumsum') < names.indexOf('round'));
    assert.match(sorted.find((item) => item.label === 'time_shift')?.detail ?? '', /^time_shift\(measure, periods/);
  });

  test('source_model lists models; data_source lists datasources; granularity lists the nine', async () => {
    const models = await complete('queries/by_status.query.yaml', 'source_model: |\n');
    assert.deepEqual(labels(models), ['customers', 'orders', 'regions']);
    const datasources = await complete(
      'models/shop/regions.yaml',
      REGIONS.replace('data_source: shop', 'data_source: |'),
    );
    assert.deepEqual(labels(datasources), ['shop']);
    const grains = await complete(
      'queries/by_status.query.yaml',
      'source_model: orders\ntime_dimensions:\n  - dimension: amount\n    granularity: |\n',
    );
    assert.equal(grains.length, 9);
    assert.ok(labels(grains).includes('quarter'));
  });

  test('in a query file, names come from its source model, in flow lists and list items', async () => {
    const flow = await complete('queries/by_status.query.yaml', 'source_model: orders\ndimensions: [amount, cu|]\n');
    assert.ok(labels(flow).includes('customer_id'));
    assert.ok(labels(flow).includes('customers'), 'joins, for dotted paths');
    const item = await complete('queries/by_status.query.yaml', 'source_model: customers\nmeasures:\n  - seg|\n');
    assert.ok(labels(item).includes('segment'));
    assert.ok(!labels(item).includes('revenue'), 'not the other model');
  });

  test("in a model's source_queries, names come from the stage's source model", async () => {
    const text = [
      'name: per_segment',
      'data_source: shop',
      'source_queries:',
      '  - source_model: customers',
      '    dimensions: [seg|]',
      '    measures: ["*:count"]',
      '',
    ].join('\n');
    const items = await complete('models/shop/per_segment.yaml', text);
    assert.ok(labels(items).includes('segment'));
    assert.ok(labels(items).includes('regions'));
  });

  test("a later stage sees an earlier stage's virtual columns", async () => {
    const text = [
      '- name: per_customer',
      '  source_model: customers',
      '  dimensions: [segment, regions.name]',
      '  measures: ["*:count"]',
      '- source_model: per_customer',
      '  dimensions: [|]',
      '',
    ].join('\n');
    const items = await complete('queries/stages.query.yaml', text);
    assert.deepEqual(
      labels(items.filter((item) => item.kind !== undefined && item.sortText?.startsWith('0_'))).sort(),
      ['_count', 'regions__name', 'segment'],
    );
  });

  test("{variable} names from query_variables and the query's variables", async () => {
    const model = [
      'name: big_orders',
      'data_source: shop',
      'query_variables: {min_amount: 10}',
      'source_queries:',
      '  - source_model: orders',
      '    measures: ["*:count"]',
      '    filters: ["amount > {m|"]',
      '',
    ].join('\n');
    assert.deepEqual(labels(await complete('models/shop/big_orders.yaml', model)), ['min_amount']);
    const query = 'source_model: orders\nvariables:\n  floor: 3\nfilters:\n  - amount > {|\n';
    assert.deepEqual(labels(await complete('queries/by_status.query.yaml', query)), ['floor']);
  });

  test('keys of the schema at the cursor, and a new column as a snippet', async () => {
    const top = await complete('models/shop/regions.yaml', `${REGIONS}defa|`);
    assert.ok(labels(top).includes('default_time_dimension'));
    const column = await complete('models/shop/regions.yaml', `${REGIONS}  - |`);
    assert.ok(labels(column).includes('primary_key'));
    const snippet = column.find((item) => item.label === 'new column');
    assert.equal(snippet?.insertTextFormat, InsertTextFormat.Snippet);
  });
});

describe('completion for a client that takes list defaults (LSP 3.17, as VS Code does)', () => {
  let shop: FixtureRoot;
  let plain: TestClient;
  let defaulted: TestClient;

  before(async () => {
    shop = shopRoot();
    plain = await TestClient.start(shop.root);
    defaulted = await TestClient.start(
      shop.root,
      {},
      {},
      {
        textDocument: { completion: { completionList: { itemDefaults: ['editRange', 'insertTextFormat'] } } },
      },
    );
  });

  after(async () => {
    await plain.stop();
    await defaulted.stop();
  });

  /** What each item inserts, where, and in which format, whether it says so itself or the list does. */
  function edits(list: CompletionList): string[] {
    return list.items.map((item) => {
      const own = item.textEdit && 'range' in item.textEdit ? item.textEdit : undefined;
      const range = own?.range ?? list.itemDefaults?.editRange;
      const text = own?.newText ?? item.textEditText ?? item.label;
      const format = item.insertTextFormat ?? list.itemDefaults?.insertTextFormat;
      return JSON.stringify({ label: item.label, range, text, format, sort: item.sortText, detail: item.detail });
    });
  }

  async function listFrom(client: TestClient, text: string, line: number, character: number): Promise<CompletionList> {
    const file = shop.file('models/shop/orders.yaml');
    await client.open(file, text);
    const result = await client.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri: pathToFileURL(file).toString() },
      position: { line, character },
    });
    assert.ok(result && !Array.isArray(result), 'a completion list');
    return result;
  }

  test('the same edits as item-by-item, with the range and format said once, in a smaller answer', async () => {
    const { text, line, character } = marked(`${ORDERS_MODEL}  - name: typical\n    formula: amount:a|`);
    const itemByItem = await listFrom(plain, text, line, character);
    const withDefaults = await listFrom(defaulted, text, line, character);
    assert.equal(itemByItem.itemDefaults, undefined, 'a client that did not ask gets no defaults');
    assert.ok(withDefaults.itemDefaults?.editRange, 'the range is given once for the list');
    assert.ok(
      withDefaults.items.every((item) => item.textEdit === undefined),
      'no item repeats the range',
    );
    assert.deepEqual(edits(withDefaults), edits(itemByItem));
    assert.ok(
      edits(itemByItem).some((edit) => edit.includes('weighted_avg(weight=${1})')),
      'a snippet is among them',
    );
    assert.ok(JSON.stringify(withDefaults).length < JSON.stringify(itemByItem).length * 0.6);
  });
});
