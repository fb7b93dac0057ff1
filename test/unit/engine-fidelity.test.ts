/**
 * Answers that used to be wrong without an error. Each case runs on SQLite,
 * DuckDB and Postgres against a few hand-written rows, and every expected
 * value is worked out by hand in the comments next to the rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SlayerError } from '../../shared/src/errors';
import type { SlayerResponse } from '../../server/src/engine/query/response';
import { columnDef as column, modelDef, type JoinDef, type ModelDef } from '../../server/src/engine/schema/types';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { DRIVERS } from '../support/engine-fixture';
import { runQuery } from '../support/run-query';
import { createTinyDatabases, type TinyDatabases } from '../support/tiny-db';

/*
 * policy 1 (P1): amounts 100 and 200, both with a premium row, role PH -> 300
 * policy 2 (P2): amounts 300 and 400, only 300 has a premium row, role PH -> 300
 * policy 3 (P3): amount 500 with a premium row, role AG -> filtered out by the PH filter
 * Without filters: P1 300, P2 700, P3 500.
 *
 * sales, by month: January: completed 10 and 20, returned 5; February: completed 7, returned 8 and 9.
 */
const STATEMENTS = [
  'CREATE TABLE policy (policy_identifier INTEGER PRIMARY KEY, policy_number TEXT)',
  'CREATE TABLE policy_amount (policy_amount_identifier INTEGER PRIMARY KEY, policy_identifier INTEGER, policy_amount DOUBLE PRECISION)',
  'CREATE TABLE premium (policy_amount_identifier INTEGER PRIMARY KEY)',
  'CREATE TABLE agreement_party_role (agreement_identifier INTEGER, party_role_code TEXT)',
  "INSERT INTO policy VALUES (1, 'P1'), (2, 'P2'), (3, 'P3')",
  'INSERT INTO policy_amount VALUES (10, 1, 100), (11, 1, 200), (20, 2, 300), (21, 2, 400), (30, 3, 500)',
  'INSERT INTO premium VALUES (10), (11), (20), (30)',
  "INSERT INTO agreement_party_role VALUES (1, 'PH'), (2, 'PH'), (3, 'AG')",
  'CREATE TABLE sales (id INTEGER PRIMARY KEY, sold_on DATE, status TEXT, amount DOUBLE PRECISION)',
  "INSERT INTO sales VALUES (1, '2024-01-05', 'completed', 10), (2, '2024-01-20', 'completed', 20), " +
    "(3, '2024-01-25', 'returned', 5), (4, '2024-02-03', 'completed', 7), (5, '2024-02-10', 'returned', 8), " +
    "(6, '2024-02-11', 'returned', 9)",
  // codes: the numbers 10, 9 and 7 held as text after a letter; as text, '9' is the largest.
  'CREATE TABLE codes (id INTEGER PRIMARY KEY, code TEXT)',
  "INSERT INTO codes VALUES (1, 'A10'), (2, 'A9'), (3, 'A7')",
  // orders -> customers -> orders again, through each customer's first order.
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT)',
  "INSERT INTO orders VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'a')",
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, first_order_id INTEGER)',
  'INSERT INTO customers VALUES (1, 1), (2, 3)',
  // labels: 'apple', 'Avocado', 'banana' and one NULL.
  'CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT)',
  "INSERT INTO tags VALUES (1, 'apple'), (2, 'Avocado'), (3, 'banana'), (4, NULL)",
];

interface PolicyVariant {
  /** policy_amount declares its own join back to policy, as in SLayer's test of this query. */
  joinBack: boolean;
  /** policy.policy_identifier is declared the primary key. */
  policyKey: boolean;
  premiumJoin: JoinDef['join_type'];
}

function join(target: string, pairs: [string, string][], type: JoinDef['join_type'] = 'inner'): JoinDef {
  return { target_model: target, join_pairs: pairs, join_type: type };
}

function table(name: string, fields: Partial<ModelDef>): ModelDef {
  return modelDef(name, { data_source: 'db', sql_table: name, ...fields });
}

function policyModels(variant: PolicyVariant): ModelDef[] {
  return [
    table('policy', {
      columns: [
        column('policy_identifier', 'INT', variant.policyKey ? { primary_key: true } : {}),
        column('policy_number', 'TEXT'),
      ],
      joins: [
        join('policy_amount', [['policy_identifier', 'policy_identifier']]),
        join('agreement_party_role', [['policy_identifier', 'agreement_identifier']]),
      ],
    }),
    table('policy_amount', {
      columns: [
        column('policy_amount_identifier', 'INT', { primary_key: true }),
        column('policy_identifier', 'INT'),
        column('total_policy_amount', 'DOUBLE', { sql: 'policy_amount' }),
      ],
      joins: [
        ...(variant.joinBack ? [join('policy', [['policy_identifier', 'policy_identifier']])] : []),
        join('premium', [['policy_amount_identifier', 'policy_amount_identifier']], variant.premiumJoin),
        join('agreement_party_role', [['policy_identifier', 'agreement_identifier']]),
      ],
    }),
    table('premium', {
      columns: [
        column('policy_amount_identifier', 'INT', { primary_key: true }),
        // A constant: whether a premium row exists is decided by the join alone.
        column('has_premium', 'TEXT', { sql: '1' }),
      ],
    }),
    table('agreement_party_role', {
      columns: [column('agreement_identifier', 'INT', { primary_key: true }), column('party_role_code', 'TEXT')],
    }),
    table('tags', { columns: [column('id', 'INT', { primary_key: true }), column('label', 'TEXT')] }),
    table('codes', {
      columns: [column('id', 'INT', { primary_key: true }), column('num', 'DOUBLE', { sql: 'substr(code, 2)' })],
    }),
    table('sales', {
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('sold_on', 'DATE'),
        column('status', 'TEXT'),
        column('amount', 'DOUBLE'),
      ],
    }),
  ];
}

const ISSUE_QUERY = {
  source_model: 'policy',
  measures: ['policy_amount.total_policy_amount:sum'],
  dimensions: ['policy_number'],
  filters: ["agreement_party_role.party_role_code = 'PH'", 'policy_amount.premium.has_premium = 1'],
};

const MEASURE_KEY = 'policy.policy_amount.total_policy_amount_sum';

function byPolicy(response: SlayerResponse): Record<string, unknown> {
  return Object.fromEntries(response.data.map((row) => [String(row['policy.policy_number']), row[MEASURE_KEY]]));
}

async function rejects(work: Promise<unknown>, pattern: RegExp): Promise<SlayerError> {
  let caught: unknown;
  await work.then(
    () => undefined,
    (error: unknown) => {
      caught = error;
    },
  );
  assert.ok(caught instanceof SlayerError, `expected a SlayerError matching ${pattern}, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

let databases: TinyDatabases;

before(
  async () => {
    databases = await createTinyDatabases(STATEMENTS);
  },
  { timeout: 120_000 },
);

after(async () => {
  await databases?.cleanup();
});

const SLAYER_SETUP: PolicyVariant = { joinBack: true, policyKey: true, premiumJoin: 'inner' };

for (const driver of DRIVERS) {
  describe(`fidelity on ${driver}`, { concurrency: false }, () => {
    const run = (query: unknown, variant: PolicyVariant = SLAYER_SETUP): Promise<SlayerResponse> =>
      runQuery(databases.host(driver, policyModels(variant)), query);

    test('a measure reached through a one-to-many join is computed per outer dimension, its filters inside', async () => {
      assert.deepEqual(byPolicy(await run(ISSUE_QUERY)), { P1: 300, P2: 300 });
      const unfiltered = await run({ ...ISSUE_QUERY, filters: [] });
      assert.deepEqual(byPolicy(unfiltered), { P1: 300, P2: 700, P3: 500 });
    });

    test('without a declared join back, the key-preserving reverse of the join is used', async () => {
      const variant = { ...SLAYER_SETUP, joinBack: false };
      assert.deepEqual(byPolicy(await run(ISSUE_QUERY, variant)), { P1: 300, P2: 300 });
      assert.deepEqual(byPolicy(await run({ ...ISSUE_QUERY, filters: [] }, variant)), { P1: 300, P2: 700, P3: 500 });
    });

    test('a constant column of a LEFT-joined model is NULL where the join found no row, so its filter holds', async () => {
      const variant = { ...SLAYER_SETUP, premiumJoin: 'left' as const };
      assert.deepEqual(byPolicy(await run(ISSUE_QUERY, variant)), { P1: 300, P2: 300 });
      const premiums = await run(
        { source_model: 'policy_amount', measures: ['*:count'], filters: ['premium.has_premium = 1'] },
        variant,
      );
      assert.equal(premiums.data[0]?.['policy_amount._count'], 4, 'amount 21 has no premium row');
    });

    test('a filter the cross-model sub-query cannot reach is an error naming it, never dropped', async () => {
      // No join back and no primary key to prove the reversed join safe: policy_number is out of reach.
      const variant = { ...SLAYER_SETUP, joinBack: false, policyKey: false };
      const error = await rejects(
        run({ ...ISSUE_QUERY, filters: ["policy_number <> 'P3'"] }, variant),
        /^Filter 'policy_number <> 'P3'' cannot be applied to the cross-model measure 'policy_amount\.total_policy_amount:sum': 'policy_number' is not reachable from model 'policy_amount'/,
      );
      assert.match(error.message, /\n {2}policy_number <> 'P3'\n {2}\^{13}$/, 'a caret under the reference');
    });

    test('a cross-model measure whose path returns to the source model is grouped by its own columns, not broadcast', async () => {
      const models = [
        table('orders', {
          columns: [column('id', 'INT', { primary_key: true }), column('customer_id', 'INT'), column('status', 'TEXT')],
          joins: [join('customers', [['customer_id', 'id']], 'left')],
        }),
        table('customers', {
          columns: [column('id', 'INT', { primary_key: true }), column('first_order_id', 'INT')],
          joins: [join('orders', [['first_order_id', 'id']], 'left')],
        }),
      ];
      const response = await runQuery(databases.host(driver, models), {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['customers.orders.id:count'],
      });
      // SLayer re-roots the measure at `orders` and reads `status` there: orders 1 and 3 are 'a', order 2 is 'b'.
      // Before, one ungrouped total (3) was CROSS JOINed onto both statuses.
      const byStatus: Record<string, unknown> = Object.fromEntries(
        response.data.map((row) => [String(row['orders.status']), row['orders.customers.orders.id_count']]),
      );
      assert.deepEqual(byStatus, { a: 2, b: 1 });
    });

    test("order by a bare 'count' is *:count's _count, and by a measure's name its column, as SLayer resolves them", async () => {
      // Amount rows per policy: 1 has two (100 + 200), 2 has two (300 + 400), 3 has one (500).
      const counted = await run({
        source_model: 'policy_amount',
        dimensions: ['policy_identifier'],
        measures: ['*:count', { formula: 'total_policy_amount:sum', name: 'total' }],
        order: [
          { column: 'count', direction: 'asc' },
          { column: 'total', direction: 'desc' },
        ],
      });
      assert.deepEqual(
        counted.data.map((row) => [row['policy_amount.policy_identifier'], row['policy_amount._count']]),
        [
          [3, 1],
          [2, 2],
          [1, 2],
        ],
      );
    });

    test('an expression column is cast to its declared type (DEV-1361), so a DOUBLE made from text compares as a number', async () => {
      // As text, max('10', '9', '7') is '9'; as numbers it is 10, and the sum is 26.
      const response = await run({ source_model: 'codes', measures: ['num:max', 'num:sum'] });
      assert.deepEqual(response.data, [{ 'codes.num_max': 10, 'codes.num_sum': 26 }]);
    });

    test('a measure named like a column is refused: its result column would hide the dimension of that name', async () => {
      // Before: SELECT sales."status" AS "sales.status", COUNT(*) AS "sales.status" returned each count twice, no status.
      await rejects(
        run({ source_model: 'sales', dimensions: ['status'], measures: [{ formula: '*:count', name: 'status' }] }),
        /^Query measure name 'status' collides with a source column on model 'sales'\. Pick a different name/,
      );
    });

    test("a cross-model measure's join never multiplies the source model's own measures", async () => {
      // Three policies; joining their five amounts into the main query would count five.
      const response = await run({
        source_model: 'policy',
        measures: ['*:count', 'policy_amount.total_policy_amount:sum'],
      });
      assert.deepEqual(response.data, [{ 'policy._count': 3, [MEASURE_KEY]: 1500 }]);
      const perPolicy = await run({
        source_model: 'policy',
        dimensions: ['policy_number'],
        measures: ['*:count', 'policy_amount.total_policy_amount:sum'],
        filters: ['*:count > 0'],
        order: [{ column: 'policy_number', direction: 'asc' }],
      });
      assert.deepEqual(
        perPolicy.data.map((row) => [row['policy.policy_number'], row['policy._count'], row[MEASURE_KEY]]),
        [
          ['P1', 1, 300],
          ['P2', 1, 700],
          ['P3', 1, 500],
        ],
      );
    });

    test('descending order puts NULLs last on every database, so a limit keeps the same rows', async () => {
      const response = await run({
        source_model: 'tags',
        dimensions: ['label'],
        order: [{ column: 'label', direction: 'desc' }],
        limit: 2,
      });
      assert.deepEqual(
        response.data.map((row) => row['tags.label']),
        ['banana', 'apple'],
      );
    });

    test('LIKE is case-sensitive on every database, SQLite included', async () => {
      const response = await run({ source_model: 'tags', measures: ['*:count'], filters: ["label LIKE 'a%'"] });
      assert.equal(response.data[0]?.['tags._count'], 1, "only 'apple'; 'Avocado' starts with a capital");
    });

    test("HAVING that reads a column outside the dimensions is SLayer's error, with a caret", async () => {
      const filter = "_count > 1 and status == 'completed'";
      const error = await rejects(
        run({
          source_model: 'sales',
          measures: ['*:count'],
          time_dimensions: [{ dimension: 'sold_on', granularity: 'month' }],
          filters: [filter],
        }),
        /^Filter '_count > 1 and status == 'completed'' references measure and dimension 'status', but 'status' is not in the query's dimensions or time_dimensions\. Add it to dimensions\/time_dimensions or split into separate filters\./,
      );
      assert.match(error.message, /\n {2}_count > 1 and status == 'completed'\n {17}\^{6}$/);
    });

    test('HAVING over a measure and a dimension of the query filters the groups', async () => {
      const response = await run({
        source_model: 'sales',
        measures: ['*:count'],
        dimensions: ['status'],
        time_dimensions: [{ dimension: 'sold_on', granularity: 'month' }],
        filters: ["_count > 1 and status == 'completed'"],
      });
      // completed/January has two sales; returned/February has two but is not completed.
      assert.deepEqual(
        response.data.map((row) => [row['sales.status'], row['sales.sold_on'], row['sales._count']]),
        [['completed', '2024-01-01', 2]],
      );
    });

    test('a scalar function over a bare column is SLayer\'s "Bare measure name" error, the fix suggested', async () => {
      const error = await rejects(
        run({ source_model: 'sales', measures: ['round(amount, 2)'] }),
        /^Bare measure name 'amount' is not valid\. Use colon syntax[^\n]*\n {2}in measure: round\(amount, 2\)\n {20}\^{6}$/,
      );
      assert.equal(error.suggestion, 'round(amount:sum, 2)');
    });

    test('a grouped query cannot be ordered by a column outside its dimensions', async () => {
      await rejects(
        run({
          source_model: 'sales',
          measures: ['*:count'],
          dimensions: ['status'],
          order: [{ column: 'amount', direction: 'desc' }],
        }),
        /^Order 'amount' references column 'amount', which is not in the query's dimensions or time_dimensions/,
      );
    });
  });
}

describe('a model whose file did not decode', () => {
  test('is refused by the engine instead of run without what decoding dropped', async () => {
    // The column's filter is a list, not a string: decoding drops it, which would count every sale.
    const text = [
      'name: sales',
      'sql_table: sales',
      'data_source: db',
      'columns:',
      '  - {name: id, type: INT, primary_key: true}',
      '  - name: completed_amount',
      '    sql: amount',
      '    type: DOUBLE',
      "    filter: [status = 'completed']",
    ].join('\n');
    const parsed = parseSlayerDocument('model', text, { warnOnUnknownFields: true });
    assert.ok(parsed.model, 'the model still decodes, for the editor');
    const host = databases.host('sqlite', [parsed.model]);
    await rejects(
      runQuery(host, { source_model: 'sales', measures: ['completed_amount:sum'] }),
      /^Model 'sales' has errors in its file, so a query on it could silently lose part of its definition: .*\(line 9\)/,
    );
  });
});

describe('labels in the response attributes, as SLayer enriches them', () => {
  const labelled = [
    table('policy_amount', {
      columns: [column('policy_amount_identifier', 'INT', { primary_key: true }), column('policy_identifier', 'INT')],
      joins: [join('policy', [['policy_identifier', 'policy_identifier']])],
    }),
    table('policy', {
      columns: [
        column('policy_identifier', 'INT', { primary_key: true }),
        column('policy_number', 'TEXT', { label: 'Policy no.' }),
      ],
    }),
    table('sales', {
      columns: [
        column('id', 'INT', { primary_key: true }),
        column('sold_on', 'DATE', { label: 'Sold on' }),
        column('amount', 'DOUBLE', { label: 'Amount' }),
      ],
      measures: [
        { name: 'total', formula: 'amount:sum', label: 'Total sales' },
        { name: 'plain_total', formula: 'amount:sum' },
      ],
    }),
  ];

  test("a saved measure takes its own label, else its column's; the query's own label wins over both", async () => {
    const host = databases.host('sqlite', labelled);
    const response = await runQuery(host, {
      source_model: 'sales',
      measures: ['total', 'plain_total', { formula: 'total', name: 'renamed', label: 'Revenue' }],
    });
    assert.equal(response.attributes.measures['sales.total']?.label, 'Total sales');
    assert.equal(response.attributes.measures['sales.plain_total']?.label, 'Amount');
    assert.equal(response.attributes.measures['sales.renamed']?.label, 'Revenue');
  });

  test("a joined dimension takes its column's label; a time dimension falls back to its column's", async () => {
    const host = databases.host('sqlite', labelled);
    const byPolicy = await runQuery(host, {
      source_model: 'policy_amount',
      dimensions: ['policy.policy_number'],
      measures: ['*:count'],
    });
    assert.deepEqual(byPolicy.attributes.dimensions['policy_amount.policy.policy_number'], { label: 'Policy no.' });
    const byMonth = await runQuery(host, {
      source_model: 'sales',
      time_dimensions: [{ dimension: 'sold_on', granularity: 'month' }],
      measures: ['*:count'],
    });
    assert.deepEqual(byMonth.attributes.dimensions['sales.sold_on'], { label: 'Sold on' });
    const renamed = await runQuery(host, {
      source_model: 'sales',
      time_dimensions: [{ dimension: 'sold_on', granularity: 'month', label: 'Month' }],
      measures: ['*:count'],
    });
    assert.deepEqual(renamed.attributes.dimensions['sales.sold_on'], { label: 'Month' }, "the query's own label wins");
  });
});
