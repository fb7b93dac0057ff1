/**
 * Transforms on real data on SQLite, DuckDB and Postgres: every expected
 * value is computed here from the generated rows, series by series.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DemoData, OrderRow } from '../../scripts/demo/data';
import type { SlayerResponse } from '../../server/src/engine/query/response';
import { createEngineFixture, DRIVERS, type EngineFixture } from '../support/engine-fixture';
import { assertClose, bucket, groupBy, sum } from '../support/reference';
import { decodeQuery, runQuery } from '../support/run-query';
import { parseDuration, wholePeriodFilters } from '../../server/src/engine/query/periods';

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

type Grain = 'month' | 'quarter' | 'year';

/** Buckets in time order with their order count and revenue, for the given rows. */
function series(rows: readonly OrderRow[], grain: Grain): { time: string; count: number; revenue: number }[] {
  return [...groupBy(rows, (o) => bucket(o.ordered_at, grain))]
    .map(([, group]) => ({
      time: bucket(group[0]?.ordered_at ?? '', grain),
      count: group.length,
      revenue: sum(group.map((o) => o.amount)) ?? 0,
    }))
    .sort((a, b) => a.time.localeCompare(b.time));
}

function shiftMonth(time: string, months: number): string {
  const date = new Date(`${time}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

function rowsByTime(response: SlayerResponse, key = 'orders.ordered_at'): Map<string, Record<string, unknown>> {
  return new Map(response.data.map((row) => [String(row[key]), row]));
}

/** SQL's NTILE: the first (n mod k) buckets hold one extra row. */
function ntile(index: number, total: number, buckets: number): number {
  const small = Math.floor(total / buckets);
  const large = total % buckets;
  const inLarge = large * (small + 1);
  return index < inLarge ? Math.floor(index / (small + 1)) + 1 : large + Math.floor((index - inLarge) / small) + 1;
}

for (const driver of DRIVERS) {
  describe(`transforms on ${driver}`, { concurrency: false }, () => {
    const run = (query: unknown): Promise<SlayerResponse> => runQuery(fixture.hosts[driver], query);
    const month = { dimension: 'ordered_at', granularity: 'month' };

    test('cumsum is a running total in time order', async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [month],
        measures: [{ formula: 'cumsum(amount:sum)', name: 'running' }],
      });
      const rows = rowsByTime(response);
      let running = 0;
      for (const point of series(data.orders, 'month')) {
        running += point.revenue;
        assertClose(rows.get(point.time)?.['orders.running'], running, `running total at ${point.time}`);
      }
    });

    test('change and change_pct are partition-safe: each status is compared with its own previous year', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'year' }],
        measures: [
          '*:count',
          { formula: 'change(*:count)', name: 'delta' },
          { formula: 'change_pct(amount:sum)', name: 'growth' },
        ],
      });
      for (const [key, rows] of groupBy(data.orders, (o) => o.status)) {
        const points = series(rows, 'year');
        for (const [i, point] of points.entries()) {
          const previous = points.find((p) => p.time === `${Number(point.time.slice(0, 4)) - 1}-01-01`);
          const row = response.data.find(
            (r) => r['orders.status'] === JSON.parse(key) && r['orders.ordered_at'] === point.time,
          );
          assert.ok(row, `row for ${key} ${point.time}`);
          assertClose(
            row['orders.delta'],
            previous ? point.count - previous.count : null,
            `delta ${key} ${point.time} (#${i})`,
          );
          assertClose(
            row['orders.growth'],
            previous ? (point.revenue - previous.revenue) / previous.revenue : null,
            `growth ${key} ${point.time}`,
          );
        }
      }
    });

    test("change and change_pct take SLayer's offset and granularity: year over year at a month grain", async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [month],
        measures: [
          { formula: 'change(*:count, -12)', name: 'yoy_delta' },
          { formula: "change_pct(amount:sum, -1, 'year')", name: 'yoy_growth' },
        ],
      });
      const points = new Map(series(data.orders, 'month').map((p) => [p.time, p]));
      assert.ok(response.row_count >= 13, 'two years of months');
      for (const row of response.data) {
        const time = String(row['orders.ordered_at']);
        const now = points.get(time);
        const before = points.get(shiftMonth(time, -12));
        assert.ok(now, time);
        assertClose(row['orders.yoy_delta'], before ? now.count - before.count : null, `delta at ${time}`);
        assertClose(
          row['orders.yoy_growth'],
          before ? (now.revenue - before.revenue) / before.revenue : null,
          `growth at ${time}`,
        );
      }
    });

    test('cumsum reads only its measure: a second argument is refused, not ignored', async () => {
      await assert.rejects(
        run({ source_model: 'orders', time_dimensions: [month], measures: ['cumsum(amount:sum, 3)'] }),
        /^SlayerError: Transform 'cumsum' takes only the measure, as in cumsum\(revenue:sum\); got 2 arguments/,
      );
    });

    test('time_shift reaches outside the date_range, by buckets and by another grain', async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [{ ...month, date_range: ['2024-01-01', '2024-06-30'] }],
        measures: [
          '*:count',
          { formula: 'time_shift(*:count, -1)', name: 'previous' },
          { formula: "time_shift(*:count, -1, 'year')", name: 'year_ago' },
        ],
      });
      // As in SLayer, the shifted lookup runs the same query with its date_range shifted too.
      const shiftedCounts = (months: number): Map<string, number> => {
        const [start, end] = [shiftMonth('2024-01-01', months), shiftMonth('2024-06-30', months)];
        const inRange = data.orders.filter((o) => o.ordered_at >= start && o.ordered_at <= end);
        return new Map(series(inRange, 'month').map((p) => [p.time, p.count]));
      };
      const [monthAgo, yearAgo] = [shiftedCounts(-1), shiftedCounts(-12)];
      assert.ok(response.row_count >= 5, 'the range holds months');
      for (const row of response.data) {
        const time = String(row['orders.ordered_at']);
        assert.equal(row['orders.previous'], monthAgo.get(shiftMonth(time, -1)) ?? null, `previous month of ${time}`);
        assert.equal(row['orders.year_ago'], yearAgo.get(shiftMonth(time, -12)) ?? null, `a year before ${time}`);
      }
      assert.notEqual(
        rowsByTime(response).get('2024-01-01')?.['orders.previous'],
        null,
        "January's previous month is December, outside the range",
      );
    });

    test('lag and lead move by rows; first and last broadcast the ends of the series', async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'quarter' }],
        measures: [
          '*:count',
          { formula: 'lag(*:count, 1)', name: 'lagged' },
          { formula: 'lead(*:count, 2)', name: 'led' },
          { formula: 'first(*:count)', name: 'opening' },
          { formula: 'last(*:count)', name: 'closing' },
        ],
      });
      const points = series(data.orders, 'quarter');
      const rows = rowsByTime(response);
      for (const [i, point] of points.entries()) {
        const row = rows.get(point.time);
        assert.equal(row?.['orders.lagged'], points[i - 1]?.count ?? null, `lag at ${point.time}`);
        assert.equal(row?.['orders.led'], points[i + 2]?.count ?? null, `lead at ${point.time}`);
        assert.equal(row?.['orders.opening'], points[0]?.count);
        assert.equal(row?.['orders.closing'], points[points.length - 1]?.count);
      }
    });

    test('the rank family orders by the measure, highest first, optionally within a partition', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: ['store_id'],
        measures: [
          'amount:sum',
          { formula: 'rank(amount:sum)', name: 'r' },
          { formula: 'dense_rank(amount:sum)', name: 'dr' },
          { formula: 'percent_rank(amount:sum)', name: 'pr' },
          { formula: 'ntile(amount:sum, n=4)', name: 'quartile' },
        ],
      });
      const totals = [...groupBy(data.orders, (o) => o.store_id)]
        .map(([, rows]) => ({ store: rows[0]?.store_id, revenue: sum(rows.map((o) => o.amount)) ?? 0 }))
        .sort((a, b) => b.revenue - a.revenue);
      for (const [i, total] of totals.entries()) {
        const row = response.data.find((r) => r['orders.store_id'] === total.store);
        assert.equal(row?.['orders.r'], i + 1);
        assert.equal(row?.['orders.dr'], i + 1);
        assertClose(row?.['orders.pr'], i / (totals.length - 1), 'percent_rank');
        assert.equal(row?.['orders.quartile'], ntile(i, totals.length, 4));
      }
      const within = await run({
        source_model: 'orders',
        dimensions: ['status', 'store_id'],
        measures: [{ formula: 'rank(*:count, partition_by=status)', name: 'r' }],
      });
      for (const [key, rows] of groupBy(data.orders, (o) => o.status)) {
        const ranked = [...groupBy(rows, (o) => o.store_id)]
          .map(([, g]) => ({ store: g[0]?.store_id, n: g.length }))
          .sort((a, b) => b.n - a.n);
        for (const entry of ranked) {
          const expected = ranked.filter((other) => other.n > entry.n).length + 1;
          const row = within.data.find(
            (r) => r['orders.status'] === JSON.parse(key) && r['orders.store_id'] === entry.store,
          );
          assert.equal(row?.['orders.r'], expected, `rank of store ${entry.store} within ${key}`);
        }
      }
    });

    test('partition_by takes a list of dimensions', async () => {
      const response = await run({
        source_model: 'orders',
        dimensions: ['status', 'store_id', 'customer_id'],
        measures: [{ formula: 'dense_rank(*:count, partition_by=[status, store_id])', name: 'r' }],
      });
      for (const [key, rows] of groupBy(data.orders, (o) => [o.status, o.store_id])) {
        const counts = [...new Set([...groupBy(rows, (o) => o.customer_id).values()].map((g) => g.length))].sort(
          (a, b) => b - a,
        );
        const [status, store] = JSON.parse(key) as [string, number];
        for (const row of response.data.filter(
          (r) => r['orders.status'] === status && r['orders.store_id'] === store,
        )) {
          const n = rows.filter((o) => o.customer_id === row['orders.customer_id']).length;
          assert.equal(row['orders.r'], counts.indexOf(n) + 1);
        }
      }
    });

    test('consecutive_periods counts the trailing run where the predicate holds', async () => {
      const threshold = 25;
      const response = await run({
        source_model: 'orders',
        time_dimensions: [month],
        measures: ['*:count', { formula: `consecutive_periods(*:count > ${threshold})`, name: 'run' }],
      });
      const rows = rowsByTime(response);
      let streak = 0;
      for (const point of series(data.orders, 'month')) {
        streak = point.count > threshold ? streak + 1 : 0;
        assert.equal(rows.get(point.time)?.['orders.run'], streak, `run at ${point.time}`);
      }
    });

    test('nesting: cumsum(change(x)) is x minus the first value; arithmetic over a transform', async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'quarter' }],
        measures: [
          '*:count',
          { formula: 'cumsum(change(*:count))', name: 'drift' },
          { formula: 'cumsum(*:count) / 2.0', name: 'half' },
        ],
      });
      const points = series(data.orders, 'quarter');
      const rows = rowsByTime(response);
      let running = 0;
      for (const [i, point] of points.entries()) {
        running += point.count;
        const row = rows.get(point.time);
        // SUM skips the first NULL change, so the first row is NULL and the rest are x - x[0].
        assertClose(
          row?.['orders.drift'],
          i === 0 ? null : point.count - (points[0]?.count ?? 0),
          `drift ${point.time}`,
        );
        assertClose(row?.['orders.half'], running / 2, `half ${point.time}`);
      }
    });

    test('transforms in filters are post-filters, alone or against a shift', async () => {
      const growing = await run({
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'quarter' }],
        measures: ['*:count'],
        filters: ['*:count > time_shift(*:count, -1)'],
      });
      const points = series(data.orders, 'quarter');
      const expected = points
        .filter((p, i) => i > 0 && p.count > (points[i - 1]?.count ?? Infinity))
        .map((p) => p.time);
      assert.deepEqual([...rowsByTime(growing).keys()].sort(), expected);
      const top = await run({
        source_model: 'orders',
        dimensions: ['customer_id'],
        measures: ['amount:sum'],
        filters: ['rank(amount:sum) <= 3'],
      });
      const best = [...groupBy(data.orders, (o) => o.customer_id)]
        .map(([, rows]) => ({ id: rows[0]?.customer_id, revenue: sum(rows.map((o) => o.amount)) ?? 0 }))
        .sort((a, b) => b.revenue - a.revenue)
        .slice(0, 3)
        .map((c) => c.id);
      assert.deepEqual(top.data.map((r) => r['orders.customer_id']).sort(), [...best].sort());
    });

    test("windowed sum: each month totals the trailing 90 days up to the month's end, reaching before the range", async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [{ ...month, date_range: ['2023-06-01', '2023-12-31'] }],
        measures: [{ formula: "amount:sum(window='90d')", name: 'trailing' }],
      });
      assert.ok(response.row_count >= 6);
      for (const row of response.data) {
        const start = String(row['orders.ordered_at']);
        const end = shiftMonth(start, 1);
        const from = new Date(Date.parse(`${end}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
        const inWindow = data.orders.filter((o) => o.ordered_at >= from && o.ordered_at < end).map((o) => o.amount);
        assertClose(row['orders.trailing'], sum(inWindow), `90 days to ${end}`);
      }
    });

    test('a ModelExtension adds a derived column for one query', async () => {
      const response = await run({
        source_model: {
          source_name: 'orders',
          columns: [{ name: 'tier', sql: "CASE WHEN amount > 30 THEN 'high' ELSE 'low' END", type: 'TEXT' }],
        },
        dimensions: ['tier'],
        measures: ['*:count'],
      });
      const high = data.orders.filter((o) => o.amount > 30).length;
      const counts = Object.fromEntries(
        response.data.map((r) => [String(r['orders.tier']), r['orders._count']] as const),
      );
      assert.deepEqual(counts, { high, low: data.orders.length - high });
    });

    test('a saved transform measure works by name, in measures and as a post-filter', async () => {
      const response = await run({
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'quarter' }],
        measures: ['revenue', 'revenue_growth'],
        filters: ['revenue_growth > 0'],
      });
      const points = series(data.orders, 'quarter');
      const growing = points.filter((p, i) => i > 0 && p.revenue > (points[i - 1]?.revenue ?? Infinity));
      assert.deepEqual(
        [...rowsByTime(response).keys()].sort(),
        growing.map((p) => p.time),
      );
      for (const point of growing) {
        const previous = points[points.indexOf(point) - 1]?.revenue ?? 0;
        assertClose(
          rowsByTime(response).get(point.time)?.['orders.revenue_growth'],
          (point.revenue - previous) / previous,
          point.time,
        );
      }
    });

    test('with two time dimensions, main_time_dimension orders the transform and only non-time dimensions partition it (SLayer)', async () => {
      const response = await run({
        source_model: 'orders',
        main_time_dimension: 'order_date',
        time_dimensions: [
          { dimension: 'ordered_at', granularity: 'year' },
          { dimension: 'order_date', granularity: 'month' },
        ],
        measures: ['*:count', { formula: 'cumsum(*:count)', name: 'running' }],
      });
      // One running total across both years: the year dimension does not reset it.
      let running = 0;
      for (const point of series(data.orders, 'month')) {
        running += point.count;
        const row = response.data.find((r) => r['orders.order_date'] === point.time);
        assert.equal(row?.['orders.running'], running, `running at ${point.time}`);
      }
    });

    test('an inline query-backed model is planned through its stages', async () => {
      const response = await run({
        source_model: {
          name: 'monthly',
          data_source: 'shop',
          source_queries: [{ source_model: 'orders', time_dimensions: [month], measures: ['*:count'] }],
        },
        measures: ['_count:max', '*:count'],
      });
      const points = series(data.orders, 'month');
      assert.deepEqual(response.data, [
        { 'monthly._count_max': Math.max(...points.map((p) => p.count)), 'monthly._count': points.length },
      ]);
    });

    test('a transform needs an unambiguous time dimension', async () => {
      await assert.rejects(
        run({ source_model: 'orders', measures: [{ formula: 'cumsum(amount:sum)', name: 'x' }] }),
        /Field 'x' \(cumsum\) requires an unambiguous time dimension/,
      );
    });
  });
}

test('whole_periods_only ends each unfiltered time dimension at the last complete period before today', () => {
  const query = decodeQuery({
    source_model: 'orders',
    time_dimensions: [
      { dimension: 'ordered_at', granularity: 'month' },
      { dimension: 'order_date', granularity: 'quarter' },
    ],
    filters: ["order_date >= '2024-01-01'"],
    measures: ['*:count'],
    whole_periods_only: true,
  })[0];
  assert.ok(query);
  // order_date already has a filter, so only ordered_at gets one; November 29 -> the end of October.
  assert.deepEqual(wholePeriodFilters(query, new Date(Date.UTC(2026, 10, 29))), ["ordered_at <= '2026-10-31'"]);
  const weekly = {
    ...query,
    filters: [],
    time_dimensions: [{ dimension: { name: 'ordered_at' }, granularity: 'week' as const }],
  };
  // Sunday November 29, 2026 is in the week of Monday the 23rd; the last whole week ended Sunday the 22nd.
  assert.deepEqual(wholePeriodFilters(weekly, new Date(Date.UTC(2026, 10, 29))), ["ordered_at <= '2026-11-22'"]);
});

test('durations: compact units parse, anything else is refused with the syntax', () => {
  assert.deepEqual(
    parseDuration('1y2m3w5d6h7min8s').map((p) => `${p.amount}${p.unit}`),
    ['1year', '2month', '3week', '5day', '6hour', '7minute', '8second'],
  );
  assert.throws(
    () => parseDuration('90 days'),
    /Invalid window duration '90 days'\. Use syntax like '1y2m3w5d6h7min8s'/,
  );
});
