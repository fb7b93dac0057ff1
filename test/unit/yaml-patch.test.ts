/**
 * The fidelity corpus of the YAML cache patch: for every kind of file a user
 * may have written (comments everywhere, CRLF, a BOM, anchors and aliases,
 * flow style, every scalar style, long lines, no trailing newline, nested
 * column items, cache keys present or missing), a patch gives the cache its
 * new values, leaves every other value equal, and changes no byte outside the
 * cache keys. Every fixture is written here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isSlayerError } from '../../shared/src/errors';
import { columnDef, type ColumnDef } from '../../server/src/engine/schema/types';
import type { CacheUpdates } from '../../server/src/storage/types';
import { patchYamlText } from '../../server/src/storage/yaml-patch';
import {
  assertOnlyCacheChanged,
  nonCacheValue,
  parseOne,
  toPlain,
  type CacheKeyOptions,
} from '../support/yaml-fidelity';

const QUERY_BACKED: CacheKeyOptions = { columnsAreCache: true };
const TABLE_BACKED: CacheKeyOptions = { columnsAreCache: false };

const column = columnDef;

const NEW_COLUMNS: ColumnDef[] = [
  column('stores__name', 'TEXT'),
  column('ordered_at_month', 'TIMESTAMP'),
  column('revenue_sum', 'DOUBLE', { label: 'Revenue: total' }),
];
const NEW_COLUMNS_PLAIN = [
  { name: 'stores__name', type: 'TEXT' },
  { name: 'ordered_at_month', type: 'TIMESTAMP' },
  { name: 'revenue_sum', type: 'DOUBLE', label: 'Revenue: total' },
];
const NEW_SQL = 'SELECT stores.name AS stores__name,\n  SUM(orders.amount) AS revenue_sum\nFROM orders\nGROUP BY 1';

const QUERY_UPDATES: CacheUpdates = {
  columns: NEW_COLUMNS,
  backing_query_sql: NEW_SQL,
  data_source: 'warehouse',
};

const SAMPLE_UPDATES: CacheUpdates = {
  column_samples: {
    id: { sampled: '1 .. 5000', sampled_values: null, distinct_count: null },
    status: {
      sampled: 'completed, returned, placed',
      sampled_values: ['completed', 'returned', 'placed'],
      distinct_count: 3,
    },
  },
};

/** A query-backed model with a comment on or between almost every line, and every cache key present. */
function commentedQueryBacked(): string {
  return [
    '# Monthly revenue per store: a query-backed model.',
    '# The cache keys below are engine-managed.',
    'version: 7  # schema version',
    'name: monthly_revenue',
    'description: "Revenue per store and month"   # double-quoted on purpose',
    'source_queries:',
    '  # one stage',
    '  - source_model: orders',
    '    dimensions: [stores.name]          # flow list',
    '    time_dimensions:',
    '      - {dimension: ordered_at, granularity: month}',
    '    measures:',
    '      - formula: revenue:sum',
    "query_variables: {region: 'West'}",
    'data_source: shop   # cached',
    'columns:            # engine-managed',
    '  # first column',
    '  - name: stores__name',
    '    type: TEXT',
    '  - name: revenue_sum   # trailing comment',
    '    type: DOUBLE',
    'backing_query_sql: |',
    '  SELECT old',
    '  FROM x',
    'filters:',
    '  - "amount > 0"  # keep me',
    'meta:',
    "  owner: 'ana'   # single-quoted",
    '  tags: [a, b]',
    '# trailing comment at the end',
    '',
  ].join('\n');
}

/** The same model before its cache was ever written: no columns, backing_query_sql or data_source. */
function queryBackedWithoutCache(): string {
  return commentedQueryBacked()
    .split('\n')
    .filter((line, i, lines) => {
      const start = lines.indexOf('data_source: shop   # cached');
      const end = lines.indexOf('filters:');
      return i < start || i >= end;
    })
    .join('\n');
}

/** A table-backed model whose columns get profiling samples. */
function tableBacked(): string {
  return [
    'name: orders',
    'sql_table: public.orders',
    'data_source: shop',
    'columns:',
    '  - name: id',
    '    type: INT',
    '    primary_key: true',
    '  - name: status  # the order status',
    '    type: TEXT',
    '    sampled: old value',
    '    distinct_count: 9',
    'measures:',
    '  - {name: aov, formula: "amount:sum / *:count"}',
    '',
  ].join('\n');
}

interface Expectation {
  options: CacheKeyOptions;
}

/** Patches, then checks: valid YAML, new cache values, equal non-cache values, only cache bytes changed, idempotent. */
function checkPatch(text: string, updates: CacheUpdates, { options }: Expectation): string {
  const result = patchYamlText(text, updates);
  assert.equal(result.changed, true, 'a patch with new values reports a change');
  parseOne(result.text);
  const after = toPlain(result.text);
  if (updates.columns) assert.deepEqual(after.columns, NEW_COLUMNS_PLAIN);
  if (updates.backing_query_sql !== undefined) assert.equal(after.backing_query_sql, updates.backing_query_sql);
  if (updates.data_source !== undefined) assert.equal(after.data_source, updates.data_source);
  for (const [name, sample] of Object.entries(updates.column_samples ?? {})) {
    const stored = (after.columns as Record<string, unknown>[]).find((c) => c.name === name);
    assert.ok(stored, `column ${name} is still there`);
    for (const [key, value] of Object.entries(sample)) assert.deepEqual(stored[key] ?? null, value, `${name}.${key}`);
  }
  assert.deepEqual(nonCacheValue(result.text, options), nonCacheValue(text, options), 'every non-cache value is equal');
  assertOnlyCacheChanged(text, result.text, options);
  const again = patchYamlText(result.text, updates);
  assert.equal(again.changed, false, 'patching the same values again changes nothing');
  assert.equal(again.text, result.text);
  return result.text;
}

describe('patchYamlText: fidelity corpus', () => {
  test('comments everywhere, cache keys present: only the cache values change, every comment stays', () => {
    const text = commentedQueryBacked();
    const out = checkPatch(text, QUERY_UPDATES, { options: QUERY_BACKED });
    for (const line of text.split('\n').filter((l) => l.includes('#') && !l.includes('cached'))) {
      if (line.trim() === '# first column' || (line.includes('trailing comment') && line.includes('revenue_sum')))
        continue;
      assert.ok(out.includes(line), `comment line kept: ${line}`);
    }
    assert.ok(out.includes('data_source: warehouse   # cached'), 'the comment after a replaced scalar stays');
    assert.ok(out.includes('columns:            # engine-managed'), 'the comment on the cache key line stays');
  });

  test('cache keys missing: they are appended after the last key, before the trailing comment', () => {
    const text = queryBackedWithoutCache();
    assert.ok(!text.includes('backing_query_sql'));
    const out = checkPatch(text, QUERY_UPDATES, { options: QUERY_BACKED });
    const lines = out.split('\n');
    assert.ok(lines.indexOf('columns:') > lines.indexOf('  tags: [a, b]'), 'new keys come after the last existing key');
    assert.ok(lines.indexOf('# trailing comment at the end') > lines.indexOf('data_source: warehouse'));
    assert.ok(
      out.includes('columns:\n  - name: stores__name\n    type: TEXT\n'),
      'block style at the file indentation',
    );
    assert.ok(out.includes('backing_query_sql: |-\n  SELECT stores.name'), 'multi-line SQL as a block scalar');
  });

  test('CRLF line endings are detected and kept, including in the new lines', () => {
    const text = commentedQueryBacked().replace(/\n/g, '\r\n');
    const out = checkPatch(text, QUERY_UPDATES, { options: QUERY_BACKED });
    assert.equal(out.split('\n').length, out.split('\r\n').length, 'every line break is CRLF');
    const missing = checkPatch(queryBackedWithoutCache().replace(/\n/g, '\r\n'), QUERY_UPDATES, {
      options: QUERY_BACKED,
    });
    assert.equal(missing.split('\n').length, missing.split('\r\n').length, 'inserted keys use CRLF too');
  });

  test('a UTF-8 BOM stays first, once', () => {
    const out = checkPatch(`\uFEFF${tableBacked()}`, SAMPLE_UPDATES, { options: TABLE_BACKED });
    assert.ok(out.startsWith('\uFEFFname: orders'));
    assert.ok(!out.slice(1).includes('\uFEFF'));
  });

  test('anchors and aliases outside the cache keep resolving to the same values', () => {
    const text = [
      'name: orders',
      'sql_table: orders',
      'meta: &owner {team: data, on_call: ana}',
      'columns:',
      '  - &idcol',
      '    name: id',
      '    type: INT',
      '    meta: *owner',
      '  - name: status',
      '    type: TEXT',
      '    meta: *owner',
      'joins:',
      '  - target_model: customers',
      '    join_pairs: [[customer_id, id]]',
      '    meta: *owner',
      '',
    ].join('\n');
    const out = checkPatch(text, SAMPLE_UPDATES, { options: TABLE_BACKED });
    assert.ok(out.includes('  - &idcol\n    name: id') && out.includes('meta: &owner {team: data, on_call: ana}'));
  });

  test('a cache value anchored and aliased elsewhere is refused with a typed error, never half-written', () => {
    const text = 'name: m\nbacking_query_sql: &sql SELECT 1\nmeta: {copy: *sql}\n';
    assert.throws(
      () => patchYamlText(text, { backing_query_sql: 'SELECT 2' }),
      (error: unknown) => isSlayerError(error) && error.code === ErrorCode.UnpatchableYaml,
    );
  });

  test('flow-style column items get `, key: value` inserted; a flow value is replaced in place', () => {
    const text = [
      'name: orders',
      'sql_table: orders',
      'columns:',
      '  - {name: id, type: INT, primary_key: true}',
      '  - {name: status, type: TEXT, sampled: old, distinct_count: 9}',
      'filters: ["status != \'test\'"]',
      '',
    ].join('\n');
    const out = checkPatch(text, SAMPLE_UPDATES, { options: TABLE_BACKED });
    assert.ok(out.includes('  - {name: id, type: INT, primary_key: true, sampled: 1 .. 5000}'));
    assert.ok(out.includes('sampled: "completed, returned, placed"'), 'a comma forces quotes inside a flow mapping');
  });

  test('a whole file in flow style gets flow values', () => {
    const text = '{name: monthly, source_queries: [{source_model: orders, measures: ["*:count"]}], data_source: shop}';
    const out = checkPatch(text, QUERY_UPDATES, { options: QUERY_BACKED });
    assert.ok(
      out.startsWith(
        '{name: monthly, source_queries: [{source_model: orders, measures: ["*:count"]}], data_source: warehouse, columns: [',
      ),
    );
    assert.ok(!out.includes('\n'), 'still one line');
  });

  test('quoted, unquoted, literal and folded scalars outside the cache keep their exact bytes', () => {
    const text = [
      'name: orders',
      "sql_table: 'public.orders'",
      'description: >',
      '  Orders placed',
      '  in the shop.',
      'sql_note: |',
      '  keep',
      '    this indentation',
      'columns:',
      '  - name: id',
      '    type: "INT"',
      "    sql: 'id'",
      '  - name: status',
      '    type: TEXT',
      '    description: |-',
      '      Last known status.',
      'filters:',
      '  - "status <> \'test\'"',
      '  - amount > 0',
      '',
    ].join('\n');
    checkPatch(text, SAMPLE_UPDATES, { options: TABLE_BACKED });
  });

  test('a block scalar as the last value of a column: samples go after it, its value unchanged', () => {
    const text = [
      'name: orders',
      'sql_table: orders',
      'columns:',
      '  - name: id',
      '    type: INT',
      '  - name: status',
      '    description: |+',
      '      kept with its blank line',
      '',
      'joins: []',
      '',
    ].join('\n');
    checkPatch(text, SAMPLE_UPDATES, { options: TABLE_BACKED });
  });

  test('long lines (over 500 characters) are neither wrapped nor touched', () => {
    const longDescription = `Orders ${'with a very long description '.repeat(25)}end`;
    const longFilter = `status IN (${Array.from({ length: 80 }, (_, i) => `'s${i}'`).join(', ')})`;
    assert.ok(longDescription.length > 500 && longFilter.length > 500);
    const text = [
      'name: monthly',
      `description: ${longDescription}`,
      'source_queries:',
      '  - source_model: orders',
      `    filters: ["${longFilter}"]`,
      'data_source: shop',
      '',
    ].join('\n');
    const longSql = `SELECT ${Array.from({ length: 60 }, (_, i) => `column_${i}`).join(', ')} FROM orders`;
    const updates = { ...QUERY_UPDATES, backing_query_sql: longSql };
    const result = patchYamlText(text, updates);
    assert.ok(result.text.includes(`backing_query_sql: ${longSql}\n`), 'a long new value stays on one line');
    assert.deepEqual(nonCacheValue(result.text, QUERY_BACKED), nonCacheValue(text, QUERY_BACKED));
    assertOnlyCacheChanged(text, result.text, QUERY_BACKED);
  });

  test('a file without a trailing newline still ends without one', () => {
    const text = tableBacked().trimEnd();
    const out = checkPatch(text, SAMPLE_UPDATES, { options: TABLE_BACKED });
    assert.ok(!out.endsWith('\n'));
    const queryOut = checkPatch(queryBackedWithoutCache().trimEnd(), QUERY_UPDATES, { options: QUERY_BACKED });
    assert.ok(!queryOut.endsWith('\n'));
  });

  test("nested column items: samples go after a nested mapping, at the column keys' indentation", () => {
    const text = [
      'name: orders',
      'sql_table: orders',
      'columns:',
      '    -   name: id',
      '        type: INT',
      '        format:',
      '            type: integer',
      '    -   name: status',
      '        type: TEXT',
      '        meta:',
      '            source:',
      '                system: erp  # nested comment',
      '                fields: [a, b]',
      '',
    ].join('\n');
    const out = checkPatch(text, SAMPLE_UPDATES, { options: TABLE_BACKED });
    assert.ok(out.includes('                fields: [a, b]\n        sampled: completed, returned, placed\n'));
    assert.ok(
      out.includes('        sampled_values:\n            - completed\n'),
      "a new list uses the file's 4-space step",
    );
  });

  test('a null sample replaces a stored value with null and adds nothing where none was stored', () => {
    const text = tableBacked();
    const result = patchYamlText(text, {
      column_samples: {
        status: { sampled: null, sampled_values: null, distinct_count: null },
        id: { sampled: null, sampled_values: null, distinct_count: null },
      },
    });
    assert.ok(result.text.includes('    sampled: null\n    distinct_count: null\n'));
    assert.ok(!result.text.includes('sampled_values'), 'absent stays absent');
    assertOnlyCacheChanged(text, result.text, TABLE_BACKED);
  });

  test('samples for a column the file does not have change nothing', () => {
    const text = tableBacked();
    const result = patchYamlText(text, {
      column_samples: { gone: { sampled: 'x', sampled_values: null, distinct_count: 1 } },
    });
    assert.deepEqual(result, { text, changed: false });
  });

  test('a refreshed columns list keeps the samples of the columns whose definition did not change', () => {
    const text = [
      'name: monthly',
      'source_queries: [{source_model: orders, dimensions: [status]}]',
      'columns:',
      '  - name: status',
      '    type: TEXT',
      '    sampled: a, b',
      '  - name: old',
      '    type: INT',
      '',
    ].join('\n');
    const result = patchYamlText(text, { columns: [column('status', 'TEXT'), column('_count', 'INT')] });
    assert.deepEqual(toPlain(result.text).columns, [
      { name: 'status', type: 'TEXT', sampled: 'a, b' },
      { name: '_count', type: 'INT' },
    ]);
  });
});

describe('the byte check used above', () => {
  test('it catches a change outside the cache keys (so a passing corpus means something)', () => {
    const text = tableBacked();
    const patched = patchYamlText(text, SAMPLE_UPDATES).text;
    assert.throws(() => assertOnlyCacheChanged(text, patched.replace('the order status', 'the status'), TABLE_BACKED));
    assert.throws(() => assertOnlyCacheChanged(text, patched.replace('public.orders', 'public.order'), TABLE_BACKED));
    assert.throws(() => assertOnlyCacheChanged(text, patched.replace('measures:', '\nmeasures:'), TABLE_BACKED));
  });
});

describe('patchYamlText: no churn and no corruption', () => {
  test('when the cache already holds the values, the text is returned identical and unchanged', () => {
    const text = commentedQueryBacked();
    const same: CacheUpdates = {
      columns: [column('stores__name', 'TEXT'), column('revenue_sum', 'DOUBLE')],
      backing_query_sql: 'SELECT old\nFROM x\n',
      data_source: 'shop',
    };
    assert.deepEqual(patchYamlText(text, same), { text, changed: false });
    const samples = tableBacked();
    assert.deepEqual(
      patchYamlText(samples, {
        column_samples: { status: { sampled: 'old value', sampled_values: null, distinct_count: 9 } },
      }),
      { text: samples, changed: false },
    );
  });

  test('explicit default flags in the file count as equal to a cache without them', () => {
    const text =
      'name: m\nsource_queries: [{source_model: o}]\ncolumns:\n  - {name: a, type: TEXT, primary_key: false, hidden: false}\n';
    assert.equal(patchYamlText(text, { columns: [column('a', 'TEXT')] }).changed, false);
  });

  for (const [what, text] of [
    ['a list', '- name: a\n- name: b\n'],
    ['a scalar', 'just text\n'],
    ['two documents', 'name: a\n---\nname: b\n'],
    ['invalid YAML', 'name: [a, b\ncolumns: x\n'],
    ['duplicate keys', 'name: a\nname: b\n'],
    ['an empty file', ''],
  ] as const) {
    test(`a file that is ${what} is refused with SLAYER_UNPATCHABLE_YAML`, () => {
      assert.throws(
        () => patchYamlText(text, QUERY_UPDATES),
        (error: unknown) => isSlayerError(error) && error.code === ErrorCode.UnpatchableYaml,
      );
    });
  }
});
