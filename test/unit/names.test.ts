import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { checkSlayerDocument, parseSlayerDocument } from '../../server/src/engine/document';
import type { Declaration } from '../../server/src/engine/names/model';
import { planRename, renameTarget, type RenamePlan } from '../../server/src/engine/names/rename';
import { outline, workspaceSymbols } from '../../server/src/engine/names/symbols';
import { NameTable } from '../../server/src/engine/names/table';
import type { DatasourceDef, ModelDef } from '../../server/src/engine/schema/types';
import { classifyPath } from '../../server/src/workspace/classify';
import { SHOP_DATASOURCE } from '../support/fixtures';
import { BY_REGION_QUERY, REGIONS_MODEL, REGIONS_SHOP_FILES, STAGES_QUERY } from '../support/names-fixture';

const ROOT = path.resolve('/ws');

/** An in-memory workspace: files parsed as the index parses them, fed to a name table. */
class Workspace {
  readonly table = new NameTable();
  readonly texts = new Map<string, string>();

  constructor(files: Record<string, string>) {
    for (const [relative, text] of Object.entries(files)) this.write(relative, text);
  }

  file(relative: string): string {
    return path.join(ROOT, relative);
  }

  write(relative: string, text: string): void {
    const file = this.file(relative);
    this.texts.set(file, text);
    const classified = classifyPath(file);
    assert.ok(classified, `${relative} is not a SLayer file`);
    const parsed = parseSlayerDocument(classified.kind, text, { warnOnUnknownFields: true });
    this.table.sync(file, { path: file, root: classified.root ?? ROOT, parsed });
  }

  /** The offset of the `nth` occurrence of `needle` in a file, plus `within` characters. */
  offset(relative: string, needle: string, within = 0, nth = 0): number {
    const text = this.texts.get(this.file(relative)) ?? '';
    let at = -1;
    for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `'${needle}' not found in ${relative}`);
    return at + within;
  }

  definition(relative: string, needle: string, within = 0, nth = 0): Declaration | undefined {
    return this.table.declarationAt(this.file(relative), this.offset(relative, needle, within, nth));
  }

  /** What the name at `needle` resolves to, as `kind owner.name in file`. */
  definedAs(relative: string, needle: string, within = 0, nth = 0): string {
    return describeDeclaration(this.definition(relative, needle, within, nth));
  }

  /** `file:text` of every use of the declaration, for readable assertions. */
  uses(declaration: Declaration): string[] {
    return this.table
      .usesOf(declaration)
      .sort((a, b) => path.basename(a.file).localeCompare(path.basename(b.file)) || a.span.start - b.span.start)
      .map((use) => `${path.basename(use.file)}:${this.slice(use.file, use.span)}@${use.span.start}`);
  }

  slice(file: string, span: { start: number; end: number }): string {
    return (this.texts.get(file) ?? '').slice(span.start, span.end);
  }

  /** Applies a rename plan to the texts (and the file rename), re-parsing each touched file. */
  apply(plan: RenamePlan): void {
    for (const [file, changes] of plan.changes) {
      let text = this.texts.get(file) ?? '';
      for (const change of [...changes].reverse()) {
        text = text.slice(0, change.span.start) + change.newText + text.slice(change.span.end);
      }
      this.write(path.relative(ROOT, file), text);
    }
    if (plan.fileRename) {
      const { from, to } = plan.fileRename;
      const text = this.texts.get(from) ?? '';
      this.texts.delete(from);
      this.table.sync(from, undefined);
      this.write(path.relative(ROOT, to), text);
    }
  }

  /** Every error the checks report over the current texts. */
  errors(): string[] {
    const parsed = [...this.texts].map(([file, text]) => {
      const classified = classifyPath(file);
      assert.ok(classified);
      return { file, classified, doc: parseSlayerDocument(classified.kind, text, { warnOnUnknownFields: true }) };
    });
    const models = parsed.flatMap(({ doc }) => (doc.model ? [doc.model] : [])) satisfies ModelDef[];
    const datasources = parsed.flatMap(({ doc }) => (doc.datasource ? [doc.datasource] : [])) satisfies DatasourceDef[];
    const catalog = new StaticCatalog(models, datasources);
    return parsed.flatMap(({ file, classified, doc }) =>
      [...doc.parseProblems, ...checkSlayerDocument(doc, catalog, classified.location)]
        .filter((problem) => problem.severity === 'error')
        .map((problem) => `${path.basename(file)}: ${problem.message}`),
    );
  }
}

function shop(extra: Record<string, string> = {}): Workspace {
  return new Workspace({ ...REGIONS_SHOP_FILES, ...extra });
}

function describeDeclaration(declaration: Declaration | undefined): string {
  if (!declaration) return 'nothing';
  const owner = declaration.parent ? `${declaration.parent.name}.` : '';
  return `${declaration.kind} ${owner}${declaration.name} in ${path.basename(declaration.file)}`;
}

function refusal(action: () => unknown): SlayerError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof SlayerError, `expected a SlayerError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('name table: resolution', () => {
  test("a model name two data sources declare resolves by the engine's rule: own data source, else nothing", () => {
    const twin = (ds: string): string =>
      `name: orders\nsql_table: orders\ndata_source: ${ds}\ncolumns:\n  - name: id\n    type: INT\n`;
    const ws = new Workspace({
      'models/a/orders.yaml': twin('a'),
      'models/b/orders.yaml': twin('b'),
      'models/b/totals.yaml':
        'name: totals\ndata_source: b\nsource_queries:\n  - source_model: orders\n    measures: ["*:count"]\n',
      'queries/q.query.yaml': 'source_model: orders\nmeasures: ["*:count"]\n',
    });
    // A query-backed model's stage means its own data source's model, as the engine runs it.
    assert.equal(ws.definition('models/b/totals.yaml', 'orders')?.file, ws.file('models/b/orders.yaml'));
    // A query file belongs to no data source: with no priority.yaml the name is ambiguous, and navigation guesses nothing.
    assert.equal(ws.definedAs('queries/q.query.yaml', 'orders'), 'nothing');
  });

  test('a dotted path two joins deep resolves each segment to its model and the leaf to the last model', () => {
    const ws = shop();
    const formula = 'customers.regions.name:count_distinct';
    assert.equal(ws.definedAs('models/shop/orders.yaml', formula), 'model customers in customers.yaml');
    assert.equal(ws.definedAs('models/shop/orders.yaml', formula, 10), 'model regions in regions.yaml');
    assert.equal(ws.definedAs('models/shop/orders.yaml', formula, 19), 'column regions.name in regions.yaml');
    const dimension = 'customers.regions.name';
    assert.equal(ws.definedAs('queries/by_region.query.yaml', dimension, 19), 'column regions.name in regions.yaml');
    const declaration = ws.definition('queries/by_region.query.yaml', dimension, 19);
    assert.ok(declaration);
    assert.equal(ws.slice(declaration.file, declaration.span), 'name');
    assert.equal(declaration.span.start, REGIONS_MODEL.indexOf('- name: name') + 8);
  });

  test('join pairs resolve the left column on the model and the right one on the join target', () => {
    const ws = shop();
    const pair = '[[customer_id, id]]';
    assert.equal(ws.definedAs('models/shop/orders.yaml', pair, 2), 'column orders.customer_id in orders.yaml');
    assert.equal(ws.definedAs('models/shop/orders.yaml', pair, 15), 'column customers.id in customers.yaml');
    assert.equal(
      ws.definedAs('models/shop/orders.yaml', 'target_model: customers', 15),
      'model customers in customers.yaml',
    );
  });

  test('a string literal is never a reference, even when it spells a column', () => {
    const ws = shop();
    const tier = ws.definition('models/shop/customers.yaml', 'tier');
    assert.ok(tier);
    assert.deepEqual(ws.uses(tier), [
      `by_region.query.yaml:tier@${BY_REGION_QUERY.indexOf('customers.tier') + 10}`,
      `by_region.query.yaml:tier@${BY_REGION_QUERY.indexOf("customers.tier = 'tier'") + 10}`,
      `stages.query.yaml:tier@${STAGES_QUERY.indexOf('customers.tier') + 10}`,
    ]);
    // The literal in the model filter and in the query filter is no name at all.
    assert.equal(ws.definition('models/shop/orders.yaml', "'tier'", 1), undefined);
    assert.equal(ws.definition('queries/by_region.query.yaml', "'amount'", 1), undefined);
  });

  test('bare names in formulas, filters and order find columns and saved measures; SQL finds columns', () => {
    const ws = shop();
    const revenue = ws.definition('models/shop/orders.yaml', 'name: revenue', 6);
    assert.equal(describeDeclaration(revenue), 'measure orders.revenue in orders.yaml');
    assert.ok(revenue);
    assert.deepEqual(
      ws.uses(revenue).map((use) => use.split('@')[0]),
      ['by_region.query.yaml:revenue', 'by_region.query.yaml:revenue', 'orders.yaml:revenue'],
    );
    const amount = ws.definition('models/shop/orders.yaml', 'name: amount', 6);
    assert.ok(amount);
    const files = ws.uses(amount).map((use) => use.split('@')[0]);
    // orders: revenue's formula and big's SQL; the query: a measure and a filter; the stages: a measure.
    assert.deepEqual(files, [
      'by_region.query.yaml:amount',
      'by_region.query.yaml:amount',
      'orders.yaml:amount',
      'orders.yaml:amount',
      'stages.query.yaml:amount',
    ]);
  });

  test('a data_source goes to the datasource file, a placeholder to its variable', () => {
    const ws = shop();
    assert.equal(ws.definedAs('models/shop/orders.yaml', 'data_source: shop', 14), 'datasource shop in shop.yaml');
    assert.equal(
      ws.definedAs('queries/by_region.query.yaml', '{min_amount}', 3),
      'variable min_amount in by_region.query.yaml',
    );
  });

  test("a stage's source names the earlier stage, and its virtual columns lead back to what they were named after", () => {
    const ws = shop();
    const stage = ws.definition('queries/stages.query.yaml', 'source_model: per_customer', 16);
    assert.equal(describeDeclaration(stage), 'stage per_customer in stages.query.yaml');
    const virtual = ws.definition('queries/stages.query.yaml', 'customers__tier', 3);
    assert.equal(describeDeclaration(virtual), 'column per_customer.customers__tier in stages.query.yaml');
    assert.ok(virtual);
    assert.equal(ws.slice(virtual.file, virtual.span), 'customers.tier');
    const sum = ws.definition('queries/stages.query.yaml', 'amount_sum:avg', 1);
    assert.equal(describeDeclaration(sum), 'column per_customer.amount_sum in stages.query.yaml');
    assert.equal(
      ws.definedAs('queries/stages.query.yaml', '_count:sum', 1),
      'column per_customer._count in stages.query.yaml',
    );
  });

  test('source_queries, query_variables, a model extension, and SQL inside a nested SELECT', () => {
    const ws = shop({
      'models/shop/big_orders.yaml': [
        'name: big_orders',
        'data_source: shop',
        'query_variables:',
        '  floor: 100',
        'source_queries:',
        '  - name: base',
        '    source_model: orders',
        '    dimensions: [status]',
        '    filters: ["amount > {floor}"]',
        '  - source_model: base',
        '    dimensions: [status]',
        '',
      ].join('\n'),
      'queries/extended.query.yaml': [
        'source_model:',
        '  source_name: orders',
        '  columns:',
        '    - {name: doubled, sql: amount * 2, type: DOUBLE}',
        'dimensions: [doubled, status]',
        '',
      ].join('\n'),
      'models/shop/returns.yaml': [
        'name: returns',
        'sql_table: returns',
        'data_source: shop',
        'columns:',
        '  - name: order_id',
        '    type: INT',
        'filters:',
        '  - "order_id IN (SELECT order_id FROM refunds WHERE order_id > 0)"',
        '  - orders__customers.tier IS NOT NULL',
        'joins:',
        '  - target_model: orders',
        '    join_pairs: [[order_id, id]]',
        '',
      ].join('\n'),
    });
    const model = 'models/shop/big_orders.yaml';
    assert.equal(ws.definedAs(model, '{floor}', 2), 'variable big_orders.floor in big_orders.yaml');
    assert.equal(ws.definedAs(model, 'source_model: base', 15), 'stage big_orders.base in big_orders.yaml');
    assert.equal(ws.definedAs(model, '[status]', 2), 'column orders.status in orders.yaml');
    assert.equal(ws.definedAs(model, '[status]', 2, 1), 'column base.status in big_orders.yaml');
    const query = 'queries/extended.query.yaml';
    assert.equal(ws.definedAs(query, '[doubled', 2), 'column doubled in extended.query.yaml');
    assert.equal(ws.definedAs(query, 'source_name: orders', 15), 'model orders in orders.yaml');
    assert.equal(ws.definedAs(query, ', status]', 3), 'column orders.status in orders.yaml');
    const returns = 'models/shop/returns.yaml';
    assert.equal(ws.definedAs(returns, '"order_id IN', 2), 'column returns.order_id in returns.yaml');
    assert.equal(
      ws.definedAs(returns, 'SELECT order_id', 8),
      'nothing',
      "a nested SELECT reads another table's columns",
    );
    assert.equal(ws.definedAs(returns, 'orders__customers.tier', 9), 'model customers in customers.yaml');
    assert.equal(ws.definedAs(returns, 'orders__customers.tier', 19), 'column customers.tier in customers.yaml');
  });

  test('an edit to one file re-extracts only that file, and uses elsewhere follow it at once', () => {
    const ws = shop();
    const ordersNames = ws.table.namesOf(ws.file('models/shop/orders.yaml'));
    ws.write('models/shop/regions.yaml', REGIONS_MODEL.replace('- name: name', '- name: label'));
    assert.equal(ws.table.namesOf(ws.file('models/shop/orders.yaml')), ordersNames);
    assert.equal(ws.definition('models/shop/orders.yaml', 'customers.regions.name', 19), undefined);
    const label = ws.definition('models/shop/regions.yaml', 'label');
    assert.ok(label);
    assert.deepEqual(ws.uses(label), []);
  });
});

describe('name table: rename', () => {
  test('renaming a joined column edits the join pair, the dotted paths, the query files and keeps the table column', () => {
    const ws = shop();
    const customers = ws.file('models/shop/customers.yaml');
    const plan = planRename(ws.table, customers, ws.offset('models/shop/customers.yaml', 'tier'), 'segment');
    assert.deepEqual([...plan.changes.keys()].map((file) => path.basename(file)).sort(), [
      'by_region.query.yaml',
      'customers.yaml',
      'stages.query.yaml',
    ]);
    ws.apply(plan);
    const renamed = ws.texts.get(customers) ?? '';
    assert.match(renamed, /- name: segment # loyalty tier\n {4}sql: tier\n {4}type: TEXT/);
    const query = ws.texts.get(ws.file('queries/by_region.query.yaml')) ?? '';
    assert.match(query, /dimensions: \[customers\.regions\.name, "customers\.segment"\]/);
    assert.match(query, /"customers\.segment = 'tier' and status != 'amount'"/);
    const stages = ws.texts.get(ws.file('queries/stages.query.yaml')) ?? '';
    assert.match(stages, /dimensions: \[customers\.segment, customers\.id\]/);
    assert.match(stages, /dimensions: \[customers__segment\]/);
    assert.deepEqual(ws.errors(), []);
  });

  test('renaming a join key used in another model keeps both files valid', () => {
    const ws = shop();
    const customers = ws.file('models/shop/customers.yaml');
    ws.apply(planRename(ws.table, customers, ws.offset('models/shop/customers.yaml', '- name: id', 8), 'customer_key'));
    assert.match(
      ws.texts.get(ws.file('models/shop/orders.yaml')) ?? '',
      /join_pairs: \[\[customer_id, customer_key\]\]/,
    );
    assert.match(ws.texts.get(customers) ?? '', /- name: customer_key\n {4}sql: id\n/);
    assert.match(ws.texts.get(ws.file('queries/by_region.query.yaml')) ?? '', /- customers\.customer_key > 0\n/);
    assert.match(
      ws.texts.get(ws.file('queries/stages.query.yaml')) ?? '',
      /\[customers\.tier, customers\.customer_key\]/,
    );
    assert.deepEqual(ws.errors(), []);
  });

  test('renaming a model renames its file, its joins, dotted paths and query sources', () => {
    const ws = shop();
    const plan = planRename(
      ws.table,
      ws.file('queries/by_region.query.yaml'),
      ws.offset('queries/by_region.query.yaml', 'customers.regions', 12),
      'areas',
    );
    assert.deepEqual(plan.fileRename, {
      from: ws.file('models/shop/regions.yaml'),
      to: ws.file('models/shop/areas.yaml'),
    });
    ws.apply(plan);
    assert.match(ws.texts.get(ws.file('models/shop/areas.yaml')) ?? '', /^name: areas\n/);
    assert.match(ws.texts.get(ws.file('models/shop/customers.yaml')) ?? '', /target_model: areas/);
    assert.match(ws.texts.get(ws.file('models/shop/orders.yaml')) ?? '', /"customers\.areas\.name:count_distinct"/);
    assert.match(ws.texts.get(ws.file('models/shop/orders.yaml')) ?? '', /^# Orders, one row each\.\n/);
    assert.deepEqual(ws.errors(), []);
  });

  test('renaming a measure edits formulas that use it and query measures', () => {
    const ws = shop();
    ws.apply(
      planRename(
        ws.table,
        ws.file('models/shop/orders.yaml'),
        ws.offset('models/shop/orders.yaml', 'revenue * 2'),
        'sales',
      ),
    );
    const orders = ws.texts.get(ws.file('models/shop/orders.yaml')) ?? '';
    assert.match(orders, /- name: sales\n {4}formula: amount:sum/);
    assert.match(orders, /formula: sales \* 2/);
    assert.match(ws.texts.get(ws.file('queries/by_region.query.yaml')) ?? '', /measures: \[sales, "amount:sum"\]\n/);
    assert.deepEqual(ws.errors(), []);
  });

  test('a flow-style column gets its sql inline', () => {
    const ws = shop();
    const orders = ws.file('models/shop/orders.yaml');
    ws.apply(planRename(ws.table, orders, ws.offset('models/shop/orders.yaml', 'name: status', 6), 'state'));
    assert.match(ws.texts.get(orders) ?? '', /- name: state\n {4}sql: status\n/);
    assert.match(ws.texts.get(orders) ?? '', /- state <> 'tier'/);
    ws.apply(planRename(ws.table, orders, ws.offset('models/shop/orders.yaml', '{name: big', 7), 'huge'));
    assert.match(ws.texts.get(orders) ?? '', /\{name: huge, type: DOUBLE, sql: "amount \* 100"\}/);
    ws.apply(planRename(ws.table, orders, ws.offset('models/shop/orders.yaml', '{name: discount', 7), 'rebate'));
    assert.match(ws.texts.get(orders) ?? '', /\{name: rebate, sql: discount, type: DOUBLE\}/);
    assert.deepEqual(ws.errors(), []);
  });

  test('refusals: no name, a keyword, names SLayer rejects, collisions, virtual and block-scalar names', () => {
    const ws = shop({
      'models/shop/notes.yaml': [
        'name: notes',
        'sql_table: notes',
        'data_source: shop',
        'columns:',
        '  - name: body',
        '  - name: size',
        '    type: INT',
        'measures:',
        '  - name: total',
        '    formula: >-',
        '      size:sum',
        '',
      ].join('\n'),
    });
    const orders = ws.file('models/shop/orders.yaml');
    const at = (needle: string, within = 0): number => ws.offset('models/shop/orders.yaml', needle, within);
    assert.equal(refusal(() => renameTarget(ws.table, orders, at('sql_table'))).code, ErrorCode.Unsupported);
    assert.match(refusal(() => renameTarget(ws.table, orders, at('amount:sum', 8))).message, /nothing to rename/);
    assert.match(refusal(() => renameTarget(ws.table, orders, at('data_source: shop', 14))).message, /is a datasource/);
    const amount = at('name: amount', 6);
    const invalid = refusal(() => planRename(ws.table, orders, amount, 'a.b'));
    assert.equal(invalid.code, ErrorCode.InvalidInput);
    assert.match(invalid.message, /must not contain "\."/);
    assert.match(refusal(() => planRename(ws.table, orders, amount, 'two words')).message, /only letters, digits/);
    assert.match(refusal(() => planRename(ws.table, orders, amount, 'null')).message, /keyword/);
    assert.match(
      refusal(() => planRename(ws.table, orders, amount, 'revenue')).message,
      /already has a measure named 'revenue'/,
    );
    assert.match(
      refusal(() => planRename(ws.table, orders, at('name: revenue', 6), 'cumsum')).message,
      /transform name/,
    );
    assert.match(
      refusal(() => planRename(ws.table, orders, at('name: orders', 6), 'customers')).message,
      /already exists/,
    );
    assert.match(refusal(() => planRename(ws.table, orders, at('name: orders', 6), 'my__orders')).message, /"__"/);
    const stages = ws.file('queries/stages.query.yaml');
    const virtual = ws.offset('queries/stages.query.yaml', 'customers__tier');
    assert.match(refusal(() => renameTarget(ws.table, stages, virtual)).message, /column of stage 'per_customer'/);
    const notes = ws.file('models/shop/notes.yaml');
    const size = ws.offset('models/shop/notes.yaml', 'name: size', 6);
    assert.match(
      refusal(() => planRename(ws.table, notes, size, 'bytes')).message,
      /notes\.yaml line 10 .* block scalar/,
    );
  });
});

describe('name table: symbols', () => {
  test('the outline of a model and of a query list', () => {
    const ws = shop();
    const [model] = outline(ws.table.namesOf(ws.file('models/shop/orders.yaml')) ?? assert.fail());
    assert.equal(model?.name, 'orders');
    assert.deepEqual(
      model?.children.map((child) => `${child.kind} ${child.name}`),
      [
        'column id',
        'column customer_id',
        'column amount',
        'column status',
        'column big',
        'column discount',
        'measure revenue',
        'measure per_region',
        'measure double_revenue',
        'join customers',
      ],
    );
    const stages = outline(ws.table.namesOf(ws.file('queries/stages.query.yaml')) ?? assert.fail());
    assert.deepEqual(
      stages.map((node) => `${node.kind} ${node.name} ${node.detail ?? ''}`),
      ['stage per_customer orders', 'query query from per_customer'],
    );
  });

  test('workspace symbols over 2,000 models: built per file and filtered in milliseconds', () => {
    const files: Record<string, string> = { 'datasources/shop.yaml': SHOP_DATASOURCE };
    for (let i = 0; i < 2000; i++) {
      const columns = Array.from({ length: 5 }, (_, c) => `  - name: col_${c}_${i}\n    type: INT\n`).join('');
      files[`models/shop/model_${i}.yaml`] =
        `name: model_${i}\nsql_table: t${i}\ndata_source: shop\ncolumns:\n${columns}measures:\n  - name: total_${i}\n    formula: col_0_${i}:sum\njoins:\n  - target_model: model_${(i + 1) % 2000}\n    join_pairs: [[col_1_${i}, col_0_${(i + 1) % 2000}]]\n`;
    }
    const ws = new Workspace(files);
    let started = performance.now();
    const found = workspaceSymbols(ws.table, 'model_1999', 50);
    const firstQuery = performance.now() - started;
    assert.equal(found[0]?.declaration.name, 'model_1999');
    started = performance.now();
    const members = workspaceSymbols(ws.table, 'model_42.col_3', 50);
    const secondQuery = performance.now() - started;
    assert.equal(`${members[0]?.declaration.parent?.name}.${members[0]?.declaration.name}`, 'model_42.col_3_42');
    assert.ok(firstQuery < 250 && secondQuery < 250, `queries took ${firstQuery} and ${secondQuery} ms`);
    const target = ws.definition('models/shop/model_7.yaml', 'col_0_8]]', 1);
    assert.equal(describeDeclaration(target), 'column model_8.col_0_8 in model_8.yaml');
    assert.ok(target);
    started = performance.now();
    assert.equal(ws.uses(target).length, 2);
    assert.ok(performance.now() - started < 100);
  });
});
