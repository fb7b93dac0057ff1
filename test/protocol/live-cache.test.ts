/**
 * Hovers answer live values from memory while the data is unchanged, over
 * stdio. Whether a hover ran a query is read from the server's own I/O trace
 * (a line per query its driver pool runs), not from a flag.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Database } from 'node-sqlite3-wasm';
import { HoverRequest, type Hover } from 'vscode-languageserver-protocol/node';
import { makeStorageRoot, SHOP_DATASOURCE, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

const ORDERS = [
  'name: orders',
  'sql_table: orders',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT',
  '    primary_key: true',
  '  - name: status',
  '    type: TEXT',
  '',
].join('\n');

function run(file: string, sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('live hover values from memory over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;
  let trace: string;
  const queries = (): number =>
    existsSync(trace)
      ? readFileSync(trace, 'utf8')
          .split('\n')
          .filter((line) => line.startsWith('query ')).length
      : 0;

  before(async () => {
    shop = makeStorageRoot({ 'datasources/shop.yaml': SHOP_DATASOURCE, 'models/shop/orders.yaml': ORDERS });
    run(
      shop.file('shop.db'),
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT); INSERT INTO orders VALUES (1, 'open')",
    );
    trace = shop.file('io-trace.log');
    // Write-back off: a refreshed sample would change the model file, and so its revision.
    client = await TestClient.start(shop.root, { writeBack: false }, { SLAYER_IO_TRACE: trace });
  });

  after(async () => {
    await client.stop();
  });

  async function hoverStatus(): Promise<string> {
    const line = ORDERS.split('\n').findIndex((text) => text.includes('- name: status'));
    const hover: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: pathToFileURL(shop.file('models/shop/orders.yaml')).toString() },
      position: { line, character: 12 },
    });
    const contents = hover?.contents;
    return contents && typeof contents === 'object' && 'value' in contents ? contents.value : '';
  }

  test('the first hover queries; hovers on unchanged data do not', async () => {
    assert.match(await hoverStatus(), /Sampled: open/);
    const afterFirst = queries();
    assert.ok(afterFirst > 0, 'the first hover ran a query');
    for (let i = 0; i < 20; i++) assert.match(await hoverStatus(), /Sampled: open/);
    assert.equal(queries(), afterFirst, 'twenty warm hovers ran no query');
  });

  test('when the database file changes, the hover answers at once and refreshes behind it', async () => {
    const before = queries();
    run(shop.file('shop.db'), "INSERT INTO orders VALUES (2, 'shipped'), (3, 'shipped')");
    // What it had, without waiting; the refresh runs in the background.
    assert.match(await hoverStatus(), /Sampled: open/);
    const deadline = Date.now() + 15_000;
    let text = '';
    while (!/shipped/.test(text)) {
      if (Date.now() > deadline) throw new Error(`the refreshed samples never came: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await hoverStatus();
    }
    assert.match(text, /Sampled: shipped, open/);
    assert.ok(queries() > before, 'the refresh ran a query');
  });
});
