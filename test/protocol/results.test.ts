/**
 * What the results view asks of the server, over stdio: a run that keeps its
 * rows and answers the first page, pages in any sort order, an export that is
 * the CLI's CSV byte for byte, on SQLite, DuckDB, Postgres and MariaDB; a saved measure's run and the
 * value its lens then shows; and Ctrl/Cmd+Enter, which runs what is under the
 * cursor in the editor's unsaved text.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { CodeLensRequest, ResponseError } from 'vscode-languageserver-protocol';
import { Commands } from '../../shared/src/commands';
import { RpcErrorCode } from '../../shared/src/errors';
import { Requests, sendTypedRequest } from '../../shared/src/protocol';
import { DRIVER_SOURCES, makeThreeDriverRoot, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';
import { mysqlUrl } from '../support/mysql';
import { postgresUrl } from '../support/postgres';

type Driver = 'sqlite' | 'duckdb' | 'postgres' | 'mysql';
/** The three drivers of the shared fixture, and MariaDB through the MySQL driver. */
const SOURCES: Record<Driver, string> = { ...DRIVER_SOURCES, mysql: 'my' };
const CLI = path.resolve(__dirname, '../../dist/slayer-ls.js');
const ROWS = 1000;
const PAGE = 100;

/** The numbers 1..1000 in each dialect, with a NULL-bearing column: every third one has no `tag`. */
const NUMBERS_SQL: Record<Driver, string> = {
  sqlite: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'tag ' || (i % 7) END AS tag FROM n`,
  duckdb: `SELECT range AS i, CASE WHEN range % 3 = 0 THEN NULL ELSE 'tag ' || (range % 7) END AS tag FROM range(1, ${ROWS + 1})`,
  postgres: `SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'tag ' || (i % 7) END AS tag FROM generate_series(1, ${ROWS}) AS i`,
  mysql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE CONCAT('tag ', i % 7) END AS tag FROM n`,
};

/** Sales in three months; the latest (2024-03) totals 7 + 8 = 15. */
const SALES: [string, number][] = [
  ['2024-01-05', 1],
  ['2024-01-20', 2],
  ['2024-02-11', 4],
  ['2024-03-02', 7],
  ['2024-03-30', 8],
];

function numbersModel(name: string, dataSource: string, sql: string): string {
  return `name: ${name}\ndata_source: ${dataSource}\nsql: "${sql}"\ncolumns:\n  - name: i\n    type: INT\n  - name: tag\n    type: TEXT\n`;
}

const SALES_MODEL = [
  'name: sales',
  'sql_table: sales',
  'data_source: lite',
  'default_time_dimension: sold_on',
  'columns:',
  '  - name: sold_on',
  '    type: DATE',
  '  - name: amount',
  '    type: INT',
  'measures:',
  '  - name: total',
  '    formula: amount:sum',
  '  - name: sales_count',
  '    formula: "*:count"',
  '',
].join('\n');

describe('the results view over stdio: pages, sort, export, measure lenses, run at cursor', () => {
  let root: FixtureRoot;
  let client: TestClient;

  before(async () => {
    const url = await postgresUrl();
    root = makeThreeDriverRoot(url, {
      'datasources/my.yaml': `name: my\ntype: mysql\nconnection_string: ${await mysqlUrl()}\n`,
      'models/lite/sales.yaml': SALES_MODEL,
      'queries/chain.query.yaml': [
        '- name: s1',
        '  source_model: sales',
        '  measures: [total]',
        '- name: s2',
        '  source_model: s1',
        '  measures: ["total:sum"]',
        '- source_model: s2',
        '  measures: ["*:count"]',
        '',
      ].join('\n'),
      'queries/pair.query.yaml': [
        '- name: first',
        '  source_model: sales',
        '  measures: [total]',
        '- source_model: sales',
        '  measures: [sales_count]',
        '',
      ].join('\n'),
    });
    const db = new Database(root.file('lite.db'));
    db.exec('CREATE TABLE sales (sold_on TEXT, amount INTEGER)');
    for (const [day, amount] of SALES) db.run('INSERT INTO sales VALUES (?, ?)', [day, amount]);
    db.close();
    for (const [driver, dataSource] of Object.entries(SOURCES) as [Driver, string][]) {
      root.write(`models/${dataSource}/n_${driver}.yaml`, numbersModel(`n_${driver}`, dataSource, NUMBERS_SQL[driver]));
      // Ordered, so two runs of it (the server's and the CLI's) return their rows in the same order:
      // DuckDB's parallel GROUP BY gives no order otherwise.
      root.write(
        `queries/n_${driver}.query.yaml`,
        `source_model: n_${driver}\ndimensions: [i, tag]\norder: [{column: i, direction: asc}]\n`,
      );
    }
    client = await TestClient.start(root.root);
  });

  after(async () => {
    await client.stop();
  });

  const uriOf = (relative: string): string => pathToFileURL(path.join(root.root, relative)).toString();

  for (const driver of ['sqlite', 'duckdb', 'postgres', 'mysql'] as const) {
    test(`${driver}: a paged run answers one page, and pages come in the asked order with NULLs last`, async () => {
      const first = await sendTypedRequest(client.connection, Requests.runQuery, {
        uri: uriOf(`queries/n_${driver}.query.yaml`),
        pageSize: PAGE,
      });
      assert.equal(first.row_count, ROWS);
      assert.equal(first.data.length, PAGE);
      assert.equal(first.data_source, SOURCES[driver]);
      const resultId = first.result_id;
      assert.ok(resultId, 'a paged run keeps its rows under an id');

      const iKey = `n_${driver}.i`;
      const tagKey = `n_${driver}.tag`;
      const tail = await sendTypedRequest(client.connection, Requests.fetchPage, {
        resultId,
        offset: ROWS - 30,
        limit: PAGE,
        sort: [{ column: iKey, direction: 'desc' }],
      });
      assert.equal(tail.row_count, ROWS);
      assert.deepEqual(
        tail.rows.map((row) => row[iKey]),
        [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
      );

      // 333 of the 1000 have no tag; sorted by tag they come last, whichever the direction.
      for (const direction of ['asc', 'desc'] as const) {
        const byTag = await sendTypedRequest(client.connection, Requests.fetchPage, {
          resultId,
          offset: ROWS - 334,
          limit: 334,
          sort: [{ column: tagKey, direction }],
        });
        assert.notEqual(byTag.rows[0]?.[tagKey], null, `${direction}: the row before the NULLs has a tag`);
        assert.ok(
          byTag.rows.slice(1).every((row) => row[tagKey] === null),
          `${direction}: the last 333 rows are the NULLs`,
        );
      }
    });

    test(`${driver}: the export holds every row in the asked order, as the CLI writes CSV`, async () => {
      const first = await sendTypedRequest(client.connection, Requests.runQuery, {
        uri: uriOf(`queries/n_${driver}.query.yaml`),
        pageSize: PAGE,
      });
      const resultId = first.result_id ?? '';
      const sort = [{ column: `n_${driver}.i`, direction: 'desc' as const }];
      const csv = await sendTypedRequest(client.connection, Requests.exportResult, { resultId, format: 'csv', sort });
      const lines = csv.text.split('\r\n');
      assert.equal(csv.row_count, ROWS);
      assert.equal(lines[0], `n_${driver}.i,n_${driver}.tag`);
      // 1000 is 1 mod 3 and 6 mod 7; 999 is a multiple of 3, so NULL (an empty field).
      assert.deepEqual(lines.slice(1, 3), ['1000,tag 6', '999,']);
      assert.equal(lines.length, ROWS + 2, 'a header, a thousand records, and the final CRLF');
      // Unsorted, the export is the run's own order, which is what the CLI prints: the same bytes.
      const unsorted = await sendTypedRequest(client.connection, Requests.exportResult, { resultId, format: 'csv' });
      const cli = execFileSync(
        process.execPath,
        [CLI, 'query', `@${root.file(`queries/n_${driver}.query.yaml`)}`, '--storage', root.root, '--format', 'csv'],
        { encoding: 'utf8' },
      );
      assert.equal(unsorted.text, cli);
      const json = await sendTypedRequest(client.connection, Requests.exportResult, { resultId, format: 'json' });
      const parsed = JSON.parse(json.text) as { data: unknown[]; row_count: number; sql: string };
      assert.equal(parsed.data.length, ROWS);
      assert.equal(parsed.row_count, ROWS);
      assert.equal(parsed.sql, first.sql);
    });
  }

  test('a released result is gone, and asking for it says to run the query again', async () => {
    const first = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/n_sqlite.query.yaml'),
      pageSize: PAGE,
    });
    const resultId = first.result_id ?? '';
    await client.connection.sendNotification('slayer/releaseResult', { resultId });
    await assert.rejects(
      sendTypedRequest(client.connection, Requests.fetchPage, { resultId, offset: 0, limit: 10 }),
      (error: unknown) =>
        error instanceof ResponseError &&
        error.code === RpcErrorCode.SLAYER_NOT_FOUND &&
        /Run the query again/.test(error.message),
    );
  });

  test("a measure's lens says Run, then the latest period's value once the measure has run", async () => {
    const uri = uriOf('models/lite/sales.yaml');
    const measureLenses = async (): Promise<(string | undefined)[]> => {
      const lenses = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      return (lenses ?? [])
        .filter((lens) => lens.command?.command === Commands.runMeasure)
        .map((lens) => lens.command?.title);
    };
    assert.deepEqual(await measureLenses(), ['$(play) Run', '$(play) Run']);
    const refreshes = client.codeLensRefreshes;
    const result = await sendTypedRequest(client.connection, Requests.runMeasure, { uri, measure: 'total' });
    assert.deepEqual(result.columns, ['sales.sold_on', 'sales.total']);
    assert.deepEqual(
      result.data.map((row) => [row['sales.sold_on'], row['sales.total']]),
      [
        ['2024-01-01', 3],
        ['2024-02-01', 4],
        ['2024-03-01', 15],
      ],
    );
    await client.waitFor(() => client.codeLensRefreshes > refreshes, 'a code lens refresh');
    assert.deepEqual(await measureLenses(), ['$(play) Run · 15 (just now)', '$(play) Run']);
  });

  test('Ctrl/Cmd+Enter runs the stage, or the measure, under the cursor, from the unsaved text', async () => {
    const queryUri = uriOf('queries/pair.query.yaml');
    // The cursor on line 1 (`source_model: sales` of the named stage) means that stage, not the list's root.
    const stage = await sendTypedRequest(client.connection, Requests.runTargetAt, {
      uri: queryUri,
      position: { line: 1, character: 4 },
    });
    assert.deepEqual(stage, { kind: 'query', stage: 0 });
    const ran = await sendTypedRequest(client.connection, Requests.runQuery, { uri: queryUri, stage: 0 });
    assert.deepEqual(ran.data, [{ 'sales.total': 22 }]);

    const modelFile = root.file('models/lite/sales.yaml');
    const modelUri = uriOf('models/lite/sales.yaml');
    // Unsaved, not on disk: sales_count's formula becomes the month's largest amount.
    const edited = SALES_MODEL.replace('formula: "*:count"', 'formula: "amount:max"');
    await client.open(modelFile, edited);
    const line = edited.split('\n').findIndex((text) => text.includes('amount:max'));
    const measure = await sendTypedRequest(client.connection, Requests.runTargetAt, {
      uri: modelUri,
      position: { line, character: 15 },
    });
    assert.deepEqual(measure, { kind: 'measure', measure: 'sales_count' });
    const values = await sendTypedRequest(client.connection, Requests.runMeasure, {
      uri: modelUri,
      measure: 'sales_count',
    });
    assert.deepEqual(
      values.data.map((row) => row['sales.sales_count']),
      [2, 4, 8],
    );
    const top = await sendTypedRequest(client.connection, Requests.runTargetAt, {
      uri: modelUri,
      position: { line: 0, character: 2 },
    });
    assert.deepEqual(top, { kind: 'preview' });
    await client.close(modelFile);
  });

  test('a stage runs as the root with what it reads, never with the stages that read it', async () => {
    // s2 reads s1: run as the root, s1 must not be listed after a stage that references it (SLayer's DAG-root rule).
    const first = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/chain.query.yaml'),
      stage: 0,
    });
    assert.deepEqual(first.data, [{ 'sales.total': 22 }]);
    const second = await sendTypedRequest(client.connection, Requests.runQuery, {
      uri: uriOf('queries/chain.query.yaml'),
      stage: 1,
    });
    assert.deepEqual(second.data, [{ 's1.total_sum': 22 }]);
  });
});
