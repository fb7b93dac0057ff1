/**
 * Cache write-back over stdio: the server refreshes engine-managed fields as
 * a side effect of run, hover and inspect, never under an unsaved buffer,
 * and never when nothing changed.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { HoverRequest } from 'vscode-languageserver-protocol';
import { parse } from 'yaml';
import { Requests, sendTypedRequest } from '../../shared/src/protocol';
import { makeStorageRoot, SHOP_DATASOURCE, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

const ORDERS_MODEL = [
  '# Orders, one row each.',
  'name: orders',
  'sql_table: orders',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT',
  '    primary_key: true',
  '  - name: status',
  '    type: TEXT',
  '  - name: amount',
  '    type: DOUBLE',
  '',
].join('\n');

const BY_STATUS_MODEL = [
  '# Query-backed: SLayer Studio fills in the cache.',
  'name: by_status',
  'data_source: shop',
  'description: Orders per status.',
  'source_queries:',
  '  - source_model: orders',
  '    dimensions: [status]',
  '    measures: ["*:count", "amount:sum"]',
  '',
].join('\n');

function writeDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, amount REAL)');
    const statuses = ['completed', 'completed', 'returned', 'pending'];
    for (let id = 1; id <= 20; id++)
      db.run('INSERT INTO orders VALUES (?, ?, ?)', [id, statuses[id % 4] ?? 'completed', id * 1.5]);
  } finally {
    db.close();
  }
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('cache write-back over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    shop = makeStorageRoot({
      'datasources/shop.yaml': SHOP_DATASOURCE,
      'models/shop/orders.yaml': ORDERS_MODEL,
      'models/shop/by_status.yaml': BY_STATUS_MODEL,
      'queries/statuses.query.yaml': 'source_model: by_status\nmeasures: ["_count:sum"]\n',
    });
    writeDatabase(shop.file('shop.db'));
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  const uriOf = (relative: string): string => pathToFileURL(shop.file(relative)).toString();

  test('the server asks editors for didSave and offers hovers: without them a deferred refresh would never run', () => {
    const capabilities = client.initializeResult?.capabilities;
    const sync = capabilities?.textDocumentSync;
    assert.ok(
      sync && typeof sync === 'object' && sync.save,
      `textDocumentSync must include save: ${JSON.stringify(sync)}`,
    );
    assert.equal(capabilities?.hoverProvider, true);
  });

  test('a run while the model has unsaved edits writes nothing; the save brings a cache computed from the saved text', async () => {
    const file = shop.file('models/shop/by_status.yaml');
    const before = readFileSync(file);
    const edited = BY_STATUS_MODEL.replace(
      'description: Orders per status.',
      'description: Orders per status, edited.',
    );
    await client.open(file, BY_STATUS_MODEL);
    await client.replace(file, edited);

    const result = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/statuses.query.yaml'),
    });
    assert.deepEqual(result.data, [{ 'by_status._count_sum': 20 }]);
    assert.deepEqual(readFileSync(file), before, 'the bytes on disk did not change under the unsaved buffer');

    // What VS Code does on save: write the buffer, then notify.
    writeFileSync(file, edited);
    await client.connection.sendNotification('textDocument/didSave', {
      textDocument: { uri: uriOf('models/shop/by_status.yaml') },
    });
    await waitUntil(() => readFileSync(file, 'utf8').includes('backing_query_sql'), 'the deferred cache refresh');

    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(edited.trimEnd()), "the user's saved text is intact, the cache follows it");
    const saved = parse(text) as {
      description: string;
      columns: { name: string; type: string }[];
      backing_query_sql: string;
    };
    assert.equal(saved.description, 'Orders per status, edited.');
    assert.deepEqual(
      saved.columns.map((c) => [c.name, c.type]),
      [
        ['status', 'TEXT'],
        ['_count', 'DOUBLE'],
        ['amount_sum', 'DOUBLE'],
      ],
    );
    assert.match(saved.backing_query_sql, /AS "amount_sum" FROM \(/);
    await client.close(file);
  });

  test('1,000 hovers and inspects on an unchanged model write nothing after the first refresh', async () => {
    const file = shop.file('models/shop/orders.yaml');
    const line = ORDERS_MODEL.split('\n').findIndex((text) => text.includes('name: status'));
    const position = { line, character: ORDERS_MODEL.split('\n')[line]?.indexOf('status') ?? 0 };
    const hover = (): Promise<unknown> =>
      client.connection.sendRequest(HoverRequest.type, {
        textDocument: { uri: uriOf('models/shop/orders.yaml') },
        position,
      });

    const first = (await hover()) as { contents: { value: string } } | null;
    assert.match(first?.contents.value ?? '', /Sampled: completed, pending, returned/);
    // The file does not change under the hover the user is reading: its samples are written a moment later.
    assert.ok(!readFileSync(file, 'utf8').includes('sampled:'), 'written before the hover could be read');
    await waitUntil(() => readFileSync(file, 'utf8').includes('sampled:'), 'the first sample write');
    await sendTypedRequest(client.connection, Requests.inspect, { uri: uriOf('models/shop/orders.yaml') });
    await waitUntil(
      () => readFileSync(file, 'utf8').includes('amount') && readFileSync(file, 'utf8').split('sampled:').length === 3,
      'the inspect write',
    );

    const bytes = readFileSync(file);
    const { mtimeMs, ino } = statSync(file);
    for (let i = 0; i < Number(process.env['WB_N'] ?? 1000); i++) {
      await hover();
      await sendTypedRequest(client.connection, Requests.inspect, { uri: uriOf('models/shop/orders.yaml') });
    }
    assert.deepEqual(readFileSync(file), bytes, 'no byte changed');
    const after = statSync(file);
    assert.equal(after.mtimeMs, mtimeMs, 'the file was not rewritten');
    assert.equal(after.ino, ino, 'the file was not replaced');
    assert.ok(
      ORDERS_MODEL.split('\n').every((original) => bytes.toString('utf8').includes(original)),
      'every original line survives',
    );
  });
});
