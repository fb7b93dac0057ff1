/**
 * Quick fixes over stdio: each diagnostic with a fix gets a code action whose
 * edit, applied to the editor's text, makes the diagnostic go away while the
 * rest of the file stays byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  type CodeAction,
  type Diagnostic,
  type TextDocumentEdit,
} from 'vscode-languageserver-protocol/node';
import { LineIndex } from '../../server/src/engine/schema/source';
import { CUSTOMERS_MODEL, makeShop, ORDERS_MODEL, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

/** Applies a code action's text edits to `text`, last edit first so offsets stay valid. */
function applyAction(text: string, action: CodeAction): string {
  const lines = new LineIndex(text);
  const edits = (action.edit?.documentChanges ?? []).flatMap((change) => (change as TextDocumentEdit).edits);
  assert.ok(edits.length > 0, `${action.title} edits something`);
  const spans = edits
    .map((edit) => ({
      start: lines.offsetAt(edit.range.start),
      end: lines.offsetAt(edit.range.end),
      text: edit.newText,
    }))
    .sort((a, b) => b.start - a.start);
  return spans.reduce((current, edit) => current.slice(0, edit.start) + edit.text + current.slice(edit.end), text);
}

describe('quick fixes over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    shop = makeShop();
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  const opened = new Set<string>();

  /** Shows `text` in the editor, waits for a diagnostic with `code`, and returns it with the actions offered. */
  async function actionsFor(
    relative: string,
    text: string,
    code: string,
  ): Promise<{ file: string; actions: CodeAction[] }> {
    const file = shop.file(relative);
    if (opened.has(file)) await client.replace(file, text);
    else await client.open(file, text);
    opened.add(file);
    const diagnostics = await client.waitForDiagnostics(file, (d) => d.some((x) => x.code === code), code);
    const diagnostic = diagnostics.find((x) => x.code === code) as Diagnostic;
    const result = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: pathToFileURL(file).toString() },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    });
    return { file, actions: (result ?? []).filter((item): item is CodeAction => 'title' in item && 'kind' in item) };
  }

  /** Applies the action titled `title` and waits until the file has no diagnostic with `code` left. */
  async function applyAndRecheck(
    file: string,
    text: string,
    actions: CodeAction[],
    title: string,
    code: string,
  ): Promise<string> {
    const action = actions.find((candidate) => candidate.title === title);
    assert.ok(action, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    const fixed = applyAction(text, action);
    await client.replace(file, fixed);
    await client.waitForDiagnostics(file, (d) => !d.some((x) => x.code === code), `no ${code} left`);
    return fixed;
  }

  test('did-you-mean on an aggregation, a column through a join, and a field name', async () => {
    const text = ORDERS_MODEL.replace('formula: amount:sum', 'formula: amount:summ')
      .replace('customers.region:count_distinct', 'customers.regon:count_distinct')
      .replace('sql_table: orders', 'sql_table: orders\ndescripton: Orders.');
    let current = text;
    const first = await actionsFor('models/shop/orders.yaml', current, 'unknown-aggregation');
    assert.equal(first.actions[0]?.isPreferred, true, 'a single suggestion is the preferred fix');
    current = await applyAndRecheck(
      first.file,
      current,
      first.actions,
      "Change 'summ' to 'sum'",
      'unknown-aggregation',
    );
    const second = await actionsFor('models/shop/orders.yaml', current, 'unknown-reference');
    current = await applyAndRecheck(
      second.file,
      current,
      second.actions,
      "Change 'regon' to 'region'",
      'unknown-reference',
    );
    const third = await actionsFor('models/shop/orders.yaml', current, 'unknown-field');
    current = await applyAndRecheck(
      third.file,
      current,
      third.actions,
      "Change 'descripton' to 'description'",
      'unknown-field',
    );
    assert.equal(current, ORDERS_MODEL.replace('sql_table: orders', 'sql_table: orders\ndescription: Orders.'));
  });

  test('a ratio of two counts on SQLite is made a fraction by its operator alone', async () => {
    const text = ORDERS_MODEL.replace(
      '    formula: amount:sum\n',
      '    formula: amount:sum\n  - name: per_customer\n    formula: (*:count + 1) / customer_id:count_distinct\n',
    );
    const { file, actions } = await actionsFor('models/shop/orders.yaml', text, 'integer-division');
    const fixed = await applyAndRecheck(file, text, actions, "Change '/' to '* 1.0 /'", 'integer-division');
    assert.equal(fixed, text.replace('(*:count + 1) / customer_id', '(*:count + 1) * 1.0 / customer_id'));
  });

  test('an aggregation the column does not allow offers the ones it does', async () => {
    const text = `${ORDERS_MODEL.replace('  - name: revenue\n    formula: amount:sum', '  - name: revenue\n    formula: id:sum')}`;
    const { file, actions } = await actionsFor('models/shop/orders.yaml', text, 'aggregation-not-allowed');
    const titles = actions.map((action) => action.title);
    assert.ok(titles.includes("Change 'sum' to 'count'"), titles.join(' | '));
    assert.ok(titles.includes("Change 'sum' to 'count_distinct'"), titles.join(' | '));
    const fixed = await applyAndRecheck(
      file,
      text,
      actions,
      "Change 'sum' to 'count_distinct'",
      'aggregation-not-allowed',
    );
    assert.ok(fixed.includes('formula: id:count_distinct'));
  });

  test("or the column's allowed_aggregations takes it, in the file that declares the column", async () => {
    const text = ORDERS_MODEL.replace('customers.region:count_distinct', 'customers.region:sum');
    const { actions } = await actionsFor('models/shop/orders.yaml', text, 'aggregation-not-allowed');
    const allow = actions.find((action) => action.title === "Allow 'sum' on customers.region (allowed_aggregations)");
    assert.ok(allow, actions.map((action) => action.title).join(' | '));
    const change = allow.edit?.documentChanges?.[0] as TextDocumentEdit;
    assert.equal(change.textDocument.uri, pathToFileURL(shop.file('models/shop/customers.yaml')).toString());
    assert.equal(change.textDocument.version, null, 'customers.yaml is not open: its version is null');
    const customers = shop.file('models/shop/customers.yaml');
    const fixed = applyAction(readFileSync(customers, 'utf8'), allow);
    const expected =
      '  - name: region\n' +
      '    allowed_aggregations: [min, max, count, count_distinct, count_distinct_approx, first, last, sum]\n' +
      '    type: TEXT\n';
    assert.ok(fixed.includes(expected), fixed);
    writeFileSync(customers, fixed);
    const orders = shop.file('models/shop/orders.yaml');
    await client.waitForDiagnostics(orders, (d) => !d.some((x) => x.code === 'aggregation-not-allowed'), 'allowed now');
    await client.replace(orders, ORDERS_MODEL);
    writeFileSync(customers, CUSTOMERS_MODEL);
  });

  test('a legacy type becomes the current one', async () => {
    const text = CUSTOMERS_MODEL.replace('    type: TEXT', '    type: string');
    const { file, actions } = await actionsFor('models/shop/customers.yaml', text, 'legacy-type');
    const fixed = await applyAndRecheck(file, text, actions, "Change 'string' to 'TEXT'", 'legacy-type');
    assert.equal(fixed, CUSTOMERS_MODEL);
  });

  test('a model name that does not match its file takes the file name', async () => {
    const text = CUSTOMERS_MODEL.replace('name: customers', 'name: customerz');
    const { file, actions } = await actionsFor('models/shop/customers.yaml', text, 'file-location');
    const fixed = await applyAndRecheck(file, text, actions, "Change 'customerz' to 'customers'", 'file-location');
    assert.equal(fixed, CUSTOMERS_MODEL);
  });

  test('a model without data_source offers the storage root datasources', async () => {
    const text = CUSTOMERS_MODEL.replace('data_source: shop\n', '');
    const { file, actions } = await actionsFor('models/shop/customers.yaml', text, 'missing-field');
    const fixed = await applyAndRecheck(file, text, actions, 'Set data_source: shop', 'missing-field');
    assert.match(fixed, /^name: customers\ndata_source: shop\nsql_table: customers\n/);
  });

  test('a query file naming a model that does not exist', async () => {
    const text = 'source_model: ordrs\nmeasures: ["*:count"]\n';
    const { file, actions } = await actionsFor('queries/count.query.yaml', text, 'unknown-model');
    const fixed = await applyAndRecheck(file, text, actions, "Change 'ordrs' to 'orders'", 'unknown-model');
    assert.equal(fixed, 'source_model: orders\nmeasures: ["*:count"]\n');
  });
});
