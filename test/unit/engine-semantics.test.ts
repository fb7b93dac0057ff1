/**
 * The engine against real data on SQLite, DuckDB and Postgres. Every
 * expected value is computed in JavaScript from the generated rows.
 */
import assert from 'node:assert/strict';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { after, before, describe, test } from 'node:test';
import type { DemoData, OrderRow } from '../../scripts/demo/data';
import { executeQuery, storedQueryOf } from '../../server/src/engine/query/execute';
import { inspectModel } from '../../server/src/engine/query/inspect';
import { StageCatalog } from '../../server/src/engine/query/stages';
import { dialectFor } from '../../server/src/engine/sql/dialect';
import type { SlayerResponse } from '../../server/src/engine/query/response';
import { StaticCatalog } from '../../server/src/engine/catalog';
import type { ModelDef, QueryDef } from '../../server/src/engine/schema/types';
import { createEngineFixture, DRIVERS, type DriverName, type EngineFixture } from '../support/engine-fixture';
import {
  assertClose,
  assertRowsMatch,
  avg,
  bucket,
  correlation,
  covariance,
  groupBy,
  numbers,
  percentile,
  sum,
  variance,
} from '../support/reference';
import { runQuery } from '../support/run-query';

let fixture: EngineFixture;
let data: DemoData;

before(
  async () => {
    fixture = await createEngineFixture();
    data = fixture.data;
  },
  { timeout: 120_000 },
);

after(async () => {
  await fixture?.cleanup();
});

const amounts = (rows: readonly OrderRow[]): number[] => rows.map((o) => o.amount);
const byStatus = (): Map<string, OrderRow[]> => groupBy(data.orders, (o) => [o.status]);
const customerOf = (o: OrderRow): DemoData['customers'][number] | undefined =>
  data.customers.find((c) => c.id === o.customer_id);

/** status -> total order count and best month revenue, over orders above `min` (the status_months model). */
function statusMonths(min: number): Map<string, Record<string, number | null>> {
  const months = groupBy(
    data.orders.filter((o) => o.amount > min),
    (o) => [o.status, bucket(o.ordered_at, 'month')],
  );
  const out = new Map<string, Record<string, number | null>>();
  for (const rows of months.values()) {
    const key = JSON.stringify([rows[0]?.status ?? null]);
    const current = out.get(key) ?? { 'per_month._count_sum': 0, 'per_month.best_month': null };
    const monthSum = sum(amounts(rows)) ?? 0;
    current['per_month._count_sum'] = (current['per_month._count_sum'] ?? 0) + rows.length;
    current['per_month.best_month'] = Math.max(current['per_month.best_month'] ?? -Infinity, monthSum);
    out.set(key, current);
  }
  return out;
}

function single(response: SlayerResponse): Record<string, unknown> {
  assert.equal(response.row_count, 1, 'one row');
  return response.data[0] ?? {};
}

/** Whether the database has median and percentile (MySQL and MariaDB have neither as an aggregate). */
const ORDERED_SET_AGGREGATES: Record<DriverName, boolean> = {
  sqlite: true,
  duckdb: true,
  postgres: true,
  mysql: false,
};

/** Where `/` of two integers is integer division; the others divide them as floats. */
const TRUNCATES_INTEGER_DIVISION: Record<DriverName, boolean> = {
  sqlite: true,
  duckdb: false,
  postgres: true,
  mysql: false,
};

for (const driver of DRIVERS) {
  describe(`engine on ${driver}`, { concurrency: false }, () => {
    const run = (query: unknown, variables?: Record<string, unknown>): Promise<SlayerResponse> =>
      runQuery(fixture.hosts[driver], query, variables ? { variables } : {});

    test('*:count and every built-in aggregation over all orders', async () => {
      const tips = numbers(data.orders.map((o) => o.tip));
      const pairs = data.orders.filter((o) => o.tip !== null).map((o) => [o.amount, o.tip as number] as const);
      const row = single(
        await run({
          source_model: 'orders',
          measures: [
            '*:count',
            'amount:sum',
            'amount:avg',
            'amount:min',
            'amount:max',
            'tip:count',
            'customer_id:count_distinct',
            ...(ORDERED_SET_AGGREGATES[driver] ? ['amount:median', 'amount:percentile(p=0.25)'] : []),
            'amount:weighted_avg(weight=subtotal)',
            'amount:stddev_samp',
            'amount:stddev_pop',
            'amount:var_samp',
            'amount:var_pop',
            'amount:corr(other=tip)',
            'amount:covar_samp(other=tip)',
            'amount:covar_pop(other=tip)',
          ],
        }),
      );
      const all = amounts(data.orders);
      assert.equal(row['orders._count'], data.orders.length);
      assertClose(row['orders.amount_sum'], sum(all), 'sum');
      assertClose(row['orders.amount_avg'], avg(all), 'avg');
      assertClose(row['orders.amount_min'], Math.min(...all), 'min');
      assertClose(row['orders.amount_max'], Math.max(...all), 'max');
      assert.equal(row['orders.tip_count'], tips.length, 'count skips NULL tips');
      assert.equal(row['orders.customer_id_count_distinct'], new Set(data.orders.map((o) => o.customer_id)).size);
      if (ORDERED_SET_AGGREGATES[driver]) {
        assertClose(row['orders.amount_median'], percentile(all, 0.5), 'median');
        assertClose(row['orders.amount_percentile_p_0_25'], percentile(all, 0.25), 'percentile');
      }
      const weighted =
        (sum(data.orders.map((o) => o.amount * o.subtotal)) ?? 0) / (sum(data.orders.map((o) => o.subtotal)) ?? 1);
      assertClose(row['orders.amount_weighted_avg_weight_subtotal'], weighted, 'weighted_avg');
      assertClose(row['orders.amount_stddev_samp'], Math.sqrt(variance(all, true) ?? 0), 'stddev_samp');
      assertClose(row['orders.amount_stddev_pop'], Math.sqrt(variance(all, false) ?? 0), 'stddev_pop');
      assertClose(row['orders.amount_var_samp'], variance(all, true), 'var_samp');
      assertClose(row['orders.amount_var_pop'], variance(all, false), 'var_pop');
      assertClose(row['orders.amount_corr_other_tip'], correlation(pairs), 'corr');
      assertClose(row['orders.amount_covar_samp_other_tip'], covariance(pairs, true), 'covar_samp');
      assertClose(row['orders.amount_covar_pop_other_tip'], covariance(pairs, false), 'covar_pop');
    });

    test(
      'median and percentile are refused before anything is sent where the database has no such aggregate',
      {
        skip: ORDERED_SET_AGGREGATES[driver],
      },
      async () => {
        for (const measure of ['amount:median', 'amount:percentile(p=0.25)']) {
          await assert.rejects(
            run({ source_model: 'orders', measures: [measure] }),
            (error: unknown) =>
              error instanceof SlayerError &&
              error.code === ErrorCode.Unsupported &&
              /is not available on MySQL or MariaDB/.test(error.message),
          );
        }
      },
    );

    test('first and last follow the default time dimension within each group', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['amount:first', 'amount:last(ordered_at)'],
      });
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of byStatus()) {
        const sorted = [...rows].sort((a, b) => a.ordered_at.localeCompare(b.ordered_at));
        expected.set(key, {
          'orders.amount_first': sorted[0]?.amount ?? null,
          'orders.amount_last_ordered_at': sorted[sorted.length - 1]?.amount ?? null,
        });
      }
      assertRowsMatch(response.data, ['orders.status'], expected, 'first/last');
    });

    test('sample statistics are NULL and population ones 0 for a single row (Postgres semantics)', async () => {
      const one = data.orders[0] as OrderRow;
      const row = single(
        await run({
          source_model: 'orders',
          measures: ['amount:stddev_samp', 'amount:var_samp', 'amount:stddev_pop', 'amount:var_pop'],
          filters: [`id = ${one.id}`],
        }),
      );
      assert.equal(row['orders.amount_stddev_samp'], null);
      assert.equal(row['orders.amount_var_samp'], null);
      assertClose(row['orders.amount_stddev_pop'], 0, 'stddev_pop');
      assertClose(row['orders.amount_var_pop'], 0, 'var_pop');
    });

    test('dimensions group, with labels and SLayer keys and attributes', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: [{ name: 'status', label: 'Order status' }],
        measures: ['*:count', 'amount:sum'],
        order: [{ column: 'amount:sum', direction: 'desc' }],
      });
      assert.deepEqual(response.columns, ['orders.status', 'orders._count', 'orders.amount_sum']);
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of byStatus())
        expected.set(key, { 'orders._count': rows.length, 'orders.amount_sum': sum(amounts(rows)) });
      assertRowsMatch(response.data, ['orders.status'], expected, 'by status');
      const sums = response.data.map((row) => row['orders.amount_sum'] as number);
      assert.deepEqual(
        sums,
        [...sums].sort((a, b) => b - a),
        'ordered by amount:sum desc',
      );
      assert.deepEqual(response.attributes.dimensions['orders.status'], { label: 'Order status' });
      assert.deepEqual(response.attributes.measures['orders._count'], { format: { type: 'integer' } });
      assert.deepEqual(response.attributes.measures['orders.amount_sum'], {
        label: 'Amount',
        format: { type: 'currency', precision: 2, symbol: '$' },
      });
    });

    for (const granularity of ['day', 'week', 'month', 'quarter', 'year'] as const) {
      test(`time dimension by ${granularity} with a date_range`, async () => {
        const [start, end] = ['2023-03-01', '2024-02-29'];
        const response = await run({
          source_model: 'orders',
          time_dimensions: [{ dimension: 'ordered_at', granularity, date_range: [start, end] }],
          measures: ['amount:sum'],
        });
        // SLayer's BETWEEN on the raw timestamp: the end day's orders after midnight fall outside.
        const inRange = data.orders.filter((o) => o.ordered_at >= start && o.ordered_at <= end);
        const expected = new Map<string, Record<string, number | null>>();
        for (const [key, rows] of groupBy(inRange, (o) => [bucket(o.ordered_at, granularity)])) {
          expected.set(key, { 'orders.amount_sum': sum(amounts(rows)) });
        }
        assertRowsMatch(response.data, ['orders.ordered_at'], expected, granularity);
      });
    }

    test('saved measures expand by name, transitively, and keep their names as keys', async () => {
      const row = single(
        await run({
          source_model: 'orders',
          measures: ['revenue', 'aov', 'aov_doubled', { formula: 'revenue / 100', name: 'hundreds' }],
        }),
      );
      const total = sum(amounts(data.orders)) ?? 0;
      assertClose(row['orders.revenue'], total, 'revenue');
      assertClose(row['orders.aov'], total / data.orders.length, 'aov');
      assertClose(row['orders.aov_doubled'], (total / data.orders.length) * 2, 'aov_doubled');
      assertClose(row['orders.hundreds'], total / 100, 'hundreds');
    });

    test('a ratio of two counts is sent as written: 0 where the database truncates integer division', async () => {
      // What the integer-division warning (division-rules.ts) tells the user, on the database itself.
      const row = single(
        await run({
          source_model: 'orders',
          measures: [
            { formula: 'customer_id:count_distinct / *:count', name: 'as_written' },
            { formula: 'customer_id:count_distinct * 1.0 / *:count', name: 'as_fraction' },
          ],
        }),
      );
      const fraction = new Set(data.orders.map((o) => o.customer_id)).size / data.orders.length;
      assert.ok(fraction > 0 && fraction < 1, 'the fixture has fewer customers than orders');
      assertClose(row['orders.as_written'], TRUNCATES_INTEGER_DIVISION[driver] ? 0 : fraction, 'as written');
      assertClose(row['orders.as_fraction'], fraction, 'as a fraction');
    });

    test('an unnamed formula is keyed by its mangled text, with ** and parentheses', async () => {
      const row = single(
        await run({ source_model: 'orders', measures: ['(amount:sum - tip:sum) / *:count', 'amount:max ** 2'] }),
      );
      const tips = sum(numbers(data.orders.map((o) => o.tip))) ?? 0;
      assertClose(
        row['orders.(amount_sum_-_tip_sum)__div___count'],
        ((sum(amounts(data.orders)) ?? 0) - tips) / data.orders.length,
        'arith',
      );
      assertClose(row['orders.amount_max__2'], Math.max(...amounts(data.orders)) ** 2, 'power');
    });

    test('a measure cycle is rejected with its chain', async () => {
      await assert.rejects(
        run({ source_model: 'looping', measures: ['a'] }),
        /Saved measure 'a' has a cyclic reference: a → b → a/,
      );
    });

    test('a filtered column aggregates only matching rows', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['completed_amount:sum'],
      });
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of byStatus()) {
        expected.set(key, {
          'orders.completed_amount_sum': rows[0]?.status === 'completed' ? sum(amounts(rows)) : null,
        });
      }
      assertRowsMatch(response.data, ['orders.status'], expected, 'filtered column');
    });

    test('custom aggregations use their defaults and query-time parameters', async () => {
      const row = single(
        await run({
          source_model: 'orders',
          measures: ['amount:trimmed_mean', 'amount:trimmed_mean(low=20, high=30)'],
        }),
      );
      const between = (low: number, high: number): number | null =>
        avg(amounts(data.orders).filter((a) => a >= low && a <= high));
      assertClose(row['orders.amount_trimmed_mean'], between(10, 60), 'defaults');
      assertClose(row['orders.amount_trimmed_mean_high_30_low_20'], between(20, 30), 'overrides');
    });

    test('derived columns inline recursively, as measures and as dimensions', async () => {
      const response = await run({ source_model: 'orders', dimensions: ['size'], measures: ['amount_with_tip:sum'] });
      const withTip = (o: OrderRow): number => o.amount + (o.tip ?? 0);
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of groupBy(data.orders, (o) => [withTip(o) >= 40 ? 'large' : 'small'])) {
        expected.set(key, { 'orders.amount_with_tip_sum': sum(rows.map(withTip)) });
      }
      assertRowsMatch(response.data, ['orders.size'], expected, 'derived');
    });

    test('filters go to WHERE or HAVING, with variables and implied joins', async () => {
      const response = await run(
        {
          source_model: 'orders',
          dimensions: ['status'],
          measures: ['*:count'],
          filters: ["customers.region = '{region}'", 'amount > {min}', '*:count > 5'],
        },
        { region: 'West', min: 20 },
      );
      const kept = data.orders.filter((o) => customerOf(o)?.region === 'West' && o.amount > 20);
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of groupBy(kept, (o) => [o.status])) {
        if (rows.length > 5) expected.set(key, { 'orders._count': rows.length });
      }
      assertRowsMatch(response.data, ['orders.status'], expected, 'filters');
      assert.match(response.sql, /LEFT JOIN customers AS customers/);
      assert.match(response.sql, /HAVING/);
    });

    test('Python-style == and scalar functions from the allowlist work in filters', async () => {
      const row = single(
        await run({ source_model: 'orders', measures: ['*:count'], filters: ["upper(status) == 'COMPLETED'"] }),
      );
      assert.equal(row['orders._count'], data.orders.filter((o) => o.status === 'completed').length);
    });

    test('multi-hop dotted dimensions join with a__b aliases; two same-named columns stay apart', async () => {
      const response = await run({
        source_model: 'order_items',
        dimensions: ['orders.customers.region', 'orders.stores.region'],
        measures: ['line_total:sum'],
      });
      assert.match(response.sql, /orders__customers/);
      assert.match(response.sql, /orders__stores/);
      const ordersById = new Map(data.orders.map((o) => [o.id, o]));
      const storesById = new Map(data.stores.map((s) => [s.id, s]));
      const customersById = new Map(data.customers.map((c) => [c.id, c]));
      const expected = new Map<string, Record<string, number | null>>();
      const keyOf = (item: DemoData['order_items'][number]): unknown[] => {
        const order = ordersById.get(item.order_id);
        return [
          customersById.get(order?.customer_id ?? -1)?.region ?? null,
          storesById.get(order?.store_id ?? -1)?.region ?? null,
        ];
      };
      for (const [key, rows] of groupBy(data.order_items, keyOf))
        expected.set(key, { 'order_items.line_total_sum': sum(rows.map((i) => i.line_total)) });
      assertRowsMatch(
        response.data,
        ['order_items.orders.customers.region', 'order_items.orders.stores.region'],
        expected,
        'multi-hop',
      );
    });

    test('a diamond (two join paths to customers) gives each path its own alias', async () => {
      const response = await run({
        source_model: 'order_items',
        dimensions: ['orders.customers.region', 'order_heads.customers.region'],
        measures: ['line_total:sum'],
      });
      assert.match(response.sql, /AS orders__customers/);
      assert.match(response.sql, /AS order_heads__customers/);
      const regionOfOrder = new Map(data.orders.map((o) => [o.id, customerOf(o)?.region ?? null]));
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of groupBy(data.order_items, (i) => [
        regionOfOrder.get(i.order_id) ?? null,
        regionOfOrder.get(i.order_id) ?? null,
      ])) {
        expected.set(key, { 'order_items.line_total_sum': sum(rows.map((i) => i.line_total)) });
      }
      assertRowsMatch(
        response.data,
        ['order_items.orders.customers.region', 'order_items.order_heads.customers.region'],
        expected,
        'diamond',
      );
    });

    test('|| concatenation in filters and round() in measures, on every dialect', async () => {
      const row = single(
        await run({
          source_model: 'orders',
          measures: ['*:count', { formula: 'round(amount:avg, 2)', name: 'avg_cents' }],
          filters: ["status || '-' || status = 'completed-completed'"],
        }),
      );
      const completed = data.orders.filter((o) => o.status === 'completed');
      assert.equal(row['orders._count'], completed.length);
      assertClose(row['orders.avg_cents'], Math.round((avg(amounts(completed)) ?? 0) * 100) / 100, 'round');
    });

    test('greatest and least skip a NULL, and concat reads a NULL as empty text, as on Postgres', async () => {
      const untipped = data.orders.filter((o) => o.tip === null);
      assert.ok(untipped.length > 0, 'the fixture has orders without a tip');
      const row = single(
        await run({
          source_model: 'orders',
          measures: [
            '*:count',
            { formula: 'greatest(tip:sum, 1)', name: 'at_least_one' },
            { formula: 'least(tip:sum, 100)', name: 'at_most_hundred' },
          ],
          // concat(status, NULL) is the status; a tip, written out, would make it longer.
          filters: ['concat(status, tip) = status'],
        }),
      );
      assert.equal(row['orders._count'], untipped.length);
      assert.equal(row['orders.at_least_one'], 1);
      assert.equal(row['orders.at_most_hundred'], 100);
    });

    test('a weighted mean over integer values and weights is a fraction, not an integer division', async () => {
      const row = single(
        await run({ source_model: 'order_items', measures: ['quantity:weighted_avg(weight=quantity)'] }),
      );
      const quantities = data.order_items.map((i) => i.quantity);
      const expected =
        quantities.reduce((total, q) => total + q * q, 0) / quantities.reduce((total, q) => total + q, 0);
      assert.ok(!Number.isInteger(expected), 'the fixture makes the exact mean a fraction');
      assertClose(row['order_items.quantity_weighted_avg_weight_quantity'], expected, 'weighted_avg');
    });

    test('a cross-model measure is computed on its own model: no fan-out double counting', async () => {
      // Orders by customer region, with the number of order items per region from the items' side:
      // joined naively, every order would be counted once per item.
      const response = await run({
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['*:count', 'customers.*:count'],
      });
      for (const row of response.data)
        assert.equal(row['orders.customers._count'], data.customers.length, 'all customers, once');
      const grouped = await run({
        source_model: 'order_items',
        dimensions: ['orders.status'],
        measures: ['*:count', 'orders.amount:sum'],
      });
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, rows] of byStatus()) {
        const ids = new Set(rows.map((o) => o.id));
        expected.set(key, {
          'order_items._count': data.order_items.filter((i) => ids.has(i.order_id)).length,
          'order_items.orders.amount_sum': sum(amounts(rows)),
        });
      }
      const withItems = new Map([...expected].filter(([, v]) => (v['order_items._count'] ?? 0) > 0));
      assertRowsMatch(grouped.data, ['order_items.orders.status'], withItems, 'cross-model');
    });

    test('a sql-backed model with model filters', async () => {
      const row = single(await run({ source_model: 'completed_orders', measures: ['*:count', 'amount:sum'] }));
      const completed = data.orders.filter((o) => o.status === 'completed');
      assert.equal(row['completed_orders._count'], completed.length);
      assertClose(row['completed_orders.amount_sum'], sum(amounts(completed)), 'sum');
    });

    test('dimension-only queries deduplicate; distinct_dimension_values: false returns raw rows', async () => {
      const distinct = await run({ source_model: 'orders', dimensions: ['status'] });
      assert.equal(distinct.row_count, new Set(data.orders.map((o) => o.status)).size);
      const raw = await run({
        source_model: 'orders',
        dimensions: ['status', 'amount'],
        filters: ['amount > 50'],
        order: [{ column: 'amount', direction: 'desc' }],
        limit: 7,
        distinct_dimension_values: false,
      });
      const top = data.orders
        .filter((o) => o.amount > 50)
        .map((o) => o.amount)
        .sort((a, b) => b - a)
        .slice(0, 7);
      assert.deepEqual(
        raw.data.map((row) => row['orders.amount']),
        top,
      );
    });

    test('order by alias, limit and offset page through groups', async () => {
      const page = await run({
        source_model: 'orders',
        dimensions: ['customer_id'],
        measures: ['amount:sum'],
        order: [
          { column: 'amount_sum', direction: 'desc' },
          { column: 'customer_id', direction: 'asc' },
        ],
        limit: 3,
        offset: 2,
      });
      const totals = [...groupBy(data.orders, (o) => o.customer_id)].map(([, rows]) => ({
        id: rows[0]?.customer_id ?? 0,
        total: sum(amounts(rows)) ?? 0,
      }));
      totals.sort((a, b) => b.total - a.total || a.id - b.id);
      assert.deepEqual(
        page.data.map((row) => row['orders.customer_id']),
        totals.slice(2, 5).map((t) => t.id),
      );
    });

    test('time values read back the same on every driver', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: ['ordered_at', 'order_date'],
        filters: [`id = ${data.orders[0]?.id ?? 0}`],
      });
      const order = data.orders[0] as OrderRow;
      assert.deepEqual(response.data, [
        { 'orders.ordered_at': order.ordered_at.replace(' ', 'T'), 'orders.order_date': order.order_date },
      ]);
    });

    test('a query-backed model runs by name through its stages, with its default variables', async () => {
      const { stages } = storedQueryOf('status_months', fixture.hosts[driver].catalog);
      const response = await executeQuery(stages, fixture.hosts[driver]);
      assert.deepEqual(response.columns, ['per_month.status', 'per_month._count_sum', 'per_month.best_month']);
      assertRowsMatch(response.data, ['per_month.status'], statusMonths(0), 'by name');
    });

    test("a query-backed model is a source_model; the outer query's variables reach its stages", async () => {
      const response = await run({
        source_model: 'status_months',
        dimensions: ['status'],
        measures: ['_count_sum:sum', 'best_month:max'],
        variables: { min: 30 },
      });
      const expected = new Map<string, Record<string, number | null>>();
      for (const [key, values] of statusMonths(30)) {
        expected.set(key, {
          'status_months._count_sum_sum': values['per_month._count_sum'] ?? null,
          'status_months.best_month_max': values['per_month.best_month'] ?? null,
        });
      }
      assertRowsMatch(response.data, ['status_months.status'], expected, 'as source');
    });

    test('runtime variables win over the query and the model defaults', async () => {
      const { stages } = storedQueryOf('status_months', fixture.hosts[driver].catalog);
      const response = await executeQuery(stages, fixture.hosts[driver], { variables: { min: 45 } });
      assertRowsMatch(response.data, ['per_month.status'], statusMonths(45), 'runtime variables');
    });

    test('a query list runs its stages in any order; the last is the root', async () => {
      const response = await run([
        { name: 'big', source_model: 'small_orders', measures: ['*:count'] },
        { name: 'small_orders', source_model: 'orders', dimensions: ['id', 'amount'], filters: ['amount < 20'] },
        { source_model: 'big', measures: ['_count:sum'] },
      ]);
      assert.deepEqual(response.data, [{ 'big._count_sum': data.orders.filter((o) => o.amount < 20).length }]);
    });

    test("a stage that reads the list's root, or a root named like a sibling, is SLayer's error", async () => {
      const sibling = { name: 'small_orders', source_model: 'orders', dimensions: ['id'] };
      await assert.rejects(
        run([
          { name: 'big', source_model: 'totals', measures: ['*:count'] },
          sibling,
          { name: 'totals', source_model: 'small_orders', measures: ['*:count'] },
        ]),
        /^SlayerError: The final entry 'totals' is the DAG root and must not be referenced by other stages\. Referenced by: \['big'\]\./,
      );
      await assert.rejects(
        run([sibling, { name: 'small_orders', source_model: 'small_orders', measures: ['*:count'] }]),
        /Stage name 'small_orders' is duplicated: the final entry shares a name with an earlier entry\./,
      );
    });

    test('the cache of a query-backed model: SLayer column names, types, labels and formats, and its backing SQL', () => {
      const host = fixture.hosts[driver];
      const model = host.catalog.getModel('status_months');
      assert.ok(model);
      const cache = new StageCatalog(host.catalog, dialectFor(driver), {}).cacheOf(model);
      assert.deepEqual(
        cache.columns.map((c) => [c.name, c.type, c.format?.type ?? null]),
        [
          ['status', 'TEXT', null],
          ['_count_sum', 'DOUBLE', 'integer'],
          ['best_month', 'DOUBLE', 'currency'],
        ],
      );
      assert.equal(cache.data_source, 'shop');
      const q = (name: string): string => dialectFor(driver).quoteIdentifier(name);
      assert.ok(
        cache.backing_query_sql.startsWith(`SELECT ${q('per_month.status')} AS ${q('status')}`),
        cache.backing_query_sql,
      );
    });

    test("inspect profiles a query-backed model through its stages, in its data source's dialect", async () => {
      const inspection = await inspectModel('status_months', fixture.hosts[driver]);
      const expected = statusMonths(0);
      assert.equal(inspection.row_count, expected.size);
      const best = [...expected.values()].map((v) => v['per_month.best_month'] ?? 0);
      const profile = inspection.columns.find((c) => c.name === 'best_month');
      assert.equal(profile?.sampled, `${Math.min(...best)} .. ${Math.max(...best)}`);
      assert.equal(inspection.source_type, 'query');
    });

    test('inspect: row count, top values of categories and ranges of numbers and times', async () => {
      const inspection = await inspectModel('customers', fixture.hosts[driver]);
      assert.equal(inspection.row_count, data.customers.length);
      const byName = new Map(inspection.columns.map((c) => [c.name, c]));
      const counts = new Map<string, number>();
      for (const c of data.customers) if (c.region !== null) counts.set(c.region, (counts.get(c.region) ?? 0) + 1);
      const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([region]) => region);
      assert.equal(byName.get('region')?.sampled, ranked.join(', '));
      assert.equal(byName.get('region')?.distinct_count, ranked.length);
      const days = data.customers.map((c) => c.signed_up_on).sort();
      assert.equal(byName.get('signed_up_on')?.sampled, `${days[0]} .. ${days[days.length - 1]}`);
      assert.equal(byName.get('id')?.sampled, null, 'primary keys are not sampled');
    });

    test('ineligible aggregations fail with SLayer wording', async () => {
      await assert.rejects(
        run({ source_model: 'orders', measures: ['status:sum'] }),
        /Aggregation 'sum' is not applicable to TEXT column 'status' in model 'orders'/,
      );
      await assert.rejects(
        run({ source_model: 'orders', measures: ['id:sum'] }),
        /not allowed for primary-key column 'id'/,
      );
      await assert.rejects(
        run({ source_model: 'orders', measures: ['tip:median'] }),
        /not allowed for column 'tip'\. Allowed: \['sum', 'avg', 'count'\]/,
      );
    });
  });
}

test('stored source_queries read top to bottom: a stage that uses a later one is rejected', () => {
  const orders = fixture.hosts.sqlite.catalog.getModel('orders');
  assert.ok(orders);
  const stage = (name: string | undefined, source: string): QueryDef => ({
    version: 3,
    ...(name ? { name } : {}),
    source_model: { kind: 'name', name: source },
    measures: [{ formula: '*:count' }],
    whole_periods_only: false,
    distinct_dimension_values: true,
  });
  const forward: ModelDef = {
    ...orders,
    name: 'forward',
    sql_table: undefined,
    source_queries: [stage('a', 'b'), stage('b', 'orders'), stage(undefined, 'a')],
  };
  const catalog = new StageCatalog(new StaticCatalog([orders, forward]), dialectFor('sqlite'), {});
  assert.throws(
    () => catalog.getModel('forward'),
    /Stage 'a' cannot reference stage 'b': forward references are not allowed\./,
  );
});
