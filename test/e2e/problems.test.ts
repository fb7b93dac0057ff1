/**
 * End to end in a real VS Code: the packaged extension, installed into code-server, reports a
 * broken model in the Problems panel and shows its status bar item.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_DEMO_OPTIONS, generateDemoData } from '../../scripts/demo/data';
import { generateDemo } from '../../scripts/demo/generate';
import { formatSlayerText } from '../../server/src/engine/format/format';
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
  gridRows,
  openEditor,
  openFromExplorer,
  resultsView,
  runCommand,
  type ResultsView,
} from './support/workbench';

const EXPECTED_MESSAGE = "Unknown aggregation 'summ'. Did you mean 'sum'?";
/** The revenue measure in the demo's orders model; the replacement must hit exactly this line. */
const VALID_FORMULA = 'formula: "amount:sum"\n';
const BROKEN_FORMULA = 'formula: "amount:summ"\n';

/** Orders in the e2e demo: enough for every status, few enough to generate in a second. */
const E2E_ORDERS = 2_000;
const E2E_SEED = 4242;
const STATUS_QUERY = 'queries/e2e_orders_by_status.query.yaml';
/** A query-backed model with no cache yet, and a query that reads it, so running the query refreshes it. */
const STATUS_COUNTS_MODEL = [
  '# Orders per status. The cache below source_queries is written by SLayer Studio.',
  'version: 7',
  'name: status_counts',
  'data_source: jaffle',
  'description: Orders per status.',
  'source_queries:',
  '  - source_model: orders',
  '    dimensions: [status]',
  '    measures: ["*:count"]',
  '',
].join('\n');
const MONTHLY_QUERY = 'queries/e2e_status_counts.query.yaml';
/** A valid model written out of SLayer's key order, with four-space lists and comments to keep. */
const UNFORMATTED_MODEL = [
  '# Columns first: out of SLayer order.',
  'columns:',
  '    - type: TEXT',
  '      name: city # where the store is',
  'name: e2e_unformatted',
  '# The table SLayer reads.',
  'sql_table: stores',
  'data_source: jaffle',
  '',
].join('\n');
/** A query file the completion test types into. */
const TYPING_QUERY = 'queries/e2e_typing.query.yaml';
/** An inline model on the DuckDB data source: proves the Node-API binding loads in code-server's extension host. */
const DUCKDB_QUERY = 'queries/e2e_duckdb_count.query.yaml';
const DUCKDB_QUERY_TEXT = [
  'source_model:',
  '  name: duck_orders',
  '  data_source: jaffle_duckdb',
  '  sql_table: orders',
  '  columns:',
  '    - name: id',
  '      type: INT',
  '      primary_key: true',
  'measures:',
  '  - "*:count"',
  '',
].join('\n');

/** Where the deliberate error sits, 1-based as the Problems panel prints it. */
interface BrokenWorkspace {
  root: string;
  line: number;
  column: number;
}

let install: CodeServerInstall;
let server: CodeServer | undefined;
let workbench: Workbench | undefined;
let broken: BrokenWorkspace;

before(
  async () => {
    // Always repackage: the vsix must hold the sources under test, and it takes a few seconds.
    packageExtension();
    install = installCodeServer();
    broken = await writeBrokenWorkspace();
    const extensionsDir = makeTempDir('extensions');
    installVsix(install, extensionsDir);
    server = await CodeServer.start({ install, extensionsDir, workspace: broken.root });
    workbench = await step('open-workbench', undefined, server, () => openWorkbench(install, server as CodeServer));
  },
  { timeout: 240_000 },
);

after(async () => {
  await workbench?.close();
  await server?.stop();
  if (!process.env['SLAYER_E2E_KEEP']) removeTempDirs();
});

/**
 * The generated demo (real SQLite and DuckDB files) with one deliberate error
 * in models/jaffle/orders.yaml, and a query file that does not touch it.
 */
async function writeBrokenWorkspace(): Promise<BrokenWorkspace> {
  const outDir = makeTempDir('workspace');
  const demo = await generateDemo(outDir, { orders: E2E_ORDERS, seed: E2E_SEED });
  const root = demo.storageRoot;
  const orders = path.join(root, 'models', 'jaffle', 'orders.yaml');
  const text = readFileSync(orders, 'utf8');
  // Fail loudly if the demo template changes, rather than testing an unbroken file.
  assert.ok(text.includes(VALID_FORMULA), `demo orders model no longer contains ${VALID_FORMULA.trim()}`);
  const brokenText = text.replace(VALID_FORMULA, BROKEN_FORMULA);
  writeFileSync(orders, brokenText);
  writeFileSync(
    path.join(root, STATUS_QUERY),
    'source_model: orders\ndimensions:\n  - status\nmeasures:\n  - "*:count"\n',
  );
  writeFileSync(path.join(root, DUCKDB_QUERY), DUCKDB_QUERY_TEXT);
  writeFileSync(path.join(root, 'models', 'jaffle', 'status_counts.yaml'), STATUS_COUNTS_MODEL);
  writeFileSync(path.join(root, MONTHLY_QUERY), 'source_model: status_counts\nmeasures: ["_count:sum"]\n');
  writeFileSync(path.join(root, 'models', 'jaffle', 'e2e_unformatted.yaml'), UNFORMATTED_MODEL);
  writeFileSync(path.join(root, TYPING_QUERY), 'source_model: orders\nmeasures:\n  - "*:count"\n');
  const lines = brokenText.split('\n');
  const index = lines.findIndex((line) => line.includes('amount:summ'));
  const column = (lines[index] ?? '').indexOf('summ');
  return { root, line: index + 1, column: column + 1 };
}

test(
  'a broken model shows its diagnostic in the Problems panel and the SLayer status bar item appears',
  { timeout: 150_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');

    await step('open-model', page, server, async () => {
      await openFromExplorer(page, ['models', 'jaffle', 'orders.yaml']);
      // The editor tab proves the file (not just a tree row) opened.
      await page.locator('.tabs-container .tab.active', { hasText: 'orders.yaml' }).waitFor({ timeout: 30_000 });
      // The broken line is far down and the editor renders only visible lines; the name line proves the content.
      await page.locator('.monaco-editor .view-line', { hasText: 'name: orders' }).first().waitFor({ timeout: 30_000 });
    });

    await step('status-bar', page, server, async () => {
      const item = slayerStatusItem(page);
      // The item reads "SLayer" + an error count once the server has indexed; wait for the count.
      await item.filter({ has: page.locator('.codicon-error') }).waitFor({ timeout: 60_000 });
      assert.match(await item.innerText(), /SLayer\s*1\b/);
    });

    const rows = await step('problems-panel', page, server, async () => {
      await openProblemsPanel(page);
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: EXPECTED_MESSAGE });
      await row.first().waitFor({ timeout: 60_000 });
      return page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    });

    await page.screenshot({ path: path.join(artifactsDir(), 'problems.png') });
    const flat = rows.map((row) => row.replace(/\s+/g, ' ').trim());
    const shown = `Problems panel rows:\n${flat.join('\n')}`;
    // The file row: name, folder and a count of exactly one problem.
    assert.ok(
      flat.some((row) => /^orders\.yaml ?models\/jaffle 1$/.test(row)),
      shown,
    );
    // The marker row: our message, our source and code, at the broken token.
    const marker = flat.find((row) => row.includes(EXPECTED_MESSAGE));
    assert.ok(marker, shown);
    assert.match(marker, /\bslayer\b/, 'the source is our server');
    assert.match(marker, /unknown-aggregation/);
    assert.ok(
      marker.includes(`[Ln ${broken.line}, Col ${broken.column}]`),
      `expected Ln ${broken.line}, Col ${broken.column}: ${marker}`,
    );
  },
);

test(
  "the Run query code lens runs a query file on the demo's SQLite data and shows the rows",
  { timeout: 150_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');
    // Expected counts come from the generator, not from the engine.
    const data = generateDemoData({ ...DEFAULT_DEMO_OPTIONS, orders: E2E_ORDERS, seed: E2E_SEED });
    const expected = new Map<string, number>();
    for (const order of data.orders) expected.set(order.status, (expected.get(order.status) ?? 0) + 1);

    await step('open-query', page, server, async () => {
      await openEditor(page, ['queries', path.basename(STATUS_QUERY)]);
    });
    await step('click-code-lens', page, server, async () => {
      const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Run query' });
      await lens.first().waitFor({ timeout: 60_000 });
      await lens.first().click();
    });
    const cells = await step('results-view', page, server, async () => {
      const view = await resultsView(page, path.basename(STATUS_QUERY));
      await view.locator('p.summary', { hasText: `${expected.size} rows` }).waitFor({ timeout: 60_000 });
      await view.locator('.tabulator-row').first().waitFor({ timeout: 30_000 });
      return gridRows(view);
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'run-query.png') });
    await step('progress-closes', page, server, async () => {
      await page
        .locator('.notification-toast', { hasText: 'Running' })
        .first()
        .waitFor({ state: 'hidden', timeout: 15_000 });
    });
    const shown = new Map(cells.map(([status, count]) => [status ?? '', cellNumber(count)]));
    assert.deepEqual(shown, expected);

    const duckdbCells = await step('duckdb-results', page, server, async () => {
      const view = await runFromCodeLens(page, DUCKDB_QUERY);
      await view.locator('.tabulator-row').first().waitFor({ timeout: 30_000 });
      return view.locator('.tabulator-row .tabulator-cell').allInnerTexts();
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'run-query-duckdb.png') });
    assert.deepEqual(duckdbCells.map(cellNumber), [E2E_ORDERS]);
  },
);

test(
  'the SQL code lens shows the compiled SQL in a read-only SQL editor beside the query',
  { timeout: 120_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');
    await step('open-query-for-sql', page, server, async () => {
      await openEditor(page, ['queries', path.basename(STATUS_QUERY)]);
    });
    const lines = await step('click-sql-lens', page, server, async () => {
      const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: /^SQL$/ });
      await lens.first().waitFor({ timeout: 60_000 });
      await lens.first().click();
      const tab = `${path.basename(STATUS_QUERY)}.sql`;
      await page.locator('.tabs-container .tab.active', { hasText: tab }).first().waitFor({ timeout: 30_000 });
      const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines');
      await editor.locator('.view-line', { hasText: 'GROUP BY' }).first().waitFor({ timeout: 30_000 });
      return editor.locator('.view-line').allInnerTexts();
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'compiled-sql.png') });
    const text = lines.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
    assert.match(text, /-- Compiled by SLayer Studio from e2e_orders_by_status\.query\.yaml; read-only\./);
    assert.match(text, /SELECT orders\."status" AS "orders\.status", COUNT\(\*\) AS "orders\._count"/);
    await step('sql-language-mode', page, server, async () => {
      // The status bar names the editor's language; VS Code's SQL is "MS SQL".
      await page
        .locator('.statusbar-item', { hasText: /\bSQL$/ })
        .first()
        .waitFor({ timeout: 15_000 });
    });
    await step('close-sql-editor', page, server, async () => {
      const tab = page.locator('.tabs-container .tab', { hasText: `${path.basename(STATUS_QUERY)}.sql` }).first();
      await tab.hover();
      await tab.locator('.codicon-close').click();
      await tab.waitFor({ state: 'detached', timeout: 15_000 });
      // Back to the query's editor group, where the next test opens its files.
      await page
        .locator('.tabs-container .tab', { hasText: path.basename(STATUS_QUERY) })
        .first()
        .click();
    });
  },
);

test('the Preview code lens on a model shows its rows in the results view', { timeout: 120_000 }, async () => {
  const page = workbench?.page;
  assert.ok(page && server, 'the workbench did not open');
  // Expected rows come from the generator, not from the engine.
  const data = generateDemoData({ ...DEFAULT_DEMO_OPTIONS, orders: E2E_ORDERS, seed: E2E_SEED });
  const names = await step('preview-stores', page, server, async () => {
    await openEditor(page, ['models', 'jaffle', 'stores.yaml']);
    const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Preview' });
    await lens.first().waitFor({ timeout: 60_000 });
    await lens.first().click();
    const view = await resultsView(page, 'stores.yaml');
    await view.locator('p.summary', { hasText: `${data.stores.length} rows` }).waitFor({ timeout: 60_000 });
    await view.locator('.tabulator-row').first().waitFor({ timeout: 30_000 });
    return (await gridRows(view)).map((row) => row[1] ?? '');
  });
  await page.screenshot({ path: path.join(artifactsDir(), 'preview-model.png') });
  assert.deepEqual([...names].sort(), data.stores.map((store) => store.name).sort());
  await step('back-to-first-group', page, server, async () => {
    await page.locator('.tabs-container .tab', { hasText: 'stores.yaml' }).first().click();
  });
});

test(
  'hovering a column shows its real values, and the sample is written back into the saved model file',
  { timeout: 150_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');
    const orders = path.join(broken.root, 'models', 'jaffle', 'orders.yaml');
    assert.ok(!readFileSync(orders, 'utf8').includes('sampled:'), 'no sample before the hover');
    const data = generateDemoData({ ...DEFAULT_DEMO_OPTIONS, orders: E2E_ORDERS, seed: E2E_SEED });
    const counts = new Map<string, number>();
    for (const order of data.orders) counts.set(order.status, (counts.get(order.status) ?? 0) + 1);
    const expected = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([status]) => status);

    const hover = await step('hover-column', page, server, async () => {
      await openEditor(page, ['models', 'jaffle', 'orders.yaml']);
      // Bring the column's line into view: Monaco renders only the visible lines.
      const lineNumber =
        readFileSync(orders, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('- name: status')) + 1;
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+G');
      await page.keyboard.type(String(lineNumber));
      await page.keyboard.press('Enter');
      const line = page.locator('.monaco-editor .view-line', { hasText: 'name: status' }).first();
      await line.waitFor({ timeout: 30_000 });
      // VS Code's "Show or Focus Hover" with the cursor inside 'status': no mouse timing involved.
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10_000 });
      await input.fill('>Show or Focus Hover');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show or Focus Hover' }).first().waitFor();
      await page.keyboard.press('Enter');
      const widget = page.locator('.monaco-hover-content', { hasText: 'Sampled:' });
      await widget.first().waitFor({ timeout: 60_000 });
      return widget.first().innerText();
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'hover.png') });
    assert.ok(hover.includes(`Sampled: ${expected.join(', ')}`), `hover text: ${hover}`);

    await step('write-back', page, server, async () => {
      const deadline = Date.now() + 30_000;
      while (!readFileSync(orders, 'utf8').includes('sampled:')) {
        if (Date.now() > deadline) throw new Error('the sample was not written back');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    const text = readFileSync(orders, 'utf8');
    assert.ok(text.includes(`sampled: ${expected.join(', ')}`), 'the snapshot SLayer would write');
    assert.ok(text.includes(BROKEN_FORMULA.trim()), "the user's own text is untouched");
  },
);

test(
  'a run while the model has unsaved edits leaves the file alone; saving brings the cache, computed from the saved text',
  { timeout: 180_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');
    const model = path.join(broken.root, 'models', 'jaffle', 'status_counts.yaml');
    const before = readFileSync(model);

    await step('edit-unsaved', page, server, async () => {
      await openFromExplorer(page, ['models', 'jaffle', 'status_counts.yaml']);
      const tab = page.locator('.tabs-container .tab.active', { hasText: 'status_counts.yaml' });
      await tab.waitFor({ timeout: 30_000 });
      await page.locator('.monaco-editor .view-line', { hasText: 'description: Orders per' }).first().click();
      await page.keyboard.press('End');
      await page.keyboard.type(' Edited in the editor.');
      await page.locator('.tabs-container .tab.dirty', { hasText: 'status_counts.yaml' }).waitFor({ timeout: 10_000 });
    });

    await step('run-while-dirty', page, server, async () => {
      const view = await runFromCodeLens(page, MONTHLY_QUERY);
      await view.locator('p.summary', { hasText: '1 row' }).waitFor({ timeout: 60_000 });
    });
    assert.deepEqual(readFileSync(model), before, 'nothing was written under the unsaved buffer');

    await step('save', page, server, async () => {
      await page.locator('.tabs-container .tab', { hasText: 'status_counts.yaml' }).first().click();
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 30_000;
      while (!readFileSync(model, 'utf8').includes('backing_query_sql')) {
        if (Date.now() > deadline) throw new Error('the deferred refresh did not run after the save');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // The editor reloads the refreshed file: the tab is clean and shows the cache.
      await page
        .locator('.monaco-editor .view-line', { hasText: 'backing_query_sql' })
        .first()
        .waitFor({ timeout: 30_000 });
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'saved-then-refreshed.png') });
    const text = readFileSync(model, 'utf8');
    const edited = before
      .toString('utf8')
      .replace('description: Orders per status.', 'description: Orders per status. Edited in the editor.');
    // Format-on-save is on for SLayer files: what was saved is the edit, formatted; the cache comes after it.
    const saved = formatSlayerText('model', edited);
    assert.ok('text' in saved, 'the edited model formats');
    assert.ok(text.startsWith(saved.text.trimEnd()), `the saved text comes first, untouched:\n${text}`);
    assert.ok(text.includes('Edited in the editor.'), "the user's edit is there");
    assert.match(text, /columns:\n {2}- name: status\n/);
    assert.equal(
      await page.locator('.tabs-container .tab.dirty', { hasText: 'status_counts.yaml' }).count(),
      0,
      'the buffer is clean',
    );
  },
);

test(
  'typing `amount:` in a measure opens the suggest widget with the aggregations, `sum` among them',
  { timeout: 120_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');
    const suggestions = await step('type-and-suggest', page, server, async () => {
      await openEditor(page, ['queries', path.basename(TYPING_QUERY)]);
      await page.locator('.monaco-editor .view-line', { hasText: '*:count' }).first().click();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      // autoIndent is "keep" for SLayer files: the new line starts under the previous item.
      await page.keyboard.type('- amount:', { delay: 40 });
      const rows = page.locator('.suggest-widget.visible .monaco-list-row');
      await rows.first().waitFor({ timeout: 30_000 });
      return rows.allInnerTexts();
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'completion.png') });
    const labels = suggestions.map((row) => row.split('\n')[0]?.trim() ?? '');
    assert.ok(labels.includes('sum'), `suggest widget rows: ${suggestions.join(' | ')}`);
    assert.ok(labels.includes('avg'), `suggest widget rows: ${suggestions.join(' | ')}`);
    await page.keyboard.press('Escape');
    // Leave the file as it was on disk, so later tests see one deliberate error only.
    await runCommand(page, 'File: Revert File');
  },
);

test('saving an unformatted model rewrites it in canonical form, comments kept', { timeout: 120_000 }, async () => {
  const page = workbench?.page;
  assert.ok(page && server, 'the workbench did not open');
  const file = path.join(broken.root, 'models', 'jaffle', 'e2e_unformatted.yaml');
  await step('format-on-save', page, server, async () => {
    await openEditor(page, ['models', 'jaffle', 'e2e_unformatted.yaml']);
    await page.locator('.monaco-editor .view-line', { hasText: 'data_source: jaffle' }).first().click();
    await page.keyboard.press('End');
    await page.keyboard.type(' ');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 30_000;
    while (readFileSync(file, 'utf8') === UNFORMATTED_MODEL) {
      if (Date.now() > deadline) throw new Error('saving did not format the file');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await page.locator('.monaco-editor .view-line', { hasText: 'name: e2e_unformatted' }).first().waitFor();
  });
  await page.screenshot({ path: path.join(artifactsDir(), 'format-on-save.png') });
  const text = readFileSync(file, 'utf8');
  const expected = formatSlayerText('model', UNFORMATTED_MODEL);
  assert.ok('text' in expected);
  assert.equal(text, expected.text, 'what the editor saved is the formatter output');
  const lines = text.split('\n');
  const at = (prefix: string): number => lines.findIndex((line) => line.startsWith(prefix));
  assert.ok(
    at('name:') < at('sql_table:') && at('sql_table:') < at('data_source:') && at('data_source:') < at('columns:'),
  );
  assert.equal(lines[at('sql_table:') - 1], '# The table SLayer reads.', 'a comment moves with its key');
  assert.equal(lines[at('columns:') - 1], '# Columns first: out of SLayer order.');
  assert.ok(text.includes('  - name: city # where the store is') || text.includes('name: city # where the store is'));
  assert.ok(
    lines.some((line) => /^ {2}- /.test(line)),
    'two-space lists',
  );
});

test('Ctrl+click on a join target opens the model it names', { timeout: 120_000 }, async () => {
  const page = workbench?.page;
  assert.ok(page && server, 'the workbench did not open');
  const orders = path.join(broken.root, 'models', 'jaffle', 'orders.yaml');
  await step('ctrl-click-join-target', page, server, async () => {
    await openEditor(page, ['models', 'jaffle', 'orders.yaml']);
    await goToLine(page, lineOf(orders, '- target_model: stores'));
    const line = page.locator('.monaco-editor .view-line', { hasText: 'target_model: stores' }).first();
    await line.waitFor({ timeout: 30_000 });
    const word = line.locator('span span', { hasText: /^stores$/ }).last();
    const box = await word.boundingBox();
    assert.ok(box, 'the word stores is on screen');
    await page.keyboard.down('Control');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.up('Control');
    await page.locator('.tabs-container .tab.active', { hasText: 'stores.yaml' }).waitFor({ timeout: 30_000 });
  });
  await page.screenshot({ path: path.join(artifactsDir(), 'go-to-definition.png') });
  assert.equal(await page.locator('.tabs-container .tab.active', { hasText: 'stores.yaml' }).count(), 1);
});

test(
  "F2 on a column renames it in another model's join, and the workspace stays clean",
  { timeout: 150_000 },
  async () => {
    const page = workbench?.page;
    assert.ok(page && server, 'the workbench did not open');
    const customers = path.join(broken.root, 'models', 'jaffle', 'customers.yaml');
    const orders = path.join(broken.root, 'models', 'jaffle', 'orders.yaml');
    assert.match(readFileSync(orders, 'utf8'), /join_pairs: \[\[customer_id, id\]\]/);
    await step('rename-with-f2', page, server, async () => {
      await openEditor(page, ['models', 'jaffle', 'customers.yaml']);
      await goToLine(page, lineOf(customers, '- name: id'));
      await page.keyboard.press('End');
      await page.keyboard.press('F2');
      const input = page.locator('.rename-box input');
      await input.waitFor({ timeout: 30_000 });
      await input.fill('customer_key');
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab.dirty', { hasText: 'customers.yaml' }).waitFor({ timeout: 30_000 });
      await runCommand(page, 'File: Save All');
      const deadline = Date.now() + 30_000;
      while (!readFileSync(orders, 'utf8').includes('[[customer_id, customer_key]]')) {
        if (Date.now() > deadline) throw new Error('orders.yaml was not updated on disk');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    await page.screenshot({ path: path.join(artifactsDir(), 'rename.png') });
    const renamed = readFileSync(customers, 'utf8');
    assert.match(renamed, /- name: customer_key\n/);
    assert.match(renamed, /# Primary keys can only be counted/, 'comments survive the rename');
    await step('still-one-error', page, server, async () => {
      // The workspace had exactly one (deliberate) error before the rename; it still has exactly that one.
      await slayerStatusItem(page)
        .filter({ hasText: /SLayer\s*1\b/ })
        .waitFor({ timeout: 30_000 });
    });
  },
);

function lineOf(file: string, needle: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `${path.basename(file)} has ${needle}`);
  return index + 1;
}

/** Ctrl+G: Monaco renders only the visible lines, so a far line is brought into view first. */
async function goToLine(page: Page, line: number): Promise<void> {
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
}

/** Opens a query file from the Explorer, clicks its Run query lens and waits for its results view. */
async function runFromCodeLens(page: Page, relative: string): Promise<ResultsView> {
  await openEditor(page, [path.basename(relative)]);
  const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Run query' });
  await lens.first().waitFor({ timeout: 60_000 });
  await lens.first().click();
  return resultsView(page, path.basename(relative));
}

/**
 * Our status bar entry. VS Code gives an extension's item the DOM id `<extension id>.<item id>`;
 * matching on text alone would also hit the "SLayer YAML" language indicator.
 */
function slayerStatusItem(page: Page): Locator {
  return page.locator('[id="slayer-studio.slayer-studio.slayer.status"]');
}

/** Ctrl+Shift+M toggles the panel; the command palette is the fallback when focus swallowed the key. */
async function openProblemsPanel(page: Page): Promise<void> {
  const panel = page.locator('.markers-panel');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+Shift+M');
  try {
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    return;
  } catch {
    console.log('[e2e] Ctrl+Shift+M did not open Problems; using the command palette');
  }
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill('>View: Toggle Problems');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Toggle Problems' }).first().waitFor();
  await page.keyboard.press('Enter');
  await panel.waitFor({ state: 'visible', timeout: 10_000 });
}
