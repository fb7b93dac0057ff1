/**
 * textDocument/formatting and rangeFormatting over stdio, against the bundled
 * server: the edits, applied as an editor applies them, give SLayer's
 * canonical text with every comment kept; a formatted or broken file gets no
 * edits (a broken one a line in the log); `slayer.format.enable: false`
 * turns it off.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  DocumentFormattingRequest,
  DocumentRangeFormattingRequest,
  type TextEdit,
} from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CUSTOMERS_MODEL, makeShop, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

const UNFORMATTED = lines(
  '# Orders, one row each.',
  '',
  'columns:',
  '    - type: INT   # surrogate key',
  '      name: id',
  '      primary_key: true',
  '    # the money',
  '    - name: amount',
  '      type: DOUBLE',
  'data_source: shop',
  '# The table.',
  'sql_table: orders',
  'measures: [{name: revenue, formula: "amount:sum"}]',
  'name: orders',
);

const CANONICAL = lines(
  '# Orders, one row each.',
  '',
  'name: orders',
  '# The table.',
  'sql_table: orders',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT   # surrogate key',
  '    primary_key: true',
  '  # the money',
  '  - name: amount',
  '    type: DOUBLE',
  'measures:',
  '  - formula: "amount:sum"',
  '    name: revenue',
);

const OPTIONS = { tabSize: 2, insertSpaces: true };

async function formatting(client: TestClient, file: string): Promise<TextEdit[]> {
  const textDocument = { uri: pathToFileURL(file).toString() };
  return (
    (await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument, options: OPTIONS })) ?? []
  );
}

function applied(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x.yaml', 'slayer-yaml', 1, text), edits);
}

describe('formatting over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    shop = makeShop();
    shop.write('notes/other.yaml', 'b: 1\na: 2\n');
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  test('the server offers document and range formatting', () => {
    const capabilities = client.initializeResult?.capabilities;
    assert.equal(capabilities?.documentFormattingProvider, true);
    assert.equal(capabilities?.documentRangeFormattingProvider, true);
  });

  test("an unformatted model's edits give SLayer's canonical text, comments kept", async () => {
    const file = shop.file('models/shop/orders.yaml');
    await client.open(file, UNFORMATTED);
    const edits = await formatting(client, file);
    assert.ok(edits.length > 0);
    assert.equal(applied(UNFORMATTED, edits), CANONICAL);

    // Range formatting formats the whole document (a partial reorder could duplicate a key).
    const range = { start: { line: 9, character: 0 }, end: { line: 10, character: 0 } };
    const ranged = await client.connection.sendRequest(DocumentRangeFormattingRequest.type, {
      textDocument: { uri: pathToFileURL(file).toString() },
      range,
      options: OPTIONS,
    });
    assert.deepEqual(ranged, edits);

    await client.replace(file, CANONICAL);
    assert.deepEqual(await formatting(client, file), []);
    await client.close(file);
  });

  test('an already formatted file gets no edits', async () => {
    const file = shop.file('models/shop/customers.yaml');
    await client.open(file, CUSTOMERS_MODEL);
    assert.deepEqual(await formatting(client, file), []);
    await client.close(file);
  });

  test('a file with YAML errors gets no edits, and the reason goes to the log', async () => {
    const file = shop.file('models/shop/orders.yaml');
    await client.open(file, lines('sql_table: orders', 'name: orders', 'columns: [id'));
    assert.deepEqual(await formatting(client, file), []);
    await client.waitFor(
      () => client.logs.some((line) => line.includes('not formatting') && line.includes('orders.yaml')),
      'the refusal in the log',
    );
    await client.close(file);
  });

  test('YAML that is not a SLayer file is left to other tools', async () => {
    const file = shop.file('notes/other.yaml');
    await client.open(file, 'b: 1\na: 2\n');
    assert.deepEqual(await formatting(client, file), []);
    await client.close(file);
  });
});

describe('formatting turned off', () => {
  test('slayer.format.enable: false gives no edits', async () => {
    const shop = makeShop();
    const client = await TestClient.start(shop.root, { format: { enable: false } });
    try {
      const file = shop.file('models/shop/orders.yaml');
      await client.open(file, UNFORMATTED);
      assert.deepEqual(await formatting(client, file), []);
    } finally {
      await client.stop();
    }
  });
});
