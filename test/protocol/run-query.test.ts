/**
 * slayer/runQuery and the Run code lens over stdio, with a real SQLite file:
 * the editor's unsaved text is what runs, the preview cap holds, a second run
 * or the time limit stops a run, and errors arrive as typed JSON-RPC errors.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { CodeLensRequest, ResponseError } from 'vscode-languageserver-protocol';
import { Commands } from '../../shared/src/commands';
import { RpcErrorCode } from '../../shared/src/errors';
import { Requests, sendTypedRequest, type QueryResult } from '../../shared/src/protocol';
import { makeShop, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';

const ORDERS = 40;
const PREVIEW_ROWS = 25;

/** Orders 1..40 with amount = id; one customer in each of two regions. */
function writeDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT)');
    db.exec("INSERT INTO customers VALUES (1, 'North'), (2, 'South')");
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL)');
    for (let id = 1; id <= ORDERS; id++) db.run('INSERT INTO orders VALUES (?, ?, ?)', [id, (id % 2) + 1, id]);
  } finally {
    db.close();
  }
}

describe('slayer/runQuery over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;

  before(async () => {
    shop = makeShop();
    writeDatabase(shop.file('shop.db'));
    shop.write(
      'queries/by_region.query.yaml',
      'source_model: orders\ndimensions: [customers.region]\nmeasures: [revenue]\n',
    );
    // A recursive count that runs for minutes unless interrupted (cancel.test.ts cancels it on every driver).
    shop.write(
      'models/shop/slow.yaml',
      'name: slow\ndata_source: shop\nsql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT i FROM n"\ncolumns:\n  - name: i\n    type: INT\n',
    );
    shop.write('queries/slow.query.yaml', 'source_model: slow\nmeasures: ["i:sum"]\n');
    client = await TestClient.start(shop.root, { previewMaxRows: PREVIEW_ROWS });
  });

  after(async () => {
    await client.stop();
  });

  const uriOf = (relative: string): string => pathToFileURL(shop.file(relative)).toString();

  /** Writes a file and waits until the server's watcher has applied it (it logs each batch it re-checks). */
  async function writeIndexed(relative: string, text: string): Promise<string> {
    const logged = client.logs.length;
    const file = shop.write(relative, text);
    const applied = (): boolean => client.logs.slice(logged).some((line) => /file\(s\) changed on disk/.test(line));
    await client.waitFor(applied, `${relative} indexed`);
    return file;
  }

  /** New files reach the server through its file watcher; a dry run succeeds once the file is indexed and valid. */
  async function waitUntilRunnable(relative: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await sendTypedRequest(client.connection, Requests.runQuery, { uri: uriOf(relative), dryRun: true });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  test('a query file runs against its storage root and returns SLayer keys', async () => {
    const result = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/by_region.query.yaml'),
    });
    assert.deepEqual(result.columns, ['orders.customers.region', 'orders.revenue']);
    const byRegion = Object.fromEntries(
      result.data.map((row) => [String(row['orders.customers.region']), row['orders.revenue']] as const),
    );
    // Odd ids belong to customer 2 (South), even ids to customer 1 (North).
    const evens = Array.from({ length: ORDERS / 2 }, (_, i) => 2 * (i + 1)).reduce((a, b) => a + b, 0);
    const odds = Array.from({ length: ORDERS / 2 }, (_, i) => 2 * i + 1).reduce((a, b) => a + b, 0);
    assert.deepEqual(byRegion, { North: evens, South: odds });
    assert.equal(result.truncated, false);
  });

  test("the editor's unsaved text is what runs", async () => {
    const file = shop.file('queries/by_region.query.yaml');
    await client.open(file, 'source_model: orders\nmeasures: ["*:count"]\n');
    const result = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/by_region.query.yaml'),
    });
    assert.deepEqual(result.data, [{ 'orders._count': ORDERS }]);
    await client.close(file);
  });

  test('the preview is capped at previewMaxRows and says so', async () => {
    shop.write('queries/raw.query.yaml', 'source_model: orders\ndimensions: [id]\n');
    await waitUntilRunnable('queries/raw.query.yaml');
    const result: QueryResult = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/raw.query.yaml'),
    });
    assert.equal(result.row_count, PREVIEW_ROWS);
    assert.equal(result.truncated, true);
  });

  test('a second run of the same query file stops the first in the database; the second answers', async () => {
    await waitUntilRunnable('queries/slow.query.yaml');
    const file = shop.file('queries/slow.query.yaml');
    const first = client.connection.sendRequest(Requests.runQuery, { uri: uriOf('queries/slow.query.yaml') });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The user fixes the query in the editor and runs it again.
    await client.open(file, 'source_model: orders\nmeasures: ["*:count"]\n');
    await client.waitForDiagnostics(file, (diagnostics) => diagnostics.length === 0, 'the edited query is clean');
    const second = sendTypedRequest(client.connection, Requests.runQuery, { uri: uriOf('queries/slow.query.yaml') });
    await assert.rejects(
      first,
      (error: unknown) => error instanceof ResponseError && error.code === RpcErrorCode.SLAYER_CANCELLED,
    );
    const result = await second;
    assert.deepEqual(result.data, [{ 'orders._count': ORDERS }]);
    await client.close(file);
  });

  test('a run past slayer.query.timeLimitSeconds is stopped and fails with TimedOut; the next run answers', async () => {
    const limited = await TestClient.start(shop.root, { query: { timeLimitSeconds: 1 } });
    try {
      const started = Date.now();
      await assert.rejects(
        sendTypedRequest(limited.connection, Requests.runQuery, { uri: uriOf('queries/slow.query.yaml') }),
        (error: unknown) =>
          error instanceof ResponseError &&
          error.code === RpcErrorCode.SLAYER_TIMED_OUT &&
          /ran longer than slayer\.query\.timeLimitSeconds \(1 s\)/.test(error.message),
      );
      // Bounded, not timed: without the limit the query would run for minutes.
      assert.ok(Date.now() - started < 30_000);
      const next = await sendTypedRequest(limited.connection, Requests.runQuery, {
        uri: uriOf('queries/by_region.query.yaml'),
      });
      assert.equal(next.row_count, 2);
    } finally {
      await limited.stop();
    }
  });

  test('a broken query fails with a typed error that names the problem', async () => {
    // Valid YAML and schema, so it reaches the engine; the aggregation is what is wrong.
    shop.write('queries/bad.query.yaml', 'source_model: orders\nmeasures: ["amount:sum"]\n');
    await waitUntilRunnable('queries/bad.query.yaml');
    await client.open(shop.file('queries/bad.query.yaml'), 'source_model: orders\nmeasures: ["amount:summ"]\n');
    await assert.rejects(
      sendTypedRequest(client.connection, Requests.runQuery, { uri: uriOf('queries/bad.query.yaml') }),
      (error: unknown) => error instanceof ResponseError && /Unknown aggregation 'summ'/.test(error.message),
    );
  });

  test('query files get Run query and SQL code lenses, model files Preview, Inspect and Run per measure, datasources none', async () => {
    const lenses = await client.connection.sendRequest(CodeLensRequest.type, {
      textDocument: { uri: uriOf('queries/by_region.query.yaml') },
    });
    assert.deepEqual(
      lenses?.map((lens) => [lens.command?.command, lens.command?.arguments]),
      [
        [Commands.runQuery, [uriOf('queries/by_region.query.yaml')]],
        [Commands.showSql, [uriOf('queries/by_region.query.yaml')]],
      ],
    );
    const model = await client.connection.sendRequest(CodeLensRequest.type, {
      textDocument: { uri: uriOf('models/shop/orders.yaml') },
    });
    assert.deepEqual(
      model?.map((lens) => [lens.command?.command, lens.command?.arguments]),
      [
        [Commands.previewModel, [uriOf('models/shop/orders.yaml')]],
        [Commands.inspectModel, [uriOf('models/shop/orders.yaml')]],
        [Commands.runMeasure, [uriOf('models/shop/orders.yaml'), 'revenue']],
        [Commands.runMeasure, [uriOf('models/shop/orders.yaml'), 'regions_seen']],
      ],
    );
    const none = await client.connection.sendRequest(CodeLensRequest.type, {
      textDocument: { uri: uriOf('datasources/shop.yaml') },
    });
    assert.deepEqual(none, []);
  });

  test("Preview shows a table model's rows over its columns, capped at previewMaxRows", async () => {
    const preview = await sendTypedRequest(client.connection, Requests.previewModel, {
      uri: uriOf('models/shop/orders.yaml'),
    });
    assert.deepEqual(preview.columns, ['orders.id', 'orders.customer_id', 'orders.amount']);
    assert.equal(preview.row_count, PREVIEW_ROWS);
    assert.equal(preview.truncated, true);
    // Orders 1..40: customer (id % 2) + 1, amount = id.
    for (const row of preview.data) {
      const id = Number(row['orders.id']);
      assert.deepEqual(row, { 'orders.id': id, 'orders.customer_id': (id % 2) + 1, 'orders.amount': id });
    }
  });

  test("Preview of a query-backed model is its stages' result", async () => {
    await writeIndexed(
      'models/shop/by_customer.yaml',
      'name: by_customer\ndata_source: shop\nsource_queries:\n  - source_model: orders\n    dimensions: [customer_id]\n    measures: [amount:sum]\n',
    );
    const preview = await sendTypedRequest(client.connection, Requests.previewModel, {
      uri: uriOf('models/shop/by_customer.yaml'),
    });
    // Customer 1 has the even ids 2..40 (sum 420), customer 2 the odd ones 1..39 (sum 400).
    const sums = new Map(preview.data.map((row) => [row['orders.customer_id'], row['orders.amount_sum']]));
    assert.deepEqual(
      sums,
      new Map([
        [1, 420],
        [2, 400],
      ]),
    );
  });

  test('each stage of a query list gets Run stage and SQL lenses, and a stage runs as the root', async () => {
    const list = await writeIndexed(
      'queries/two_stages.query.yaml',
      [
        '- name: per_customer',
        '  source_model: orders',
        '  dimensions: [customer_id]',
        '  measures: [amount:sum]',
        '- source_model: per_customer',
        '  measures: ["amount_sum:max"]',
        '',
      ].join('\n'),
    );
    const uri = pathToFileURL(list).toString();
    const lenses = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    assert.deepEqual(
      lenses?.map((lens) => [lens.range.start.line, lens.command?.command, lens.command?.arguments]),
      [
        [0, Commands.runQuery, [uri]],
        [0, Commands.showSql, [uri]],
        [0, Commands.runQuery, [uri, 0]],
        [0, Commands.showSql, [uri, 0]],
        [4, Commands.runQuery, [uri, 1]],
        [4, Commands.showSql, [uri, 1]],
      ],
    );
    const first = await sendTypedRequest(client.connection, Requests.runQuery, { uri, stage: 0 });
    // Customer 1 has the even ids 2..40 (sum 420), customer 2 the odd ones 1..39 (sum 400).
    const sums = new Map(first.data.map((row) => [row['orders.customer_id'], row['orders.amount_sum']]));
    assert.deepEqual(
      sums,
      new Map([
        [1, 420],
        [2, 400],
      ]),
    );
    const whole = await sendTypedRequest(client.connection, Requests.runQuery, { uri });
    assert.deepEqual(whole.data, [{ 'per_customer.amount_sum_max': 420 }]);
    await assert.rejects(
      sendTypedRequest(client.connection, Requests.runQuery, { uri, stage: 2 }),
      (error: unknown) => error instanceof ResponseError && /There is no stage 2; the list has 2/.test(error.message),
    );
  });

  test("each stage of a model's source_queries gets lenses, and its SQL is the stages up to it", async () => {
    const uri = uriOf('models/shop/by_customer.yaml');
    const lenses = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    assert.deepEqual(
      lenses?.map((lens) => [lens.range.start.line, lens.command?.command, lens.command?.arguments]),
      [
        [0, Commands.previewModel, [uri]],
        [0, Commands.inspectModel, [uri]],
        [3, Commands.previewModel, [uri, 0]],
        [3, Commands.showSql, [uri, 0]],
      ],
    );
    const compiled = await sendTypedRequest(client.connection, Requests.previewModel, { uri, stage: 0, dryRun: true });
    assert.match(compiled.sql, /GROUP BY orders\."customer_id"/);
    assert.deepEqual(compiled.data, []);
  });
});
