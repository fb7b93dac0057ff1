/**
 * Restricted Mode and hovers without data, over stdio. "No database reached,
 * no file written" is asserted from the server's own I/O trace (every driver
 * open and every storage write appends a line to SLAYER_IO_TRACE), and the
 * same trace is shown to see them once the workspace is trusted.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Database } from 'node-sqlite3-wasm';
import { CompletionRequest, HoverRequest, type Hover } from 'vscode-languageserver-protocol/node';
import { RpcErrorCode } from '../../shared/src/errors';
import { Notifications, Requests, sendTypedRequest, TRUST_OPTION } from '../../shared/src/protocol';
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
  '    sampled: cached-one, cached-two',
  'measures:',
  '  - name: orders_count',
  '    formula: "*:count"',
  '',
].join('\n');

const BY_STATUS = [
  'name: by_status',
  'data_source: shop',
  'source_queries:',
  '  - source_model: orders',
  '    dimensions: [status]',
  '    measures: ["*:count"]',
  '',
].join('\n');

/** A model on a datasource whose database file does not exist: a hover has no live data to show. */
const GHOSTS = [
  'name: ghosts',
  'sql_table: ghosts',
  'data_source: gone',
  'columns:',
  '  - name: kind',
  '    type: TEXT',
  '    sampled: boo, eek',
  '',
].join('\n');

function writeDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT); INSERT INTO orders VALUES (1, 'live-a'), (2, 'live-b')",
    );
  } finally {
    db.close();
  }
}

function lineOf(text: string, needle: string): number {
  const line = text.split('\n').findIndex((candidate) => candidate.includes(needle));
  assert.ok(line >= 0, `fixture has ${needle}`);
  return line;
}

describe('Restricted Mode over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;
  let trace: string;
  const traced = (): string[] => (existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : []);

  before(async () => {
    shop = makeStorageRoot({
      'datasources/shop.yaml': SHOP_DATASOURCE,
      'datasources/gone.yaml': 'name: gone\ntype: sqlite\ndatabase: nowhere/gone.db\n',
      'models/shop/orders.yaml': ORDERS,
      'models/shop/by_status.yaml': BY_STATUS,
      'models/gone/ghosts.yaml': GHOSTS,
      'queries/statuses.query.yaml': 'source_model: orders\ndimensions: [status]\nmeasures: ["*:count"]\n',
    });
    writeDatabase(shop.file('shop.db'));
    trace = shop.file('io-trace.log');
    client = await TestClient.start(shop.root, { [TRUST_OPTION]: false }, { SLAYER_IO_TRACE: trace });
  });

  after(async () => {
    await client.stop();
  });

  const hoverAt = async (relative: string, text: string, needle: string): Promise<string> => {
    const line = lineOf(text, needle);
    const hover: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: pathToFileURL(shop.file(relative)).toString() },
      position: { line, character: text.split('\n')[line]?.indexOf(needle) ?? 0 },
    });
    const contents = hover?.contents;
    return contents && typeof contents === 'object' && 'value' in contents ? contents.value : '';
  };

  test('untrusted: checking, completion and static hovers work; queries are refused with a typed error', async () => {
    const summary = await sendTypedRequest(client.connection, Requests.checkSummary, {});
    assert.equal(summary.errors, 0);
    const completion = await client.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri: pathToFileURL(shop.file('queries/statuses.query.yaml')).toString() },
      position: { line: 1, character: 'dimensions: ['.length },
    });
    const labels = (Array.isArray(completion) ? completion : (completion?.items ?? [])).map((item) => item.label);
    assert.ok(labels.includes('status'));
    const hover = await hoverAt('models/shop/orders.yaml', ORDERS, 'status');
    assert.match(hover, /\*\*orders\.status\*\* `TEXT`/);
    assert.match(hover, /Sampled \(cached in the file\): cached-one, cached-two/);
    assert.match(hover, /Live data unavailable: Restricted Mode/);
    const measure = await hoverAt('models/shop/orders.yaml', ORDERS, 'orders_count');
    assert.match(measure, /Live data unavailable: Restricted Mode/);
    await assert.rejects(
      sendTypedRequest(client.connection, Requests.runQuery, {
        uri: pathToFileURL(shop.file('queries/statuses.query.yaml')).toString(),
      }),
      (error: { code?: number; message?: string }) =>
        error.code === RpcErrorCode.SLAYER_RESTRICTED && /Restricted Mode/.test(error.message ?? ''),
    );
    const byStatus = await hoverAt('models/shop/by_status.yaml', BY_STATUS, 'by_status');
    assert.match(byStatus, /query-backed/, 'a static hover on a query-backed model still works');
  });

  test('untrusted: not one database opened and not one file written, and the files are untouched', () => {
    assert.deepEqual(traced(), []);
    assert.equal(readFileSync(shop.file('models/shop/by_status.yaml'), 'utf8'), BY_STATUS);
    assert.equal(readFileSync(shop.file('models/shop/orders.yaml'), 'utf8'), ORDERS);
  });

  test('trusting the workspace turns data features on without a restart, and the trace sees them', async () => {
    await client.connection.sendNotification(Notifications.workspaceTrust, { trusted: true });
    const result = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: pathToFileURL(shop.file('queries/statuses.query.yaml')).toString(),
    });
    assert.equal(result.row_count, 2);
    const hover = await hoverAt('models/shop/orders.yaml', ORDERS, 'status');
    assert.match(hover, /Sampled: live-a, live-b/);
    assert.ok(
      traced().some((line) => line.startsWith('driver sqlite shop')),
      traced().join('\n'),
    );
    await hoverAt('models/shop/by_status.yaml', BY_STATUS, 'by_status');
    // The refresh a hover implies is written a moment later, once the hover had time to be read.
    const written = (): boolean =>
      traced().some((line) => line.startsWith('write ') && line.includes('by_status.yaml'));
    await client.waitFor(written, 'the cache refresh of the query-backed model as a traced write');
  });

  test('a hover whose database cannot be opened shows the static part, the cached samples and why', async () => {
    const hover = await hoverAt('models/gone/ghosts.yaml', GHOSTS, 'kind');
    assert.match(hover, /\*\*ghosts\.kind\*\* `TEXT`/);
    assert.match(hover, /Sampled \(cached in the file\): boo, eek/);
    assert.match(hover, /Live data unavailable: .*gone\.db/);
    // A database file that does not exist is known without a driver: none was started for it.
    assert.match(hover, /no database file at nowhere\/gone\.db/);
    assert.ok(!traced().some((line) => line.startsWith('driver sqlite gone')), traced().join('\n'));
  });
});
