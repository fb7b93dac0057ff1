/**
 * Definition, references, rename and symbols over stdio, against the real
 * bundled server: positions in, locations and workspace edits out, and a
 * rename applied the way an editor applies it (open buffers through
 * didChange, closed files on disk, the model file renamed) re-checks clean.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  DefinitionRequest,
  DocumentSymbolRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  WorkspaceSymbolRequest,
  type DocumentSymbol,
  type Location,
  type Position,
  type SymbolInformation,
  type TextDocumentEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { LineIndex } from '../../server/src/engine/schema/source';
import { RpcErrorCode } from '../../shared/src/errors';
import { Requests, sendTypedRequest } from '../../shared/src/protocol';
import type { FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';
import { CUSTOMERS_WITH_REGIONS_MODEL, makeRegionsShop } from '../support/names-fixture';

const ORDERS = 'models/shop/orders.yaml';
const CUSTOMERS = 'models/shop/customers.yaml';
const QUERY = 'queries/by_region.query.yaml';

describe('navigation over stdio', () => {
  let shop: FixtureRoot;
  let client: TestClient;
  /** What the editor holds for each open file; the rename's edits for it go through didChange. */
  const open = new Map<string, string>();

  before(async () => {
    shop = makeRegionsShop();
    client = await TestClient.start(shop.root);
  });

  after(async () => {
    await client.stop();
  });

  const uri = (relative: string): string => pathToFileURL(shop.file(relative)).toString();
  const textOf = (relative: string): string =>
    open.get(shop.file(relative)) ?? readFileSync(shop.file(relative), 'utf8');

  /** The position of `needle` (its `nth` occurrence) in a file, plus `within` characters. */
  function positionOf(relative: string, needle: string, within = 0, nth = 0): Position {
    const text = textOf(relative);
    let at = -1;
    for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `'${needle}' not in ${relative}`);
    const { line, character } = new LineIndex(text).positionAt(at + within);
    return { line, character };
  }

  /** `file:line:character` of a location, 1-based lines, for readable assertions. */
  function describeLocation(location: Location): string {
    const file = path.relative(shop.root, fileURLToPath(location.uri));
    return `${file}:${location.range.start.line + 1}:${location.range.start.character}-${location.range.end.character}`;
  }

  async function definition(relative: string, needle: string, within = 0): Promise<string[]> {
    const result = await client.connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri: uri(relative) },
      position: positionOf(relative, needle, within),
    });
    const locations = Array.isArray(result) ? result : result ? [result] : [];
    return locations.map((location) => describeLocation(location as Location));
  }

  async function references(
    relative: string,
    needle: string,
    within: number,
    includeDeclaration: boolean,
  ): Promise<string[]> {
    const result = await client.connection.sendRequest(ReferencesRequest.type, {
      textDocument: { uri: uri(relative) },
      position: positionOf(relative, needle, within),
      context: { includeDeclaration },
    });
    return (result ?? []).map(describeLocation).sort();
  }

  async function rename(relative: string, needle: string, within: number, newName: string): Promise<WorkspaceEdit> {
    const edit = await client.connection.sendRequest(RenameRequest.type, {
      textDocument: { uri: uri(relative) },
      position: positionOf(relative, needle, within),
      newName,
    });
    assert.ok(edit?.documentChanges, 'a rename answers with documentChanges');
    return edit;
  }

  /** Applies a workspace edit as VS Code does: open buffers through didChange, closed files on disk, then renames. */
  async function apply(edit: WorkspaceEdit): Promise<void> {
    for (const change of edit.documentChanges ?? []) {
      if ('kind' in change) {
        assert.equal(change.kind, 'rename');
        renameSync(fileURLToPath(change.oldUri), fileURLToPath(change.newUri));
        continue;
      }
      const file = fileURLToPath(change.textDocument.uri);
      const editorText = open.get(file);
      const text = applyEdits(editorText ?? readFileSync(file, 'utf8'), change);
      if (editorText === undefined) {
        assert.equal(change.textDocument.version, null, `${path.basename(file)} is closed: no version`);
        writeFileSync(file, text);
      } else {
        assert.equal(typeof change.textDocument.version, 'number', `${path.basename(file)} is open: its version`);
        open.set(file, text);
        await client.replace(file, text);
      }
    }
  }

  /** Polls until the server agrees with what was applied (the watcher is asynchronous), then checks it is clean. */
  async function waitForClean(settled: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await settled())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const summary = await sendTypedRequest(client.connection, Requests.checkSummary, {});
    assert.equal(summary.errors, 0, `no errors after ${what}`);
  }

  test('the server announces navigation, rename and symbols', () => {
    const capabilities = client.initializeResult?.capabilities;
    assert.equal(capabilities?.definitionProvider, true);
    assert.equal(capabilities?.referencesProvider, true);
    assert.deepEqual(capabilities?.renameProvider, { prepareProvider: true });
    assert.equal(capabilities?.documentSymbolProvider, true);
    assert.equal(capabilities?.workspaceSymbolProvider, true);
  });

  test('definition follows a dotted path through two joins, and a join target, a data source and a query source', async () => {
    const formula = 'customers.regions.name:count_distinct';
    assert.deepEqual(await definition(ORDERS, formula, 19), ['models/shop/regions.yaml:8:10-14']);
    assert.deepEqual(await definition(ORDERS, formula, 12), ['models/shop/regions.yaml:1:6-13']);
    assert.deepEqual(await definition(ORDERS, 'target_model: customers', 15), ['models/shop/customers.yaml:1:6-15']);
    assert.deepEqual(await definition(ORDERS, 'data_source: shop', 14), ['datasources/shop.yaml:1:6-10']);
    assert.deepEqual(await definition(ORDERS, '[[customer_id, id]]', 16), ['models/shop/customers.yaml:5:10-12']);
    assert.deepEqual(await definition(QUERY, 'source_model: orders', 15), ['models/shop/orders.yaml:2:6-12']);
    assert.deepEqual(await definition(QUERY, 'customers.regions.name', 19), ['models/shop/regions.yaml:8:10-14']);
    assert.deepEqual(await definition(QUERY, "'tier'", 2), [], 'a string literal is not a name');
  });

  test('references across files and query files, with and without the declaration', async () => {
    const tier = await references(CUSTOMERS, '- name: tier', 9, false);
    assert.deepEqual(tier, [
      'queries/by_region.query.yaml:2:48-52',
      'queries/by_region.query.yaml:5:15-19',
      'queries/stages.query.yaml:3:25-29',
    ]);
    const withDeclaration = await references(CUSTOMERS, '- name: tier', 9, true);
    assert.deepEqual(withDeclaration, ['models/shop/customers.yaml:10:10-14', ...tier].sort());
    const regions = await references(ORDERS, 'customers.regions.name', 12, false);
    assert.deepEqual(regions, [
      'models/shop/customers.yaml:13:18-25',
      'models/shop/orders.yaml:21:24-31',
      'queries/by_region.query.yaml:2:23-30',
    ]);
  });

  test('document symbols: a model with its columns, measures and joins; a query list with its stages', async () => {
    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, {
      textDocument: { uri: uri(ORDERS) },
    })) as DocumentSymbol[];
    assert.equal(symbols.length, 1);
    const [orders] = symbols;
    assert.equal(orders?.name, 'orders');
    assert.deepEqual(
      orders?.children?.map((child) => child.name),
      [
        'id',
        'customer_id',
        'amount',
        'status',
        'big',
        'discount',
        'revenue',
        'per_region',
        'double_revenue',
        'customers',
      ],
    );
    const revenue = orders?.children?.find((child) => child.name === 'revenue');
    assert.equal(revenue?.detail, 'amount:sum');
    assert.deepEqual(revenue?.selectionRange.start, { line: 17, character: 10 });
    const stages = (await client.connection.sendRequest(DocumentSymbolRequest.type, {
      textDocument: { uri: uri('queries/stages.query.yaml') },
    })) as DocumentSymbol[];
    assert.deepEqual(
      stages.map((stage) => `${stage.name} ${stage.detail ?? ''}`),
      ['per_customer orders', 'query from per_customer'],
    );
  });

  test('workspace symbols: models, columns and measures of the root, filtered by the query', async () => {
    const found = (await client.connection.sendRequest(WorkspaceSymbolRequest.type, {
      query: 'tier',
    })) as SymbolInformation[];
    assert.deepEqual(
      found.map((symbol) => `${symbol.containerName ?? ''}.${symbol.name}`),
      ['customers.tier'],
    );
    assert.equal(found[0]?.location.uri, uri(CUSTOMERS));
    const models = (await client.connection.sendRequest(WorkspaceSymbolRequest.type, {
      query: 'regions',
    })) as SymbolInformation[];
    assert.equal(models[0]?.name, 'regions');
  });

  test('prepareRename selects the name under the cursor and refuses what cannot be renamed', async () => {
    const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, {
      textDocument: { uri: uri(QUERY) },
      position: positionOf(QUERY, 'customers.regions.name', 12),
    });
    assert.deepEqual(prepared, {
      range: { start: { line: 1, character: 23 }, end: { line: 1, character: 30 } },
      placeholder: 'regions',
    });
    await assert.rejects(
      client.connection.sendRequest(PrepareRenameRequest.type, {
        textDocument: { uri: uri(ORDERS) },
        position: positionOf(ORDERS, 'sql_table', 2),
      }),
      (error: { code: number; message: string }) =>
        error.code === RpcErrorCode.SLAYER_UNSUPPORTED && /nothing to rename/.test(error.message),
    );
    await assert.rejects(
      client.connection.sendRequest(PrepareRenameRequest.type, {
        textDocument: { uri: uri('queries/stages.query.yaml') },
        position: positionOf('queries/stages.query.yaml', 'customers__tier', 2),
      }),
      (error: { message: string }) => /column of stage 'per_customer'/.test(error.message),
    );
    for (const [newName, reason] of [
      ['a.b', /must not contain "\."/],
      ['revenue', /already has a measure named 'revenue'/],
      ['and', /keyword/],
    ] as const) {
      await assert.rejects(rename(ORDERS, 'name: amount', 6, newName), (error: { code: number; message: string }) => {
        assert.equal(error.code, RpcErrorCode.SLAYER_INVALID_INPUT);
        assert.match(error.message, reason);
        return true;
      });
    }
  });

  test("renaming a column used in another model's join pair and in query files, applied, re-checks clean", async () => {
    const customers = shop.file(CUSTOMERS);
    open.set(customers, CUSTOMERS_WITH_REGIONS_MODEL);
    await client.open(customers, CUSTOMERS_WITH_REGIONS_MODEL);
    const edit = await rename(CUSTOMERS, '- name: id', 8, 'customer_key');
    const files = (edit.documentChanges ?? [])
      .map((change) => path.relative(shop.root, fileURLToPath((change as TextDocumentEdit).textDocument.uri)))
      .sort();
    assert.deepEqual(files, [CUSTOMERS, ORDERS, QUERY, 'queries/stages.query.yaml']);
    await apply(edit);
    assert.match(textOf(ORDERS), /join_pairs: \[\[customer_id, customer_key\]\]/);
    assert.match(textOf(QUERY), /- customers\.customer_key > 0\n/);
    assert.match(textOf(CUSTOMERS), /- name: customer_key\n {4}sql: id\n {4}type: INT\n/);
    assert.match(textOf(ORDERS), /^# Orders, one row each\.\n/, 'comments are kept');
    await waitForClean(
      async () => (await references(CUSTOMERS, '- name: customer_key', 9, false)).length === 3,
      'the column rename',
    );
    for (const file of [ORDERS, QUERY, CUSTOMERS]) {
      const errors = client.diagnosticsFor(shop.file(file))?.filter((d) => d.severity === 1) ?? [];
      assert.deepEqual(errors, [], `${file} has no errors`);
    }
  });

  test('renaming a model renames its file, its joins, dotted paths and query sources, and re-checks clean', async () => {
    const edit = await rename(QUERY, 'customers.regions.name', 12, 'areas');
    const renames = (edit.documentChanges ?? []).filter((change) => 'kind' in change);
    assert.deepEqual(renames, [
      { kind: 'rename', oldUri: uri('models/shop/regions.yaml'), newUri: uri('models/shop/areas.yaml') },
    ]);
    await apply(edit);
    assert.match(textOf('models/shop/areas.yaml'), /^name: areas\n/);
    assert.match(textOf(CUSTOMERS), /target_model: areas\n/);
    await waitForClean(
      async () => (await definition(QUERY, 'customers.areas.name', 12)).join() === 'models/shop/areas.yaml:1:6-11',
      'the model rename',
    );
    const warnings = client.diagnosticsFor(shop.file('models/shop/areas.yaml')) ?? [];
    assert.deepEqual(warnings, [], 'the file is named after the model');
  });
});

/** Applies one document's edits to its text, last first so earlier offsets stay valid. */
function applyEdits(text: string, change: TextDocumentEdit): string {
  const lines = new LineIndex(text);
  const edits = change.edits.map((edit) => ({
    start: lines.offsetAt(edit.range.start),
    end: lines.offsetAt(edit.range.end),
    newText: edit.newText,
  }));
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.newText + out.slice(edit.end);
  }
  return out;
}
