/**
 * The results view in a real VS Code: Run on a demo query shows the rows the
 * same SQL returns when run directly, a column sorts, the SQL and Chart tabs
 * show the SQL and a line, Export CSV writes the file through the save
 * dialog, a slow query is cancelled from its notification, a saved
 * measure's lens shows its value after a run, and a model on the test
 * Postgres (its URL only in the environment) runs as the demo's do.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import type { Page } from 'playwright-core';
import { generateDemoData } from '../../scripts/demo/data';
import { generateDemo } from '../../scripts/demo/generate';
import { dropSchema, FIXTURE_OPTIONS, writePostgres } from '../support/engine-fixture';
import { postgresUrl, withPostgres } from '../support/postgres';
import {
  artifactsDir,
  CodeServer,
  installCodeServer,
  installVsix,
  makeTempDir,
  openWorkbench,
  packageExtension,
  removeTempDirs,
  step,
  type CodeServerInstall,
  type Workbench,
} from './support/code-server';
import {
  cellNumber,
  clickLens,
  gridRows,
  openEditor,
  resultsView,
  runCommand,
  type ResultsView,
} from './support/workbench';

const ORDERS = 2_000;
const MONTHLY = 'revenue_by_month.query.yaml';
const SLOW = 'e2e_slow.query.yaml';
/** A model whose rows take minutes to count unless the query is interrupted. */
const SLOW_MODEL = [
  'name: e2e_slow',
  'data_source: jaffle',
  'sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000000) SELECT i FROM n"',
  'columns:',
  '  - name: i',
  '    type: INT',
  '',
].join('\n');

/** A model and a query on the test Postgres, beside the demo's SQLite and DuckDB ones. */
const PG_QUERY = 'pg_orders_by_status.query.yaml';
const PG_SCHEMA = `e2e_${process.pid}`;
/** The datasource names the server's URL only through the environment, as a user's would keep a password out. */
const PG_DATASOURCE = [
  'version: 2',
  'name: shop_pg',
  'type: postgres',
  'connection_string: ${SLAYER_TEST_PG_URL}',
  `schema_name: ${PG_SCHEMA}`,
  '',
].join('\n');
const PG_MODEL = [
  'name: pg_orders',
  'data_source: shop_pg',
  'sql_table: orders',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: status, type: TEXT}',
  '  - {name: amount, type: DOUBLE}',
  '',
].join('\n');
const PG_QUERY_TEXT = 'source_model: pg_orders\ndimensions: [status]\nmeasures: ["*:count", "amount:sum"]\n';
let pgUrl = '';

let install: CodeServerInstall | undefined;
let server: CodeServer | undefined;
let workbench: Workbench | undefined;
let storageRoot = '';
const cspViolations: string[] = [];
let sqlitePath = '';

before(
  async () => {
    packageExtension();
    install = installCodeServer();
    const demo = await generateDemo(makeTempDir('workspace'), { orders: ORDERS, seed: 7 });
    storageRoot = demo.storageRoot;
    sqlitePath = demo.sqlitePath;
    writeFileSync(path.join(storageRoot, 'models', 'jaffle', 'e2e_slow.yaml'), SLOW_MODEL);
    writeFileSync(path.join(storageRoot, 'queries', SLOW), 'source_model: e2e_slow\nmeasures: ["i:sum"]\n');
    await addPostgresModel();
    const extensionsDir = makeTempDir('extensions');
    installVsix(install, extensionsDir);
    server = await CodeServer.start({ install, extensionsDir, workspace: storageRoot });
    workbench = await step('open-workbench', undefined, server, () => openWorkbench(install!, server!));
    // The results view's CSP allows only its own bundled script and styles: any violation is a defect.
    workbench.page.on('console', (message) => {
      if (/Content Security Policy|Refused to (execute|apply|load)/i.test(message.text()))
        cspViolations.push(message.text());
    });
  },
  { timeout: 240_000 },
);

/** The demo's tables in a schema of the test Postgres, and a datasource, model and query reading them. */
async function addPostgresModel(): Promise<void> {
  pgUrl = await postgresUrl();
  // code-server, and through it the extension and its server, inherit this process's environment.
  process.env['SLAYER_TEST_PG_URL'] = pgUrl;
  await writePostgres(pgUrl, PG_SCHEMA, generateDemoData(FIXTURE_OPTIONS));
  writeFileSync(path.join(storageRoot, 'datasources', 'shop_pg.yaml'), PG_DATASOURCE);
  mkdirSync(path.join(storageRoot, 'models', 'shop_pg'));
  writeFileSync(path.join(storageRoot, 'models', 'shop_pg', 'pg_orders.yaml'), PG_MODEL);
  writeFileSync(path.join(storageRoot, 'queries', PG_QUERY), PG_QUERY_TEXT);
}

after(async () => {
  await workbench?.close();
  await server?.stop();
  if (pgUrl) await dropSchema(pgUrl, PG_SCHEMA);
  if (!process.env['SLAYER_E2E_KEEP']) removeTempDirs();
});

function requirePage(): Page {
  assert.ok(workbench && server, 'the workbench did not open');
  return workbench.page;
}

test(
  'Run shows the rows of the SQL run directly; a click sorts; SQL and Chart tabs; Export CSV',
  { timeout: 240_000 },
  async () => {
    const page = requirePage();
    const { view, shown, sql } = await runAndReadSql(page, MONTHLY, 'monthly');
    assert.deepEqual(cspViolations, [], 'the results view loads under its strict CSP');
    await page.screenshot({ path: path.join(artifactsDir(), 'results-sql.png') });
    // The same SQL, run directly on the demo's SQLite file: the grid must show exactly its rows.
    const direct = runSqlite(sqlitePath, sql);
    assert.ok(direct.length > 1, 'the demo spans several months');
    assert.deepEqual(
      shown.map((row) => [row[0], cellNumber(row[1]), cellNumber(row[2])]),
      direct.map((row) => [row[0], round2(Number(row[1])), Number(row[2])]),
    );

    await step('sort-by-count', page, server, async () => {
      await view.locator('.tabs button[data-tab="grid"]').click();
      const header = view.locator('.tabulator-col[tabulator-field="orders._count"] .tabulator-col-title');
      await header.click();
      await header.click(); // ascending, then descending
    });
    const sortedCounts = await step('sorted-rows', page, server, async () => {
      const highest = Math.max(...direct.map((row) => Number(row[2])));
      await view
        .locator('.tabulator-row')
        .first()
        .locator('.tabulator-cell')
        .nth(2)
        .filter({ hasText: String(highest) })
        .waitFor({ timeout: 30_000 });
      return (await gridRows(view)).map((row) => Number(row[2]));
    });
    assert.deepEqual(
      sortedCounts,
      [...sortedCounts].sort((a, b) => b - a),
      'descending after two clicks',
    );

    await step('chart-tab', page, server, async () => {
      await view.locator('.tabs button[data-tab="chart"]').click();
      // Two measures over a month dimension: a line per measure.
      await view.locator('.chart svg .mark-line path').first().waitFor({ timeout: 30_000 });
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'results-chart.png') });
    assert.deepEqual(cspViolations, [], 'the chart (Vega, no eval) renders under the strict CSP');
    assert.equal(await view.locator('select[aria-label="Chart type"]').inputValue(), 'line');
    assert.equal(await view.locator('.chart svg .mark-line path').count(), 2);

    const target = path.join(storageRoot, 'queries', 'revenue_by_month.csv');
    await step('export-csv', page, server, async () => {
      await view.locator('.tabs button[data-tab="grid"]').click();
      await view.locator('button[data-action="export-csv"]').click();
      // code-server's save dialog is a quick input holding the proposed path; Enter accepts it.
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 30_000 });
      await page.keyboard.press('Enter');
      await waitUntil(() => existsSync(target), 'the CSV file', 30_000);
    });
    const csv = readFileSync(target, 'utf8').split('\r\n');
    assert.equal(csv[0], 'orders.ordered_at,orders.revenue,orders._count');
    // Sorted as the grid is (by count, descending), every row of the result, values unformatted.
    const bySortedCount = [...direct].sort((a, b) => Number(b[2]) - Number(a[2]));
    assert.equal(csv.length, direct.length + 2);
    assert.deepEqual(
      csv.slice(1, -1).map((line) => Number(line.split(',')[2])),
      bySortedCount.map((row) => Number(row[2])),
    );
  },
);

test(
  'Run on a Postgres model shows the rows its SQL gives when run directly on the server',
  { timeout: 180_000 },
  async () => {
    const page = requirePage();
    const { shown, sql } = await runAndReadSql(page, PG_QUERY, 'postgres');
    await page.screenshot({ path: path.join(artifactsDir(), 'results-postgres.png') });
    // The SQL the view shows, run by this test on the same server and schema: the grid must hold exactly its rows.
    const fromServer = await withPostgres(pgUrl, async (client) => {
      await client.query(`SET search_path TO "${PG_SCHEMA}"`);
      const result = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
      return result.rows;
    });
    // The query has no ORDER BY: both sides are compared by status.
    const byStatus = <T extends unknown[]>(rows: T[]): T[] =>
      [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    const [grid, direct] = [byStatus(shown), byStatus(fromServer)];
    assert.ok(direct.length > 1, 'the demo orders have several statuses');
    assert.deepEqual(
      grid.map((row) => [row[0], cellNumber(row[1])]),
      direct.map((row) => [row[0], Number(row[1])]),
    );
    // The sums as the grid shows them: in full, or to the cent when the column has a money format.
    grid.forEach((row, i) => {
      const expected = Number(direct[i]?.[2]);
      assert.ok(Math.abs(cellNumber(row[2]) - expected) <= 0.005, `${row[0]}: ${row[2]} vs ${expected}`);
    });
  },
);

test(
  'a slow query is cancelled from its notification; the view says so, and the next run answers',
  { timeout: 180_000 },
  async () => {
    const page = requirePage();
    await step('run-slow', page, server, async () => {
      await openQuery(page, SLOW);
      await clickLens(page, 'Run query');
      const toast = page.locator('.notification-toast', { hasText: `Running ${SLOW}` }).first();
      await toast.waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1_000);
      await toast.hover();
      await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Cancel' }).first().click();
    });
    await step('cancelled', page, server, async () => {
      const view = await resultsView(page, SLOW);
      await view.locator('p.cancelled', { hasText: 'Cancelled' }).waitFor({ timeout: 30_000 });
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'results-cancelled.png') });
    await step('next-run-answers', page, server, async () => {
      // A query not run before, so its rows can only come from this run.
      await runQueryLens(page, 'top_customers.query.yaml');
    });
  },
);

test("a saved measure's Run lens runs it and then shows its latest value", { timeout: 180_000 }, async () => {
  const page = requirePage();
  const orders = path.join(storageRoot, 'models', 'jaffle', 'orders.yaml');
  const lines = readFileSync(orders, 'utf8').split('\n');
  const firstMeasure = lines.findIndex((line, i) => i > lines.indexOf('measures:') && /^\s+- /.test(line));
  assert.ok(firstMeasure > 0, 'the demo orders model has saved measures');
  await step('open-orders-model', page, server, async () => {
    await openEditor(page, ['models', 'jaffle', 'orders.yaml']);
    // Lenses render only for lines on screen: go to the first measure.
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(firstMeasure + 1));
    await page.keyboard.press('Enter');
  });
  await step('run-measure', page, server, () => clickLens(page, /^\s*Run$/));
  await step('measure-rows', page, server, async () => {
    const view = await resultsView(page, 'orders.yaml · revenue');
    await view.locator('.tabulator-row').first().waitFor({ timeout: 60_000 });
  });
  // The latest month's revenue, computed here with plain SQL on the demo's file.
  const [latest] = runSqlite(
    sqlitePath,
    'SELECT substr(ordered_at, 1, 7) AS month, SUM(amount) AS revenue FROM orders GROUP BY month ORDER BY month DESC LIMIT 1',
  );
  // Revenue is a currency with two decimals in the demo model, and the lens shows it as the grid does.
  const shown = `$${Number(latest?.[1]).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  // The editor group may have lost focus to the results view; only this editor has such a lens.
  const valued = page.locator('.contentWidgets .codelens-decoration a', { hasText: `Run · ${shown} (just now)` });
  await step('lens-value', page, server, () => valued.first().waitFor({ timeout: 30_000 }));
  await page.screenshot({ path: path.join(artifactsDir(), 'measure-lens.png') });
});

async function runQueryLens(page: Page, file: string): Promise<ResultsView> {
  await openQuery(page, file);
  await clickLens(page, 'Run query');
  const view = await resultsView(page, file);
  await view.locator('.tabulator-row').first().waitFor({ timeout: 60_000 });
  return view;
}

/** Runs a query file from its lens and reads its view: the grid's rows, then the SQL on the SQL tab. */
async function runAndReadSql(
  page: Page,
  file: string,
  name: string,
): Promise<{ view: ResultsView; shown: string[][]; sql: string }> {
  const view = await step(`run-${name}`, page, server, () => runQueryLens(page, file));
  const shown = await step(`${name}-grid-rows`, page, server, () => gridRows(view));
  const sql = await step(`${name}-sql-tab`, page, server, async () => {
    await view.locator('.tabs button[data-tab="sql"]').click();
    return view.locator('pre.sql').innerText();
  });
  return { view, shown, sql };
}

async function openQuery(page: Page, file: string): Promise<void> {
  await openEditor(page, ['queries', file]);
}

function runSqlite(file: string, sql: string): unknown[][] {
  const db = new Database(file, { readOnly: true });
  try {
    return db.all(sql).map((row): unknown[] => Object.values(row));
  } finally {
    db.close();
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Clicks the editor tab titled `title` until it is the active one: restoring panels can take focus meanwhile. */
async function activateTab(page: Page, title: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: title }).first();
  await tab.waitFor({ timeout: 90_000 });
  const active = page.locator('.tabs-container .tab.active', { hasText: title });
  for (let attempt = 0; attempt < 10; attempt++) {
    await tab.scrollIntoViewIfNeeded();
    await tab.click();
    if (await active.count()) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (await active.count()) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(`the tab '${title}' never became the active editor`);
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('Ctrl+Enter runs the saved measure under the cursor', { timeout: 180_000 }, async () => {
  const page = requirePage();
  const lines = readFileSync(path.join(storageRoot, 'models', 'jaffle', 'orders.yaml'), 'utf8').split('\n');
  const aov = lines.findIndex((line) => /^\s+name: aov$/.test(line));
  assert.ok(aov > 0, 'the demo orders model has the aov measure');
  await step('cursor-on-aov', page, server, async () => {
    await openEditor(page, ['models', 'jaffle', 'orders.yaml']);
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(aov + 1));
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
  });
  await step('ctrl-enter', page, server, async () => {
    await page.keyboard.press('Control+Enter');
    const view = await resultsView(page, 'orders.yaml · aov');
    await view.locator('.tabulator-row').first().waitFor({ timeout: 60_000 });
  });
});

test(
  'after a window reload the results view is restored with Run again, and runs only when asked',
  { timeout: 180_000 },
  async () => {
    const page = requirePage();
    await step('reload-window', page, server, async () => {
      // The command a user reloads with: the workbench saves every view's state before it goes. (A browser
      // refresh can drop the state a webview set last, and with it that view's tab: CI and this machine saw it.)
      const reloaded = page.waitForEvent('load', { timeout: 90_000 });
      await runCommand(page, 'Developer: Reload Window');
      await reloaded;
      await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    });
    const view = await step('restored-view', page, server, async () => {
      // VS Code restores a hidden webview when its tab is shown: bring the panel's tab forward, and check it is
      // the active one (CI saw a click on a tab in the strip's overflow land elsewhere, and the other restored
      // panel come forward while this one loaded).
      await activateTab(page, 'SLayer: top_customers.query.yaml');
      const restored = await resultsView(page, 'top_customers.query.yaml', 90_000);
      await restored.locator('p.hint', { hasText: 'restored after a reload' }).waitFor({ timeout: 30_000 });
      assert.equal(await restored.locator('.tabulator-row').count(), 0, 'nothing ran by itself');
      return restored;
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'results-restored.png') });
    await step('run-again', page, server, async () => {
      await view.locator('button.rerun').click();
      await view.locator('.tabulator-row').first().waitFor({ timeout: 60_000 });
    });
  },
);
