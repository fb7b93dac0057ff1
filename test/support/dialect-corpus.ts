/**
 * The semantic corpus of the dialect check (test/unit/dialect-corpus.test.ts):
 * one query per feature the engine's semantic, transform and fidelity suites
 * pin, over the fixture's shop models (test/support/engine-fixture.ts). Each
 * is planned in every SQL-tested dialect and must mean what our DuckDB plan
 * means; so each query here must run on DuckDB.
 */

import { generateDemoData } from '../../scripts/demo/data';
import { FIXTURE_OPTIONS } from './engine-fixture';
import { keyColumnCount } from './plain-sql';
import { generateQueries } from './random-query';

/** The property test's seed; its random queries join the corpus. */
const RANDOM_SEED = 20250607;
const RANDOM_COUNT = 150;

export interface CorpusQuery {
  name: string;
  /** A SLayer query (or query list) as the CLI and the editor send it. */
  query: unknown;
  /** The query sorts by every dimension, so rows must come in the same order. */
  ordered: boolean;
  /** How many leading result columns are dimensions (rows are matched on them). */
  keyColumns: number;
}

/**
 * Rules the entries keep, so every dialect's rows can be compared with ours:
 * no division of two integer-valued measures (integer division differs by
 * engine), no limit without a total order, and no first/last over tied times
 * (the fixture's `ordered_at` values are all distinct).
 */

const month = { dimension: 'ordered_at', granularity: 'month' };
const quarter = { dimension: 'ordered_at', granularity: 'quarter' };
const year = { dimension: 'ordered_at', granularity: 'year' };

/** Each granularity, a date_range sized so the buckets stay few. */
const GRAINS: readonly { granularity: string; range: [string, string] }[] = [
  { granularity: 'year', range: ['2023-01-01', '2024-12-31'] },
  { granularity: 'quarter', range: ['2023-04-01', '2024-09-30'] },
  { granularity: 'month', range: ['2023-03-01', '2024-02-29'] },
  { granularity: 'week', range: ['2023-05-01', '2023-08-31'] },
  { granularity: 'week_sunday', range: ['2023-05-01', '2023-08-31'] },
  { granularity: 'day', range: ['2024-03-01', '2024-04-30'] },
  { granularity: 'hour', range: ['2024-05-01', '2024-06-30'] },
  { granularity: 'minute', range: ['2024-07-01', '2024-08-31'] },
  { granularity: 'second', range: ['2024-09-01', '2024-10-31'] },
];

function aggregationQueries(): CorpusQuery[] {
  return [
    {
      name: 'counting and ordering aggregations over all orders',
      query: {
        source_model: 'orders',
        measures: [
          '*:count',
          'tip:count',
          'customer_id:count_distinct',
          'customer_id:count_distinct_approx',
          'amount:min',
          'amount:max',
          'status:min',
          'ordered_at:max',
        ],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'median and percentile over all orders',
      query: {
        source_model: 'orders',
        measures: ['amount:median', 'amount:percentile(p=0.25)', 'subtotal:percentile(p=0.9)'],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'median and percentile by status',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['amount:median', 'amount:percentile(p=0.75)'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'sums, averages, weighted_avg and spreads over all orders',
      query: {
        source_model: 'orders',
        measures: [
          'amount:sum',
          'amount:avg',
          'tip:sum',
          'tip:avg',
          'amount:weighted_avg(weight=subtotal)',
          'amount:stddev_samp',
          'amount:stddev_pop',
          'amount:var_samp',
          'amount:var_pop',
        ],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'correlation and covariances with another column',
      query: {
        source_model: 'orders',
        measures: ['amount:corr(other=tip)', 'amount:covar_samp(other=tip)', 'amount:covar_pop(other=tip)'],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'statistics and custom aggregations by store',
      query: {
        source_model: 'orders',
        dimensions: ['store_id'],
        measures: [
          'amount:stddev_samp',
          'amount:var_pop',
          'subtotal:corr(other=amount)',
          'customer_id:count_distinct_approx',
          'amount:trimmed_mean(low=15, high=45)',
          'subtotal:weighted_avg(weight=amount)',
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'sample statistics are NULL and population ones 0 for a single row',
      query: {
        source_model: 'orders',
        measures: ['amount:stddev_samp', 'amount:var_samp', 'amount:stddev_pop', 'amount:var_pop'],
        filters: ['id = 1'],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'first and last follow the default time dimension within each status',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['amount:first', 'amount:last(ordered_at)'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'first and last within each month',
      query: {
        source_model: 'orders',
        time_dimensions: [month],
        measures: ['*:count', 'amount:first', 'subtotal:last'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'custom aggregation with its defaults and query-time parameters',
      query: {
        source_model: 'orders',
        measures: ['amount:trimmed_mean', 'amount:trimmed_mean(low=20, high=30)'],
      },
      ordered: false,
      keyColumns: 0,
    },
  ];
}

function dimensionQueries(): CorpusQuery[] {
  return [
    {
      name: 'a labelled dimension, ordered by a measure',
      query: {
        source_model: 'orders',
        dimensions: [{ name: 'status', label: 'Order status' }],
        measures: ['*:count', 'amount:sum'],
        order: [{ column: 'amount:sum', direction: 'desc' }],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'two dimensions ordered by both, with IN and NOT IN filters',
      query: {
        source_model: 'orders',
        dimensions: ['status', 'store_id'],
        measures: ['*:count', 'subtotal:sum'],
        filters: ["status IN ('completed', 'returned', 'pending')", 'store_id NOT IN (2, 5)'],
        order: [
          { column: 'status', direction: 'asc' },
          { column: 'store_id', direction: 'desc' },
        ],
      },
      ordered: true,
      keyColumns: 2,
    },
    {
      name: 'a dimension-only query deduplicates',
      query: { source_model: 'orders', dimensions: ['status'] },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'distinct values of two joined dimensions',
      query: {
        source_model: 'orders',
        dimensions: ['stores.city', 'customers.region'],
        order: [
          { column: 'stores.city', direction: 'asc' },
          { column: 'customers.region', direction: 'asc' },
        ],
      },
      ordered: true,
      keyColumns: 2,
    },
    {
      name: 'raw rows with distinct_dimension_values false, a limit under a total order',
      query: {
        source_model: 'orders',
        dimensions: ['id', 'status', 'amount'],
        filters: ['amount > 50'],
        order: [
          { column: 'amount', direction: 'desc' },
          { column: 'id', direction: 'asc' },
          { column: 'status', direction: 'asc' },
        ],
        limit: 7,
        distinct_dimension_values: false,
      },
      ordered: true,
      keyColumns: 3,
    },
    {
      name: 'order by alias, limit and offset page through groups',
      query: {
        source_model: 'orders',
        dimensions: ['customer_id'],
        measures: ['amount:sum'],
        order: [
          { column: 'amount_sum', direction: 'desc' },
          { column: 'customer_id', direction: 'asc' },
        ],
        limit: 3,
        offset: 2,
      },
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'time values read back as dimensions',
      query: { source_model: 'orders', dimensions: ['ordered_at', 'order_date'], filters: ['id = 1'] },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'multi-hop dotted dimensions, two same-named columns apart',
      query: {
        source_model: 'order_items',
        dimensions: ['orders.customers.region', 'orders.stores.region'],
        measures: ['line_total:sum'],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'a diamond: two join paths to customers',
      query: {
        source_model: 'order_items',
        dimensions: ['orders.customers.region', 'order_heads.customers.region'],
        measures: ['line_total:sum'],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'a product dimension with item measures',
      query: {
        source_model: 'order_items',
        dimensions: ['products.category'],
        measures: ['quantity:sum', 'line_total:sum', 'unit_price:avg', 'order_id:count_distinct'],
        order: [{ column: 'products.category', direction: 'asc' }],
      },
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'derived columns as a dimension and as a measure',
      query: { source_model: 'orders', dimensions: ['size'], measures: ['amount_with_tip:sum'] },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a filtered column aggregates only matching rows',
      query: { source_model: 'orders', dimensions: ['status'], measures: ['completed_amount:sum', 'amount:sum'] },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a ModelExtension adds a derived dimension for one query',
      query: {
        source_model: {
          source_name: 'orders',
          columns: [{ name: 'tier', sql: "CASE WHEN amount > 30 THEN 'high' ELSE 'low' END", type: 'TEXT' }],
        },
        dimensions: ['tier'],
        measures: ['*:count'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a ModelExtension adds a numeric column and a measure',
      query: {
        source_model: {
          source_name: 'orders',
          columns: [{ name: 'tax', sql: 'amount - subtotal - COALESCE(tip, 0)', type: 'DOUBLE' }],
          measures: [{ name: 'tax_total', formula: 'tax:sum' }],
        },
        dimensions: ['store_id'],
        measures: ['tax_total', 'tax:max'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'descending order puts NULLs last, so a limit keeps the same rows',
      query: {
        source_model: 'customers',
        dimensions: ['region'],
        order: [{ column: 'region', direction: 'desc' }],
        limit: 3,
      },
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'ascending order of a dimension with NULLs',
      query: {
        source_model: 'customers',
        dimensions: ['region'],
        measures: ['*:count'],
        order: [{ column: 'region', direction: 'asc' }],
      },
      ordered: true,
      keyColumns: 1,
    },
  ];
}

function timeQueries(): CorpusQuery[] {
  const ranged = GRAINS.map(({ granularity, range }) => ({
    name: `time dimension by ${granularity} with a date_range`,
    query: {
      source_model: 'orders',
      time_dimensions: [{ dimension: 'ordered_at', granularity, date_range: range }],
      measures: ['*:count', 'amount:sum'],
    },
    ordered: false,
    keyColumns: 1,
  }));
  // Year, quarter and month over all orders are the transform queries' grains.
  const open = GRAINS.filter(({ granularity }) => !['year', 'quarter', 'month'].includes(granularity)).map(
    ({ granularity }) => ({
      name: `time dimension by ${granularity} over all orders`,
      query: {
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity }],
        measures: ['amount:sum'],
        order: [{ column: 'ordered_at', direction: 'asc' }],
      },
      ordered: true,
      keyColumns: 1,
    }),
  );
  return [
    ...ranged,
    ...open,
    {
      name: 'a DATE column by month with a status dimension',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [{ dimension: 'order_date', granularity: 'month', date_range: ['2023-01-01', '2023-06-30'] }],
        measures: ['amount:sum'],
        filters: ["status = 'completed'"],
        order: [{ column: 'status', direction: 'asc' }],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'a labelled time dimension, ordered by time and limited',
      query: {
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'week', label: 'Week' }],
        measures: ['*:count'],
        order: [{ column: 'ordered_at', direction: 'desc' }],
        limit: 10,
      },
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'a time dimension of a joined model',
      query: {
        source_model: 'orders',
        time_dimensions: [{ dimension: 'customers.signed_up_on', granularity: 'year' }],
        measures: ['*:count'],
      },
      ordered: false,
      keyColumns: 1,
    },
  ];
}

function measureAndFilterQueries(): CorpusQuery[] {
  return [
    {
      name: 'saved measures expand by name, transitively',
      query: {
        source_model: 'orders',
        measures: ['revenue', 'aov', 'aov_doubled', { formula: 'revenue / 100', name: 'hundreds' }],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'unnamed formulas with arithmetic, ** and parentheses',
      query: { source_model: 'orders', measures: ['(amount:sum - tip:sum) / *:count', 'amount:max ** 2'] },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'scalar functions over aggregates in measures',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: [
          { formula: 'round(amount:avg, 2)', name: 'avg_cents' },
          { formula: 'abs(amount:min - amount:max)', name: 'spread' },
          { formula: 'coalesce(tip:sum, 0)', name: 'tips' },
          { formula: 'greatest(amount:max, 50)', name: 'at_least_fifty' },
          { formula: 'least(amount:min, 10)', name: 'at_most_ten' },
          { formula: 'floor(amount:avg)', name: 'whole_avg' },
          { formula: 'ceil(subtotal:avg)', name: 'ceiling_avg' },
          { formula: 'sqrt(amount:var_pop)', name: 'root_var' },
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'WHERE and HAVING filters with variables and an implied join',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['*:count'],
        filters: ["customers.region = '{region}'", 'amount > {min}', '*:count > 5'],
        variables: { region: 'West', min: 20 },
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: '|| concatenation in a filter and round() in a measure',
      query: {
        source_model: 'orders',
        measures: ['*:count', { formula: 'round(amount:avg, 2)', name: 'avg_cents' }],
        filters: ["status || '-' || status = 'completed-completed'"],
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'LIKE and NOT LIKE over joined text',
      query: {
        source_model: 'orders',
        dimensions: ['stores.name'],
        measures: ['*:count'],
        filters: ["customers.name LIKE '%a%'", "stores.name NOT LIKE '%Pier'"],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'LIKE is case-sensitive',
      query: { source_model: 'customers', measures: ['*:count'], filters: ["name LIKE 'e%'"] },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'IS NULL and IS NOT NULL filters',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['*:count', 'amount:sum'],
        filters: ['tip is None', 'customers.region IS NOT NULL', 'stores.region IS NOT NULL'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'OR, NOT and parentheses in a filter',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['*:count'],
        filters: ["(status = 'pending' or amount >= 60) and not (store_id = 1)", "status != 'cancelled'"],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'text scalar functions in filters',
      query: {
        source_model: 'orders',
        dimensions: ['customers.name'],
        measures: ['*:count'],
        filters: [
          "lower(customers.name) LIKE '%e%'",
          'length(customers.name) > 9',
          "substr(status, 1, 3) = 'com'",
          "upper(status) == 'COMPLETED'",
          "trim(status) = replace(status, ' ', '')",
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'numeric scalar functions in filters',
      query: {
        source_model: 'orders',
        dimensions: ['store_id'],
        measures: ['*:count'],
        filters: [
          'round(amount, 0) >= 30',
          'abs(amount - subtotal) < 10',
          'coalesce(tip, 0) > 1',
          'mod(id, 3) = 0',
          'nullif(tip, 0) IS NOT NULL',
          'floor(amount) <= 60',
          'ceil(subtotal) > 20',
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'time and date comparisons in filters',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        measures: ['*:count'],
        filters: ["ordered_at >= '2024-01-01'", "order_date < '2024-07-01'"],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'HAVING over a measure and a dimension of the query',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [month],
        measures: ['*:count'],
        filters: ["_count > 20 and status == 'completed'"],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'HAVING on a saved measure',
      query: {
        source_model: 'orders',
        dimensions: ['customer_id'],
        measures: ['revenue', '*:count'],
        filters: ['revenue > 500'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: "order by a bare 'count' and by a measure's name",
      query: {
        source_model: 'orders',
        dimensions: ['store_id'],
        measures: ['*:count', { formula: 'amount:sum', name: 'total' }],
        order: [
          { column: 'count', direction: 'asc' },
          { column: 'total', direction: 'desc' },
          { column: 'store_id', direction: 'asc' },
        ],
      },
      ordered: true,
      keyColumns: 1,
    },
  ];
}

function crossModelQueries(): CorpusQuery[] {
  return [
    {
      name: 'a cross-model count beside the source count',
      query: { source_model: 'orders', dimensions: ['status'], measures: ['*:count', 'customers.*:count'] },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a cross-model measure is computed on its own model: no fan-out',
      query: {
        source_model: 'order_items',
        dimensions: ['orders.status'],
        measures: ['*:count', 'orders.amount:sum'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a filter on a joined column of an item query',
      query: {
        source_model: 'order_items',
        dimensions: ['products.name'],
        measures: ['quantity:sum'],
        filters: ["orders.status = 'completed'", "products.category IN ('hot drink', 'cold drink')"],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a sql-backed model with a model filter',
      query: { source_model: 'completed_orders', measures: ['*:count', 'amount:sum'] },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'a one-to-many cross-model measure with its filters inside',
      query: {
        source_model: 'shoppers',
        dimensions: ['name'],
        measures: ['purchases.amount:sum'],
        filters: ["purchases.status = 'completed'", "purchases.stores.region = 'West'"],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: "a cross-model measure never multiplies the source model's own measures",
      query: { source_model: 'shoppers', measures: ['*:count', 'purchases.amount:sum', 'purchases.*:count'] },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'a cross-model measure beside a HAVING on the source count',
      query: {
        source_model: 'shoppers',
        dimensions: ['region'],
        measures: ['*:count', 'purchases.amount:sum'],
        filters: ['*:count > 0'],
        order: [{ column: 'region', direction: 'asc' }],
      },
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'a cross-model measure whose path returns to the source model',
      query: { source_model: 'purchases', dimensions: ['status'], measures: ['shoppers.purchases.id:count'] },
      ordered: false,
      keyColumns: 1,
    },
  ];
}

function transformQueries(): CorpusQuery[] {
  return [
    {
      name: 'cumsum is a running total in time order',
      query: {
        source_model: 'orders',
        time_dimensions: [month],
        measures: [{ formula: 'cumsum(amount:sum)', name: 'running' }],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'cumsum ordered by time with a limit',
      query: {
        source_model: 'orders',
        time_dimensions: [month],
        measures: ['amount:sum', { formula: 'cumsum(amount:sum)', name: 'running' }],
        order: [{ column: 'ordered_at', direction: 'asc' }],
        limit: 6,
      },
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'cumsum partitioned by a dimension',
      query: {
        source_model: 'orders',
        dimensions: ['store_id'],
        time_dimensions: [quarter],
        measures: [{ formula: 'cumsum(*:count)', name: 'running' }],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'change and change_pct per status, year over year',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [year],
        measures: [
          '*:count',
          { formula: 'change(*:count)', name: 'delta' },
          { formula: 'change_pct(amount:sum)', name: 'growth' },
        ],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'change and change_pct with an offset and a granularity',
      query: {
        source_model: 'orders',
        time_dimensions: [month],
        measures: [
          { formula: 'change(*:count, -12)', name: 'yoy_delta' },
          { formula: "change_pct(amount:sum, -1, 'year')", name: 'yoy_growth' },
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'time_shift reaches outside the date_range, by buckets and by another grain',
      query: {
        source_model: 'orders',
        time_dimensions: [{ ...month, date_range: ['2024-01-01', '2024-06-30'] }],
        measures: [
          '*:count',
          { formula: 'time_shift(*:count, -1)', name: 'previous' },
          { formula: "time_shift(*:count, -1, 'year')", name: 'year_ago' },
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'time_shift forward within a dimension',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [quarter],
        measures: [{ formula: 'time_shift(amount:sum, 2)', name: 'later' }],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'lag, lead, first and last over quarters',
      query: {
        source_model: 'orders',
        time_dimensions: [quarter],
        measures: [
          '*:count',
          { formula: 'lag(*:count, 1)', name: 'lagged' },
          { formula: 'lead(*:count, 2)', name: 'led' },
          { formula: 'first(*:count)', name: 'opening' },
          { formula: 'last(*:count)', name: 'closing' },
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'rank, dense_rank, percent_rank and ntile by store',
      query: {
        source_model: 'orders',
        dimensions: ['store_id'],
        measures: [
          'amount:sum',
          { formula: 'rank(amount:sum)', name: 'r' },
          { formula: 'dense_rank(amount:sum)', name: 'dr' },
          { formula: 'percent_rank(amount:sum)', name: 'pr' },
          { formula: 'ntile(amount:sum, n=4)', name: 'quartile' },
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'rank within a partition',
      query: {
        source_model: 'orders',
        dimensions: ['status', 'store_id'],
        measures: [{ formula: 'rank(*:count, partition_by=status)', name: 'r' }],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'dense_rank partitioned by a list of dimensions',
      query: {
        source_model: 'orders',
        dimensions: ['status', 'store_id', 'customer_id'],
        measures: [{ formula: 'dense_rank(*:count, partition_by=[status, store_id])', name: 'r' }],
      },
      ordered: false,
      keyColumns: 3,
    },
    {
      name: 'consecutive_periods counts the trailing run where the predicate holds',
      query: {
        source_model: 'orders',
        time_dimensions: [month],
        measures: ['*:count', { formula: 'consecutive_periods(*:count > 25)', name: 'run' }],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'nesting: cumsum(change(x)) and arithmetic over a transform',
      query: {
        source_model: 'orders',
        time_dimensions: [quarter],
        measures: [
          '*:count',
          { formula: 'cumsum(change(*:count))', name: 'drift' },
          { formula: 'cumsum(*:count) / 2.0', name: 'half' },
        ],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a transform in a filter against a shift',
      query: {
        source_model: 'orders',
        time_dimensions: [quarter],
        measures: ['*:count'],
        filters: ['*:count > time_shift(*:count, -1)'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a rank in a filter keeps the top groups',
      query: {
        source_model: 'orders',
        dimensions: ['customer_id'],
        measures: ['amount:sum'],
        filters: ['rank(amount:sum) <= 3'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a trailing 90-day windowed sum reaching before the range',
      query: {
        source_model: 'orders',
        time_dimensions: [{ ...month, date_range: ['2023-06-01', '2023-12-31'] }],
        measures: [{ formula: "amount:sum(window='90d')", name: 'trailing' }],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a trailing windowed average per status',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [{ ...quarter, date_range: ['2024-01-01', '2024-12-31'] }],
        measures: ['amount:avg', { formula: "amount:avg(window='1y')", name: 'trailing_year' }],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'a saved transform measure by name, in measures and as a post-filter',
      query: {
        source_model: 'orders',
        time_dimensions: [quarter],
        measures: ['revenue', 'revenue_growth'],
        filters: ['revenue_growth > 0'],
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'main_time_dimension orders the transform across two time dimensions',
      query: {
        source_model: 'orders',
        main_time_dimension: 'order_date',
        time_dimensions: [
          { dimension: 'ordered_at', granularity: 'year' },
          { dimension: 'order_date', granularity: 'month' },
        ],
        measures: ['*:count', { formula: 'cumsum(*:count)', name: 'running' }],
      },
      ordered: false,
      keyColumns: 2,
    },
    {
      name: 'change_pct over days in a date_range',
      query: {
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'day', date_range: ['2024-06-01', '2024-07-31'] }],
        measures: ['amount:sum', { formula: 'change_pct(amount:sum)', name: 'growth' }],
      },
      ordered: false,
      keyColumns: 1,
    },
  ];
}

function stageQueries(): CorpusQuery[] {
  return [
    {
      name: 'a query list runs its stages in any order; the last is the root',
      query: [
        { name: 'big', source_model: 'small_orders', measures: ['*:count'] },
        { name: 'small_orders', source_model: 'orders', dimensions: ['id', 'amount'], filters: ['amount < 20'] },
        { source_model: 'big', measures: ['_count:sum'] },
      ],
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'a query list whose root groups a monthly stage',
      query: [
        {
          name: 'monthly',
          source_model: 'orders',
          dimensions: ['status'],
          time_dimensions: [month],
          measures: ['*:count', 'amount:sum'],
        },
        {
          source_model: 'monthly',
          dimensions: ['status'],
          measures: ['amount_sum:max', 'amount_sum:avg', '_count:sum'],
          order: [{ column: 'status', direction: 'asc' }],
        },
      ],
      ordered: true,
      keyColumns: 1,
    },
    {
      name: 'a query-backed model as a source, with its default variables',
      query: { source_model: 'status_months', dimensions: ['status'], measures: ['_count_sum:sum', 'best_month:max'] },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: "a query-backed model as a source; the outer query's variables reach its stages",
      query: {
        source_model: 'status_months',
        dimensions: ['status'],
        measures: ['_count_sum:sum', 'best_month:max'],
        variables: { min: 30 },
      },
      ordered: false,
      keyColumns: 1,
    },
    {
      name: 'a query-backed model read without grouping',
      query: {
        source_model: 'status_months',
        measures: ['best_month:max', 'best_month:min', '*:count'],
        variables: { min: 45 },
      },
      ordered: false,
      keyColumns: 0,
    },
    {
      name: 'an inline query-backed model is planned through its stages',
      query: {
        source_model: {
          name: 'monthly',
          data_source: 'shop',
          source_queries: [{ source_model: 'orders', time_dimensions: [month], measures: ['*:count'] }],
        },
        measures: ['_count:max', '*:count'],
      },
      ordered: false,
      keyColumns: 0,
    },
  ];
}

/** Every allowlisted scalar function at least once, and the ones that treat NULL differently by database with a NULL. */
function functionQueries(): CorpusQuery[] {
  const byStatus = (measures: string[], filters: string[] = []): CorpusQuery => ({
    name: `functions: ${[...measures, ...filters].join(', ')}`,
    query: { source_model: 'orders', dimensions: ['status'], measures, filters },
    ordered: false,
    keyColumns: 1,
  });
  return [
    byStatus(['ln(amount:sum)', 'log10(amount:sum)', 'log2(amount:sum)', 'log(2, amount:sum)', 'log(amount:sum)']),
    byStatus(['exp(amount:avg / 100)', 'sign(amount:sum - 3000)', 'trunc(amount:avg, 1)', 'trunc(amount:avg)']),
    byStatus(['power(amount:avg, 2)', 'pow(amount:avg, 0.5)', 'ceiling(amount:avg)', 'round(amount:avg)']),
    byStatus(['ifnull(tip:sum, 0)', 'mod(*:count, 7)', '*:count % 5']),
    {
      // Some months of a status have no tip at all: greatest and least skip the NULL, as on Postgres.
      name: 'functions: greatest and least over a NULL',
      query: {
        source_model: 'orders',
        dimensions: ['status'],
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'month' }],
        measures: ['tip:sum', 'greatest(tip:sum, 1)', 'least(tip:avg, 100)', 'greatest(tip:avg, amount:avg, 5)'],
      },
      ordered: false,
      keyColumns: 2,
    },
    byStatus(['*:count'], ["instr(status, 'e') = 2"]),
    byStatus(['*:count'], ["ltrim(concat(' ', status)) = status", "rtrim(concat(status, ' ')) = status"]),
    byStatus(['*:count'], ["substring(status, 1, 3) = 'com'"]),
    byStatus(['*:count'], ["substr(status, 2) = 'ompleted'", "length(concat(status, '  ')) = 11"]),
    byStatus(['*:count'], ["status || '!' = 'completed!'"]),
    byStatus(['*:count'], ['tip IS NULL']),
  ];
}

export function corpusQueries(): CorpusQuery[] {
  return [
    ...functionQueries(),
    ...aggregationQueries(),
    ...dimensionQueries(),
    ...timeQueries(),
    ...measureAndFilterQueries(),
    ...crossModelQueries(),
    ...transformQueries(),
    ...stageQueries(),
  ];
}

/** The feature corpus and the property test's seeded random queries (the valid ones), as one list. */
export function corpusWithRandomQueries(): CorpusQuery[] {
  const data = generateDemoData(FIXTURE_OPTIONS);
  const random = generateQueries(RANDOM_SEED, RANDOM_COUNT, data)
    .filter((generated) => generated.spec.invalid === undefined)
    .map((generated) => ({
      name: `random #${generated.index}`,
      query: generated.query,
      ordered: generated.spec.order !== undefined,
      keyColumns: keyColumnCount(generated.spec),
    }));
  return [...corpusQueries(), ...random];
}
