/**
 * The formatter, rule by rule (each with a file written here), then a seeded
 * property test over generated files: formatting never changes a value or
 * drops a comment, and formatting twice changes nothing more.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments, Parser } from 'yaml';
import type { SlayerFileKind } from '../../server/src/engine/document';
import { formatSlayerText, formatSlayerYaml, type TextSpanEdit } from '../../server/src/engine/format/format';
import { rootShape } from '../../server/src/engine/format/shapes';
import { forEachToken } from '../../server/src/engine/format/tree';
import { columnDef } from '../../server/src/engine/schema/types';
import type { CacheUpdates } from '../../server/src/storage/types';
import { patchYamlText } from '../../server/src/storage/yaml-patch';
import { generateFile } from '../support/random-yaml';
import { assertOnlyCacheChanged } from '../support/yaml-fidelity';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

function formatted(kind: SlayerFileKind, text: string): string {
  const result = formatSlayerText(kind, text);
  if ('refused' in result) assert.fail(`refused: ${result.refused}`);
  return result.text;
}

interface FormatCase {
  title: string;
  kind: SlayerFileKind;
  input: string[];
  expected: string[];
}

/** `input` formats to `expected`, keeps its value, and `expected` is already formatted. */
function assertFormats(kind: SlayerFileKind, input: string, expected: string): void {
  assert.equal(formatted(kind, input), expected);
  assert.deepEqual(valueOf(expected), valueOf(input));
  assert.deepEqual(editsOf(kind, expected), []);
}

/** One test per case, each one `assertFormats`. */
function testFormats(cases: readonly FormatCase[]): void {
  for (const { title, kind, input, expected } of cases) {
    test(title, () => assertFormats(kind, lines(...input), lines(...expected)));
  }
}

function refusal(kind: SlayerFileKind, text: string): string {
  const result = formatSlayerYaml(kind, text);
  assert.ok('refused' in result, 'the file should be refused');
  return result.refused;
}

function editsOf(kind: SlayerFileKind, text: string): TextSpanEdit[] {
  const result = formatSlayerYaml(kind, text);
  if ('refused' in result) assert.fail(`refused: ${result.refused}`);
  return result.edits;
}

function applyEdits(text: string, edits: readonly TextSpanEdit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.newText + out.slice(edit.end);
  }
  return out;
}

function valueOf(text: string): unknown {
  const docs = parseAllDocuments(text.replace(/^\uFEFF/, ''), { uniqueKeys: true });
  assert.ok(Array.isArray(docs) && docs.length <= 1, 'one document');
  const [doc] = docs;
  assert.equal(doc?.errors.length ?? 0, 0, doc?.errors[0]?.message);
  return doc?.toJS({ maxAliasCount: 10_000 }) ?? null;
}

function commentsOf(text: string): string[] {
  const comments: string[] = [];
  for (const token of new Parser().parse(text.replace(/^\uFEFF/, ''))) {
    forEachToken(token, (t) => {
      if (t.type === 'comment') comments.push(t.source.trimEnd());
    });
  }
  return comments.sort();
}

describe("format: SLayer's key order", () => {
  const CASES: FormatCase[] = [
    {
      title: 'model keys follow SlayerModel; unknown keys come after, in their own order',
      kind: 'model',
      input: [
        'owner_team: analytics',
        'meta: {tier: 1}',
        'description: Orders.',
        'columns:',
        '  - name: id',
        'data_source: shop',
        'x_legacy: true',
        'sql_table: orders',
        'name: orders',
        'version: 7',
      ],
      expected: [
        'version: 7',
        'name: orders',
        'sql_table: orders',
        'data_source: shop',
        'columns:',
        '  - name: id',
        'description: Orders.',
        'meta:',
        '  tier: 1',
        'owner_team: analytics',
        'x_legacy: true',
      ],
    },
    {
      title: 'columns, measures, aggregations (and their params), joins and number formats have their own orders',
      kind: 'model',
      input: [
        'name: orders',
        'columns:',
        '  - type: DOUBLE',
        '    format: {symbol: €, precision: 2, type: currency}',
        '    primary_key: false',
        '    name: amount',
        '    sampled: 1 .. 9',
        '    allowed_aggregations: [sum]',
        'measures:',
        '  - label: Revenue',
        '    name: revenue',
        '    formula: amount:sum',
        'aggregations:',
        '  - formula: AVG({value})',
        '    params:',
        '      - sql: "0.1"',
        '        name: p',
        '    name: trimmed',
        'joins:',
        '  - join_type: inner',
        '    join_pairs: [[customer_id, id]]',
        '    target_model: customers',
      ],
      expected: [
        'name: orders',
        'columns:',
        '  - name: amount',
        '    type: DOUBLE',
        '    primary_key: false',
        '    format:',
        '      type: currency',
        '      precision: 2',
        '      symbol: €',
        '    allowed_aggregations: [sum]',
        '    sampled: 1 .. 9',
        'measures:',
        '  - formula: amount:sum',
        '    name: revenue',
        '    label: Revenue',
        'aggregations:',
        '  - name: trimmed',
        '    formula: AVG({value})',
        '    params:',
        '      - name: p',
        '        sql: "0.1"',
        'joins:',
        '  - target_model: customers',
        '    join_pairs: [[customer_id, id]]',
        '    join_type: inner',
      ],
    },
    {
      title: 'datasource keys follow DatasourceConfig',
      kind: 'datasource',
      input: ['password: ${PGPASSWORD}', 'type: postgres', 'x_note: kept', 'host: db', 'name: warehouse', 'port: 5432'],
      expected: [
        'name: warehouse',
        'type: postgres',
        'host: db',
        'port: 5432',
        'password: ${PGPASSWORD}',
        'x_note: kept',
      ],
    },
    {
      title: 'query keys follow SlayerQuery, down through time dimensions, column references and order items',
      kind: 'query',
      input: [
        'limit: 10',
        'order:',
        '  - direction: desc',
        '    column: revenue',
        'time_dimensions:',
        '  - granularity: month',
        '    dimension: {model: orders, name: ordered_at}',
        'dimensions: [status]',
        'measures: ["revenue:sum"]',
        'source_model: orders',
      ],
      expected: [
        'source_model: orders',
        'measures: ["revenue:sum"]',
        'dimensions: [status]',
        'time_dimensions:',
        '  - dimension:',
        '      name: ordered_at',
        '      model: orders',
        '    granularity: month',
        'order:',
        '  - column: revenue',
        '    direction: desc',
        'limit: 10',
      ],
    },
    {
      title: 'inline source models, model extensions and every stage of a query list are ordered too',
      kind: 'query',
      input: [
        '- source_model:',
        '    sql_table: t',
        '    name: inline',
        '  name: first',
        '- measures: [x:sum]',
        '  source_model:',
        '    measures:',
        '      - name: aov',
        '        formula: amount:sum / *:count',
        '    source_name: first',
      ],
      expected: [
        '- name: first',
        '  source_model:',
        '    name: inline',
        '    sql_table: t',
        '- source_model:',
        '    source_name: first',
        '    measures:',
        '      - formula: amount:sum / *:count',
        '        name: aov',
        '  measures: [x:sum]',
      ],
    },
  ];
  testFormats(CASES);
});

describe('format: comments', () => {
  const CASES: FormatCase[] = [
    {
      title: 'a comment above a key moves with the key; a comment after a value stays on its line',
      kind: 'model',
      input: [
        '# How orders reach the warehouse.',
        'data_source: shop # the sqlite file',
        '# The table, not a query.',
        'sql_table: orders',
        'name: orders',
      ],
      expected: [
        'name: orders',
        '# The table, not a query.',
        'sql_table: orders',
        '# How orders reach the warehouse.',
        'data_source: shop # the sqlite file',
      ],
    },
    {
      title: 'a header a blank line separates from the first key stays at the top; a footer stays at the end',
      kind: 'model',
      input: ['# Orders model', '# (generated, then edited)', '', 'sql_table: orders', 'name: orders', '', '# end'],
      expected: ['# Orders model', '# (generated, then edited)', '', 'name: orders', 'sql_table: orders', '', '# end'],
    },
    {
      title: 'comments inside a block stay inside it; a comment on a `key:` line stays there',
      kind: 'model',
      input: [
        'columns: # every column the table has',
        '  # the key',
        '  - name: id',
        '    type: INT',
        '    # more to come',
        '  # more columns later',
        'name: orders',
      ],
      expected: [
        'name: orders',
        'columns: # every column the table has',
        '  # the key',
        '  - name: id',
        '    type: INT',
        '    # more to come',
        '  # more columns later',
      ],
    },
    {
      title: 'a comment above a list item first key moves above its dash when that key leads the item',
      kind: 'model',
      input: ['name: orders', 'columns:', '  - type: INT', '    # the primary key', '    name: id'],
      expected: ['name: orders', 'columns:', '  # the primary key', '  - name: id', '    type: INT'],
    },
  ];
  testFormats(CASES);
});

describe('format: style', () => {
  const CASES: FormatCase[] = [
    {
      title: 'two-space indentation, lists indented under their key, one space after `:`',
      kind: 'model',
      input: ['name:     orders', 'columns:', '-   name: id', '    type:   INT', 'filters:', '    - "amount > 0"'],
      expected: ['name: orders', 'columns:', '  - name: id', '    type: INT', 'filters:', '  - "amount > 0"'],
    },
    {
      title: 'flow lists of scalars stay flow; flow mappings and lists of mappings become blocks',
      kind: 'query',
      input: [
        'source_model: orders',
        'measures: [{formula: "amount:sum", name: revenue}, "*:count"]',
        'dimensions: [status, "customers.region"]',
        'variables: {min: 10}',
      ],
      expected: [
        'source_model: orders',
        'measures:',
        '  - formula: "amount:sum"',
        '    name: revenue',
        '  - "*:count"',
        'dimensions: [status, "customers.region"]',
        'variables:',
        '  min: 10',
      ],
    },
    {
      title: 'empty flow collections and trailing commas stay as written',
      kind: 'model',
      input: ['name: orders', 'sql_table: orders', 'columns: [{name: id}, ]', 'filters: [ ]', 'meta: {}'],
      expected: ['name: orders', 'sql_table: orders', 'columns:', '  - name: id', 'filters: [ ]', 'meta: {}'],
    },
  ];
  testFormats(CASES);

  test('long strings are never folded', () => {
    const long = `description: ${'a very long description '.repeat(20).trim()}`;
    const text = lines(long, 'name: orders');
    assert.equal(formatted('model', text), lines('name: orders', long));
  });

  test('block scalars move with their key and keep their value, including kept trailing lines', () => {
    const text = lines(
      'sql: |',
      '      SELECT id',
      '        FROM orders',
      'description: |+',
      '    Orders.',
      '',
      'name: orders',
    );
    const out = formatted('model', text);
    assert.equal(
      out,
      lines('name: orders', 'sql: |', '  SELECT id', '    FROM orders', 'description: |+', '  Orders.', ''),
    );
    assert.deepEqual(valueOf(out), valueOf(text));
  });

  test('CRLF files stay CRLF and a BOM stays; edit offsets count the BOM', () => {
    const text = '\uFEFFsql_table: orders\r\nname: orders # n\r\n';
    assert.equal(formatted('model', text), '\uFEFFname: orders # n\r\nsql_table: orders\r\n');
    const edits = editsOf('model', text);
    assert.equal(applyEdits(text, edits), formatted('model', text));
  });
});

describe('format: edits', () => {
  test('an already formatted file gives no edits', () => {
    assert.deepEqual(editsOf('model', lines('name: orders', 'sql_table: orders', 'data_source: shop')), []);
    assert.deepEqual(editsOf('model', ''), []);
    assert.deepEqual(editsOf('model', '# only a comment\n'), []);
  });

  test('edits touch only the lines that move', () => {
    const body = Array.from({ length: 30 }, (_, i) => [`  - name: c${i}`, '    type: INT']).flat();
    const text = lines('name: orders', 'columns:', ...body, 'sql_table: orders');
    const edits = editsOf('model', text);
    assert.equal(edits.length, 2, 'one insertion, one deletion');
    assert.equal(edits.map((edit) => edit.newText).join(''), 'sql_table: orders\n');
    assert.equal(applyEdits(text, edits), formatted('model', text));
  });
});

describe('format: refused files are left as written', () => {
  test('YAML syntax errors, duplicate keys and second documents', () => {
    assert.match(refusal('model', lines('name: orders', 'columns: [a')), /^line \d+: /);
    assert.match(refusal('model', lines('name: orders', 'name: again')), /line 2: Map keys must be unique/);
    assert.match(refusal('model', lines('name: orders', '---', 'name: other')), /one YAML document/);
  });

  test('a flow-style root becomes a block, unless it holds comments', () => {
    assert.equal(
      formatted('query', '{measures: ["*:count"], source_model: orders}\n'),
      lines('source_model: orders', 'measures: ["*:count"]'),
    );
    assert.deepEqual(editsOf('query', lines('{measures: ["*:count"], # all rows', ' source_model: orders}')), []);
  });

  test('what the formatter cannot place exactly: explicit keys, a scalar root', () => {
    assert.match(refusal('model', lines('? name', ': orders')), /explicit key/);
    assert.match(refusal('model', lines('just a string')), /not a mapping or a list/);
  });
});

describe('format: anchors and aliases', () => {
  test('other mappings are still ordered, and an alias to an earlier anchor still resolves', () => {
    const text = lines(
      'name: orders',
      'columns:',
      '  - type: INT',
      '    name: &id id',
      'default_time_dimension: *id',
      'sql_table: orders',
    );
    const out = formatted('model', text);
    assert.equal(
      out,
      lines(
        'name: orders',
        'sql_table: orders',
        'columns:',
        '  - name: &id id',
        '    type: INT',
        'default_time_dimension: *id',
      ),
    );
    assert.deepEqual(valueOf(out), valueOf(text));
  });
});

describe('format: kept as written', () => {
  const CASES: [string, SlayerFileKind, string][] = [
    [
      'mappings outside the schema keep the author order: meta, query_variables, variables, the order shorthand',
      'query',
      lines('source_model: orders', 'variables:', '  z: 1', '  a: 2', 'order:', '  revenue: desc', '  amount: asc'),
    ],
    [
      'a scalar under its own comment stays below it',
      'model',
      lines('name: orders', 'description:', '  # shown in the catalog', '  Orders, one row each.'),
    ],
    [
      'quoting stays as written: single, double, plain, and quoted keys',
      'model',
      lines(
        "'name': 'orders'",
        'sql_table: "public.orders"',
        'measures:',
        "  - formula: '*:count'",
        '    name: "count"',
        '  - formula: amount:sum',
      ),
    ],
    [
      'a mapping whose alias would land before its anchor keeps its order',
      'model',
      lines('sql_table: &table orders', 'name: *table'),
    ],
  ];
  for (const [title, kind, text] of CASES) test(title, () => assertFormats(kind, text, text));
});

describe('format: does not fight the cache patch', () => {
  const SAMPLES: CacheUpdates = {
    column_samples: {
      status: { sampled: 'completed, returned', sampled_values: ['completed', 'returned'], distinct_count: 2 },
    },
  };

  test('a formatted model patched with samples changes only the sample keys, and stays formatted', () => {
    const model = lines(
      '# Orders.',
      'columns:',
      '  - type: TEXT # free text',
      '    name: status',
      "    description: 'Where the order is.'",
      'sql_table: orders',
      'name: orders',
      'data_source: shop',
    );
    const once = formatted('model', model);
    const patched = patchYamlText(once, SAMPLES).text;
    assertOnlyCacheChanged(once, patched, { columnsAreCache: false });
    assert.deepEqual(editsOf('model', patched), []);
    const again = patchYamlText(patched, {
      column_samples: { status: { sampled: 'placed', sampled_values: ['placed'], distinct_count: 1 } },
    }).text;
    assertOnlyCacheChanged(patched, again, { columnsAreCache: false });
    assert.deepEqual(editsOf('model', again), []);
  });

  test('a formatted query-backed model keeps its cache keys in place through the next patch', () => {
    const model = lines(
      'description: Revenue by status.',
      'source_queries:',
      '  - dimensions: [status]',
      '    source_model: orders',
      '    measures: ["amount:sum"]',
      'name: by_status',
    );
    const first: CacheUpdates = {
      columns: [columnDef('status', 'TEXT'), columnDef('amount_sum', 'DOUBLE')],
      backing_query_sql: 'SELECT status,\n  SUM(amount) AS amount_sum\nFROM orders\nGROUP BY 1',
      data_source: 'shop',
    };
    // The first patch appends the keys; formatting puts them in SLayer's order once.
    const settled = formatted('model', patchYamlText(formatted('model', model), first).text);
    const next = patchYamlText(settled, { ...first, columns: [columnDef('status', 'TEXT')] }).text;
    assertOnlyCacheChanged(settled, next, { columnsAreCache: true });
    assert.deepEqual(editsOf('model', next), []);
  });
});

describe('format: property test over generated files', () => {
  const SEEDS = 200;

  test(`${SEEDS} generated models, queries and datasources: same value, same comments, idempotent`, () => {
    let reordered = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { kind, text, reorderable } = generateFile(seed);
      const where = `seed ${seed} (${kind}):\n${text}`;
      const result = formatSlayerYaml(kind, text);
      assert.ok(!('refused' in result), `${where}\nrefused: ${'refused' in result ? result.refused : ''}`);
      const out = applyEdits(text, result.edits);
      assert.ok(isDeepStrictEqual(valueOf(out), valueOf(text)), `${where}\nchanged a value:\n${out}`);
      assert.deepEqual(commentsOf(out), commentsOf(text), `${where}\nchanged the comments:\n${out}`);
      assert.deepEqual(editsOf(kind, out), [], `${where}\nnot idempotent:\n${out}`);
      assert.equal(out.includes('\r\n'), text.includes('\r\n'), `${where}\nline breaks changed`);
      assert.equal(out.startsWith('\uFEFF'), text.startsWith('\uFEFF'), `${where}\nBOM changed`);
      if (reorderable && assertCanonicalRoot(kind, text, out)) reordered++;
    }
    assert.ok(reordered > SEEDS / 4, `only ${reordered} files had their root keys checked`);
  });
});

/** Known root keys in SLayer's order, unknown ones after them in the author's order. */
function assertCanonicalRoot(kind: SlayerFileKind, before: string, after: string): boolean {
  const value = parse(after.replace(/^\uFEFF/, '')) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const order = rootShape(kind).order;
  const keys = Object.keys(value);
  const known = keys.filter((key) => order.includes(key));
  assert.deepEqual(
    known,
    [...known].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    after,
  );
  const unknown = keys.filter((key) => !order.includes(key));
  assert.deepEqual(keys, [...known, ...unknown], after);
  const original = Object.keys(parse(before.replace(/^\uFEFF/, '')) as object).filter((key) => !order.includes(key));
  assert.deepEqual(unknown, original, after);
  return true;
}
