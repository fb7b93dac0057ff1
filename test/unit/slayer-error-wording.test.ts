/**
 * Issue 11, "Error wording": where SLayer raises an error for a mistake, our
 * message starts with SLayer's words; our position and suggestion come after.
 *
 * Each case is a mistake written here as a query (or a model file) and the
 * start of SLayer's message for it, anchored at ^: the whole message starts
 * with SLayer's words, and which formula failed (with its caret) follows on
 * the next lines. Queries are planned as dry runs: no data.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { executeQuery, storedQueryOf, type EngineHost } from '../../server/src/engine/query/execute';
import type { DatasourceDef, ModelDef } from '../../server/src/engine/schema/types';
import { checkText, yaml } from '../support/check';
import { decodeQuery } from '../support/run-query';

const ORDERS = yaml(
  'name: orders',
  'sql_table: orders',
  'data_source: shop',
  'default_time_dimension: ordered_at',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: customer_id, type: INT}',
  '  - {name: store_id, type: INT}',
  '  - {name: ordered_at, type: TIMESTAMP}',
  '  - {name: order_date, type: DATE}',
  '  - {name: status, type: TEXT, allowed_aggregations: [count, count_distinct]}',
  '  - {name: amount, type: DOUBLE}',
  '  - {name: tip, type: DOUBLE, allowed_aggregations: [sum, avg, count]}',
  'measures:',
  '  - {name: revenue, formula: "amount:sum"}',
  'aggregations:',
  '  - name: trimmed_mean',
  '    formula: "AVG(CASE WHEN {value} BETWEEN {low} AND {high} THEN {value} END)"',
  '    params: [{name: low, sql: "10"}, {name: high, sql: "60"}]',
  'joins:',
  '  - {target_model: customers, join_pairs: [[customer_id, id]]}',
  '  - {target_model: stores, join_pairs: [[store_id, id]]}',
);

const MODELS = [
  ORDERS,
  yaml(
    'name: customers',
    'sql_table: customers',
    'data_source: shop',
    'columns:',
    '  - {name: id, type: INT, primary_key: true}',
    '  - {name: name, type: TEXT}',
    '  - {name: region, type: TEXT}',
  ),
  yaml('name: stores', 'sql_table: stores', 'data_source: shop', 'columns:', '  - {name: id, type: INT}'),
  // Two time columns and no default_time_dimension: nothing picks the time of a transform.
  yaml(
    'name: events',
    'sql_table: orders',
    'data_source: shop',
    'columns:',
    '  - {name: amount, type: DOUBLE}',
    '  - {name: ordered_at, type: TIMESTAMP}',
    '  - {name: order_date, type: DATE}',
  ),
  // No time column at all.
  yaml(
    'name: tally',
    'sql_table: orders',
    'data_source: shop',
    'columns:',
    '  - {name: amount, type: DOUBLE}',
    '  - {name: status, type: TEXT}',
  ),
  yaml(
    'name: looping',
    'sql_table: orders',
    'data_source: shop',
    'columns:',
    '  - {name: amount, type: DOUBLE}',
    'measures:',
    '  - {name: a, formula: "b + amount:sum"}',
    '  - {name: b, formula: "a * 2"}',
  ),
  yaml(
    'name: knotted',
    'sql_table: orders',
    'data_source: shop',
    'columns:',
    '  - {name: left_side, type: DOUBLE, sql: right_side + 1}',
    '  - {name: right_side, type: DOUBLE, sql: left_side - 1}',
  ),
  yaml(
    'name: forward',
    'data_source: shop',
    'source_queries:',
    '  - {name: first_stage, source_model: second_stage, measures: ["*:count"]}',
    '  - {name: second_stage, source_model: orders, measures: ["*:count"]}',
    '  - {source_model: first_stage, measures: ["_count:sum"]}',
  ),
  yaml('name: ping', 'data_source: shop', 'source_queries:', '  - {source_model: pong, measures: ["*:count"]}'),
  yaml('name: pong', 'data_source: shop', 'source_queries:', '  - {source_model: ping, measures: ["*:count"]}'),
  yaml('name: stranded', 'sql_table: orders', 'data_source: nowhere', 'columns:', '  - {name: amount, type: DOUBLE}'),
];

function decodeModel(text: string): ModelDef {
  const model = parseSlayerDocument('model', text, { warnOnUnknownFields: true }).model;
  assert.ok(model, 'the fixture model decodes');
  return model;
}

function datasource(name: string): DatasourceDef {
  return { version: 2, name, type: 'sqlite', database: `${name}.db` };
}

function hostOf(models: readonly ModelDef[], datasources: readonly DatasourceDef[]): EngineHost {
  return {
    catalog: new StaticCatalog(models, datasources),
    openDriver: () => {
      throw new Error('dry runs open no database');
    },
  };
}

const SHOP = hostOf(MODELS.map(decodeModel), [datasource('shop')]);
/** The same model name in two data sources, and no priority.yaml to choose. */
const TWINS = hostOf(
  ['a', 'b'].map((ds) => decodeModel(ORDERS.replace('data_source: shop', `data_source: ${ds}`))),
  ['a', 'b'].map(datasource),
);

const EVENTS_BY_TWO_TIMES = [
  { dimension: 'ordered_at', granularity: 'month' },
  { dimension: 'order_date', granularity: 'month' },
];
const BY_MONTH = [{ dimension: 'ordered_at', granularity: 'month' }];

interface EngineCase {
  mistake: string;
  /** The start of SLayer's message for this mistake. */
  slayer: RegExp;
  query?: unknown;
  host?: EngineHost;
  /** Runs something other than a dry-run query. */
  run?: () => unknown;
}

const ENGINE_CASES: EngineCase[] = [
  // --- models, columns, aggregations ---
  {
    mistake: 'unknown source model',
    query: { source_model: 'ordrs', measures: ['*:count'] },
    slayer: /^Model 'ordrs' not found/,
  },
  {
    mistake: 'a model the only name of which two data sources share',
    query: { source_model: 'orders', measures: ['*:count'] },
    host: TWINS,
    slayer:
      /^Model 'orders' exists in multiple datasources: \['a', 'b'\]\. Specify a data_source or set a datasource priority to disambiguate/,
  },
  {
    mistake: 'a data source that does not exist',
    query: { source_model: 'stranded', measures: ['amount:sum'] },
    slayer: /^Datasource 'nowhere' not found for model 'stranded'/,
  },
  {
    mistake: 'unknown column in an aggregation',
    query: { source_model: 'orders', measures: ['amout:sum'] },
    slayer: /^Column 'amout' not found in model 'orders'/,
  },
  {
    mistake: 'unknown column of a joined model in an aggregation',
    query: { source_model: 'orders', measures: ['customers.regin:count'] },
    slayer: /^Column 'regin' not found in model 'customers'/,
  },
  {
    mistake: 'a join path the model does not have',
    query: { source_model: 'orders', measures: ['products.name:count'] },
    slayer: /^Model 'orders' has no join to 'products'\. Available joins: \['customers', 'stores'\]/,
  },
  {
    mistake: 'unknown aggregation',
    query: { source_model: 'orders', measures: ['amount:summ'] },
    slayer: /^Unknown aggregation 'summ'\./,
  },
  {
    mistake: '* aggregated by something else than count',
    query: { source_model: 'orders', measures: ['*:sum'] },
    slayer: /^Aggregation 'sum' not allowed with measure '\*' — use '\*:count' for COUNT\(\*\)/,
  },
  {
    mistake: 'summing a primary key',
    query: { source_model: 'orders', measures: ['id:sum'] },
    slayer: /^Aggregation 'sum' not allowed for primary-key column 'id'\. Allowed: /,
  },
  {
    mistake: 'an aggregation the column does not allow',
    query: { source_model: 'orders', measures: ['tip:max'] },
    slayer: /^Aggregation 'max' not allowed for column 'tip'\. Allowed: \['sum', 'avg', 'count'\]/,
  },
  {
    mistake: 'an aggregation the column type does not allow',
    query: { source_model: 'customers', measures: ['name:sum'] },
    slayer: /^Aggregation 'sum' is not applicable to TEXT column 'name' in model 'customers'\. Default aggregations: /,
  },
  {
    mistake: 'percentile without p',
    query: { source_model: 'orders', measures: ['amount:percentile'] },
    slayer:
      /^Aggregation 'percentile' requires parameter 'p'\. Set it in the model's aggregation definition or at query time/,
  },
  {
    mistake: 'percentile p out of range',
    query: { source_model: 'orders', measures: ['amount:percentile(p=2)'] },
    slayer: /^Aggregation 'percentile' parameter 'p' must be in \[0, 1\]; got 2/,
  },
  {
    mistake: 'percentile p not a number',
    query: { source_model: 'orders', measures: ["amount:percentile(p='half')"] },
    slayer: /^Aggregation 'percentile' parameter 'p' must be a numeric literal in \[0, 1\]; got 'half'/,
  },
  {
    mistake: 'a custom aggregation parameter that is SQL, not a column or number',
    query: { source_model: 'orders', measures: ["amount:trimmed_mean(low='1 OR 1')"] },
    slayer: /^Unsafe value '1 OR 1' for parameter 'low' in aggregation 'trimmed_mean'\./,
  },
  // --- measure formulas ---
  {
    mistake: 'a bare unknown name as a measure',
    query: { source_model: 'orders', measures: ['amount_total'] },
    slayer: /^Bare measure name 'amount_total' is not valid\. Use colon syntax/,
  },
  {
    mistake: 'a bare column in measure arithmetic',
    query: { source_model: 'orders', measures: ['amount / *:count'] },
    slayer: /^Bare measure name 'amount' is not valid\./,
  },
  {
    mistake: 'a misspelled saved measure in measure arithmetic',
    query: { source_model: 'orders', measures: ['revenu / *:count'] },
    slayer: /^Bare measure name 'revenu' is not valid/,
  },
  {
    mistake: 'a joined column without an aggregation',
    query: { source_model: 'orders', measures: ['customers.region / *:count'] },
    slayer: /^Cross-model measure 'customers\.region' must include an aggregation \(e\.g\., 'customers\.region:sum'\)/,
  },
  {
    mistake: 'measure formula syntax',
    query: { source_model: 'orders', measures: ['amount:sum +'] },
    slayer: /^Invalid formula syntax: 'amount:sum \+' — /,
  },
  {
    mistake: 'unknown function in a measure',
    query: { source_model: 'orders', measures: ['median_of(amount:sum)'] },
    slayer: /^Unknown function 'median_of' in formula 'median_of\(amount:sum\)'\. Supported scalar functions: /,
  },
  {
    mistake: 'keyword arguments to a scalar function',
    query: { source_model: 'orders', measures: ['round(amount:sum, ndigits=1)'] },
    slayer: /^'round' does not accept keyword arguments\. Formula: 'round\(amount:sum, ndigits=1\)'/,
  },
  {
    mistake: 'saved measures that expand into each other',
    query: { source_model: 'looping', measures: ['a'] },
    slayer: /^Saved measure 'a' has a cyclic reference: a → b → a/,
  },
  {
    mistake: 'two measures named alike',
    query: {
      source_model: 'orders',
      measures: [
        { formula: 'amount:sum', name: 'total' },
        { formula: 'amount:avg', name: 'total' },
      ],
    },
    slayer:
      /^Measure 'amount:avg' and measure 'amount:sum' both declare name 'total'\. Two distinct aggregates would otherwise be silently merged into one column\./,
  },
  {
    mistake: 'one aggregate asked for twice',
    query: { source_model: 'orders', measures: ['amount:sum', 'amount:sum'] },
    slayer: /^Measure 'amount:sum' and measure 'amount:sum' both surface as 'orders\.amount_sum'\./,
  },
  // --- transforms ---
  {
    mistake: 'a transform with nothing to transform',
    query: { source_model: 'orders', measures: ['cumsum()'], time_dimensions: BY_MONTH },
    slayer: /^Transform 'cumsum' requires at least one argument \(the measure\)/,
  },
  {
    mistake: 'ntile without n',
    query: { source_model: 'orders', measures: ['ntile(amount:sum)'], dimensions: ['status'] },
    slayer: /^Transform 'ntile' requires keyword argument 'n' \(positive integer\) in formula 'ntile\(amount:sum\)'/,
  },
  {
    mistake: 'ntile with n = 0',
    query: { source_model: 'orders', measures: ['ntile(amount:sum, n=0)'], dimensions: ['status'] },
    slayer: /^Transform 'ntile': n must be a positive integer, got 0 in formula 'ntile\(amount:sum, n=0\)'/,
  },
  {
    mistake: 'partition_by a column the query does not group by',
    query: { source_model: 'orders', measures: ['rank(amount:sum, partition_by=store_id)'], dimensions: ['status'] },
    slayer:
      /^Transform 'rank': partition_by column 'store_id' is not a query dimension\. Add it to dimensions\/time_dimensions, or choose one of: /,
  },
  {
    mistake: 'a time transform with two time dimensions and nothing choosing one',
    query: { source_model: 'events', measures: ['cumsum(amount:sum)'], time_dimensions: EVENTS_BY_TWO_TIMES },
    slayer:
      /^Field '[^']+' \(cumsum\) requires an unambiguous time dimension\. Add a single time_dimensions entry, or set main_time_dimension/,
  },
  {
    mistake: 'time_shift around time_shift',
    query: {
      source_model: 'orders',
      measures: ['time_shift(time_shift(amount:sum, -1), -1)'],
      time_dimensions: BY_MONTH,
    },
    slayer: /^Nesting 'time_shift' around 'time_shift' is not supported\. Both use self-join CTEs\./,
  },
  {
    mistake: 'change around time_shift',
    query: { source_model: 'orders', measures: ['change(time_shift(amount:sum, -1))'], time_dimensions: BY_MONTH },
    slayer: /^Nesting 'change' around 'time_shift' is not supported\. Both use self-join CTEs\./,
  },
  // --- transform arguments: one SLayer would not read is refused, never silently dropped ---
  {
    mistake: 'a rank with a positional argument after the measure',
    query: { source_model: 'orders', measures: ['rank(amount:sum, 2)'], dimensions: ['status'] },
    slayer:
      /^Transform 'rank' does not accept positional arguments beyond the measure; use keyword args \(e\.g\. partition_by=, n=\)\. Formula: 'rank\(amount:sum, 2\)'/,
  },
  {
    mistake: 'a keyword argument on a transform that takes none',
    query: { source_model: 'orders', measures: ['lag(amount:sum, n=2)'], time_dimensions: BY_MONTH },
    slayer: /^Transform 'lag' does not accept keyword arguments; got 'n=' in formula 'lag\(amount:sum, n=2\)'/,
  },
  {
    mistake: 'a keyword argument the rank family does not know',
    query: { source_model: 'orders', measures: ['rank(amount:sum, partiton_by=status)'], dimensions: ['status'] },
    slayer:
      /^Transform 'rank' does not accept keyword 'partiton_by'\. Accepted kwargs: partition_by\. Formula: 'rank\(amount:sum, partiton_by=status\)'/,
  },
  {
    mistake: 'an empty partition_by list',
    query: { source_model: 'orders', measures: ['rank(amount:sum, partition_by=[])'], dimensions: ['status'] },
    slayer:
      /^Transform 'rank': partition_by must reference at least one column in formula 'rank\(amount:sum, partition_by=\[\]\)'/,
  },
  // --- windowed and first/last aggregations ---
  {
    mistake: 'a window of zero days',
    query: { source_model: 'orders', measures: ["amount:sum(window='0d')"], time_dimensions: BY_MONTH },
    slayer: /^Window duration parts must be positive in '0d'/,
  },
  {
    mistake: 'a window on an aggregation other than sum or avg',
    query: { source_model: 'orders', measures: ["amount:max(window='30d')"], time_dimensions: BY_MONTH },
    slayer: /^Aggregation parameter 'window' is only supported for sum and avg, not 'max'\./,
  },
  {
    mistake: 'a window with two time dimensions and nothing choosing one',
    query: { source_model: 'events', measures: ["amount:sum(window='30d')"], time_dimensions: EVENTS_BY_TWO_TIMES },
    slayer: /^Windowed aggregation 'amount:sum' requires an unambiguous time dimension\./,
  },
  {
    mistake: 'a window that is not a duration',
    query: { source_model: 'orders', measures: ["amount:sum(window='30 days')"], time_dimensions: BY_MONTH },
    slayer: /^Invalid window duration '30 days'\. Use syntax like '1y2m3w5d6h7min8s'/,
  },
  {
    mistake: ':last on a model without a time column',
    query: { source_model: 'tally', measures: ['amount:last'], dimensions: ['status'] },
    slayer:
      /^Aggregation 'last' on measure 'amount' requires a time column\. Add a time dimension, use an explicit arg \(e\.g\., 'amount:last\(time_col\)'\), or set default_time_dimension on the model\./,
  },
  // --- dimensions and order ---
  {
    mistake: 'one column as a dimension and a time dimension',
    query: { source_model: 'orders', dimensions: ['ordered_at'], time_dimensions: BY_MONTH, measures: ['*:count'] },
    slayer:
      /^Column 'orders\.ordered_at' appears in both `dimensions` and `time_dimensions` — ambiguous projection\. Use one or the other\./,
  },
  {
    mistake: 'ordering a grouped query by a joined column it does not project',
    query: {
      source_model: 'orders',
      measures: ['*:count'],
      dimensions: ['status'],
      order: [{ column: 'customers.name', direction: 'asc' }],
    },
    slayer:
      /^ORDER BY column 'customers\.name' cannot be resolved: it is not a projected field, a base column, or a column on a join that is in scope\./,
  },
  {
    mistake: 'derived columns that read each other',
    query: { source_model: 'knotted', dimensions: ['left_side'], measures: ['*:count'] },
    slayer: /^Circular column reference detected: /,
  },
  // --- filters ---
  {
    mistake: 'filter syntax',
    query: { source_model: 'orders', measures: ['*:count'], filters: ['amount >'] },
    slayer: /^Invalid filter syntax: 'amount >' — /,
  },
  {
    mistake: 'a misspelled column in a filter',
    query: { source_model: 'orders', measures: ['*:count'], filters: ["stauts = 'completed'"] },
    slayer: /^Filter references unknown name 'stauts' on model 'orders'\. It is not a Column, a ModelMeasure/,
  },
  {
    mistake: 'a misspelled saved measure in a filter',
    query: { source_model: 'orders', measures: ['*:count'], dimensions: ['status'], filters: ['revenu > 10'] },
    slayer: /^Filter references unknown name 'revenu' on model 'orders'\./,
  },
  {
    mistake: 'a filter through a join the model does not have',
    query: { source_model: 'orders', measures: ['*:count'], filters: ["custmers.region = 'north'"] },
    slayer: /^Filter 'custmers\.region' references model 'custmers' but it is not in joins for source model 'orders'\./,
  },
  {
    mistake: 'a filter on a column the joined model does not have',
    query: { source_model: 'orders', measures: ['*:count'], filters: ["customers.regin = 'north'"] },
    slayer:
      /^Filter 'customers\.regin' references column 'regin' on 'customers', which doesn't resolve to a known column on the joined model\./,
  },
  {
    mistake: 'a filter on a measure and an ungrouped column',
    query: {
      source_model: 'orders',
      measures: ['*:count'],
      dimensions: ['status'],
      filters: ['amount:sum > 10 and store_id = 1'],
    },
    slayer:
      /^Filter 'amount:sum > 10 and store_id = 1' references measure and dimension 'store_id', but 'store_id' is not in the query's dimensions or time_dimensions\./,
  },
  {
    mistake: 'unknown function in a filter',
    query: { source_model: 'orders', measures: ['*:count'], filters: ['squash(amount) > 1'] },
    slayer: /^Unknown filter function 'squash' in: 'squash\(amount\) > 1'/,
  },
  {
    mistake: 'a chained comparison in a filter',
    query: { source_model: 'orders', measures: ['*:count'], filters: ['10 < amount < 50'] },
    slayer: /^Chained comparisons \(e\.g\. `a < b < c`\) are not supported in DSL filters/,
  },
  {
    mistake: 'a measure in a raw-rows filter',
    query: {
      source_model: 'orders',
      dimensions: ['status'],
      filters: ['amount:sum > 1'],
      distinct_dimension_values: false,
    },
    slayer: /^distinct_dimension_values: false rejects measure references\. Filter 'amount:sum > 1' /,
  },
  // --- variables ---
  {
    mistake: 'an undefined variable',
    query: { source_model: 'orders', measures: ['*:count'], filters: ['status = {wanted}'] },
    slayer: /^Undefined variable 'wanted' in filter: 'status = \{wanted\}'\. Available variables: \[\]/,
  },
  {
    mistake: 'an invalid variable name',
    query: { source_model: 'orders', measures: ['*:count'], filters: ['status = {2nd}'] },
    slayer:
      /^Invalid variable name '2nd' in filter: 'status = \{2nd\}'\. Variable names must contain only letters, digits, and underscores\./,
  },
  {
    mistake: 'a variable that is a list',
    query: {
      source_model: 'orders',
      measures: ['*:count'],
      filters: ['status = {wanted}'],
      variables: { wanted: [1] },
    },
    slayer: /^Variable 'wanted' must be a string or number, got /,
  },
  // --- query lists and query-backed models ---
  {
    mistake: 'an unnamed stage before the last',
    query: [
      { source_model: 'orders', measures: ['*:count'], dimensions: ['status'] },
      { source_model: 'orders', measures: ['*:count'] },
    ],
    slayer: /^Every non-final entry in a query list must have a 'name' \(siblings reference each other by name\)\./,
  },
  {
    mistake: 'two stages named alike',
    query: [
      { name: 'counted', source_model: 'orders', measures: ['*:count'] },
      { name: 'counted', source_model: 'orders', measures: ['*:count'] },
      { source_model: 'counted', measures: ['_count:sum'] },
    ],
    slayer: /^Duplicate stage name 'counted' in query list\./,
  },
  {
    mistake: 'the final entry named like an earlier stage',
    query: [
      { name: 'counted', source_model: 'orders', measures: ['*:count'] },
      { name: 'counted', source_model: 'counted', measures: ['_count:sum'] },
    ],
    slayer: /^Stage name 'counted' is duplicated: the final entry shares a name with an earlier entry\./,
  },
  {
    mistake: 'a stage reading itself',
    query: [
      { name: 'counted', source_model: 'counted', measures: ['*:count'] },
      { source_model: 'counted', measures: ['_count:sum'] },
    ],
    slayer: /^Stage 'counted' references itself — self-references are not allowed\./,
  },
  {
    mistake: 'a stage reading the final entry',
    query: [
      { name: 'early', source_model: 'root', measures: ['*:count'] },
      { name: 'root', source_model: 'orders', measures: ['*:count'] },
    ],
    slayer:
      /^The final entry 'root' is the DAG root and must not be referenced by other stages\. Referenced by: \['early'\]\./,
  },
  {
    mistake: 'stages reading each other',
    query: [
      { name: 'ying', source_model: 'yang', measures: ['_count:sum'] },
      { name: 'yang', source_model: 'ying', measures: ['_count:sum'] },
      { source_model: 'ying', measures: ['_count_sum:sum'] },
    ],
    slayer:
      /^Cycle in query list: stages \['yang', 'ying'\] form a cyclic dependency\. The reference graph must be acyclic/,
  },
  {
    mistake: 'a stored stage reading a stage below it',
    query: { source_model: 'forward', measures: ['_count_sum:sum'] },
    slayer: /^Stage 'first_stage' cannot reference stage 'second_stage': forward references are not allowed\./,
  },
  {
    mistake: 'query-backed models reading each other',
    query: { source_model: 'ping', measures: ['_count:sum'] },
    slayer: /^Circular reference detected: '(ping|pong)' references itself/,
  },
  {
    mistake: 'running a table model by name',
    run: () => storedQueryOf('customers', SHOP.catalog),
    slayer: /^Model 'customers' is not query-backed; pass a SlayerQuery with source_model='customers'/,
  },
];

async function messageOf(c: EngineCase): Promise<string> {
  try {
    if (c.run) c.run();
    else await executeQuery(decodeQuery(c.query), c.host ?? SHOP, { dryRun: true });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  assert.fail(`${c.mistake}: expected an error`);
}

describe("engine errors start with SLayer's words", () => {
  for (const c of ENGINE_CASES) {
    test(c.mistake, async () => {
      assert.match(await messageOf(c), c.slayer);
    });
  }
});

/** Mistakes the query decoder catches before the engine runs: one problem, in SLayer's words. */
const DECODE_CASES: { mistake: string; query: unknown; slayer: RegExp }[] = [
  {
    mistake: 'an order direction that is not one',
    query: { source_model: 'orders', measures: ['*:count'], order: [{ column: 'count', direction: 'up' }] },
    slayer: /^order direction must be one of asc\/desc\/ascending\/descending \(case-insensitive\), got 'up'/,
  },
  {
    mistake: 'measures in a raw-rows query',
    query: { source_model: 'orders', measures: ['*:count'], dimensions: ['status'], distinct_dimension_values: false },
    slayer: /^distinct_dimension_values: false requires an empty `measures` field, but 1 measure\(s\) were supplied\./,
  },
  {
    mistake: 'a raw-rows query with nothing to select',
    query: { source_model: 'orders', distinct_dimension_values: false },
    slayer:
      /^distinct_dimension_values: false requires at least one of `dimensions` or `time_dimensions` to be non-empty/,
  },
  {
    mistake: 'a dimension name that is not an identifier',
    query: { source_model: 'orders', dimensions: ['2nd_status'] },
    slayer:
      /^Invalid name '2nd_status': must contain only letters, digits, and underscores, and start with a letter or underscore/,
  },
  {
    mistake: 'a join path that is not identifiers',
    query: { source_model: 'orders', dimensions: ['cust-omers.name'] },
    slayer: /^Invalid model path 'cust-omers': each part must contain only letters, digits, and underscores/,
  },
];

describe("query decoding errors start with SLayer's words", () => {
  for (const c of DECODE_CASES) {
    test(c.mistake, () => {
      const parsed = parseSlayerDocument('query', JSON.stringify(c.query), { warnOnUnknownFields: true });
      const errors = parsed.parseProblems.filter((p) => p.severity === 'error').map((p) => p.message);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0] ?? '', c.slayer);
    });
  }
});

/** Mistakes in a model file, reported by the checker in SLayer's words. */
const MODEL_CASES: { mistake: string; replace: [string, string]; extra?: string[]; slayer: RegExp }[] = [
  {
    mistake: 'a measure named like a transform',
    replace: ['{name: revenue, formula: "amount:sum"}', '{name: cumsum, formula: "amount:sum"}'],
    slayer: /^ModelMeasure name 'cumsum' is a reserved transform name\. Reserved: /,
  },
  {
    mistake: 'an aggregation named like a transform',
    replace: ['- name: trimmed_mean', '- name: lag'],
    slayer: /^Aggregation name 'lag' conflicts with a built-in transform function\. Reserved names: /,
  },
  {
    mistake: 'a custom aggregation without a formula',
    replace: ['    formula: "AVG(CASE WHEN {value} BETWEEN {low} AND {high} THEN {value} END)"\n', ''],
    slayer: /^Aggregation 'trimmed_mean' is not a built-in aggregation; a 'formula' is required/,
  },
  {
    mistake: 'two columns named alike',
    replace: ['{name: order_date, type: DATE}', '{name: amount, type: DATE}'],
    slayer: /^Model 'orders': duplicate column names: \['amount'\]\. Each column name must be unique within a model\./,
  },
  {
    mistake: 'two measures named alike',
    replace: [
      '- {name: revenue, formula: "amount:sum"}',
      '- {name: revenue, formula: "amount:sum"}\n  - {name: revenue, formula: "tip:sum"}',
    ],
    slayer: /^Model 'orders': duplicate measure names: \['revenue'\]\./,
  },
  {
    mistake: 'a measure named like a column',
    replace: ['{name: revenue, formula: "amount:sum"}', '{name: tip, formula: "amount:sum"}'],
    slayer: /^Model 'orders': name collision between columns and measures: \['tip'\]\./,
  },
  {
    mistake: 'a measure without a name',
    replace: ['{name: revenue, formula: "amount:sum"}', '{formula: "amount:sum"}'],
    slayer: /^Model 'orders': every ModelMeasure in 'measures' must have a name\. Unnamed formulas: \['amount:sum'\]\./,
  },
  {
    mistake: 'allowed_aggregations naming no aggregation',
    replace: ['allowed_aggregations: [sum, avg, count]', 'allowed_aggregations: [sum, avg, counts]'],
    slayer:
      /^Column 'tip': allowed_aggregations contains 'counts', which is not a built-in aggregation or defined in this model's aggregations\./,
  },
  {
    mistake: 'allowed_aggregations summing a primary key',
    replace: [
      '{name: id, type: INT, primary_key: true}',
      '{name: id, type: INT, primary_key: true, allowed_aggregations: [sum]}',
    ],
    slayer: /^Column 'id': 'sum' is not allowed on a primary-key column\. PK columns can only be aggregated with /,
  },
  {
    mistake: 'allowed_aggregations the column type forbids',
    replace: ['allowed_aggregations: [count, count_distinct]', 'allowed_aggregations: [count, avg]'],
    slayer:
      /^Column 'status': aggregation 'avg' is not applicable to TEXT columns\. allowed_aggregations must be a subset/,
  },
  {
    mistake: 'saved measures that expand into each other',
    replace: [
      '{name: revenue, formula: "amount:sum"}',
      '{name: revenue, formula: "net * 2"}\n  - {name: net, formula: "revenue - 1"}',
    ],
    slayer: /^Saved measure '(revenue|net)' has a cyclic reference: /,
  },
  {
    mistake: 'a data source that does not exist',
    replace: ['data_source: shop', 'data_source: nowhere'],
    slayer: /^Datasource 'nowhere' not found for model 'orders'/,
  },
  {
    mistake: 'a misspelled column in a saved measure',
    replace: ['{name: revenue, formula: "amount:sum"}', '{name: revenue, formula: "amout:sum"}'],
    slayer: /^Column 'amout' not found in model 'orders'/,
  },
];

const OTHER_FILES = {
  models: MODELS.slice(1, 3),
  datasources: [yaml('name: shop', 'type: sqlite', 'database: shop.db')],
};

describe("model file problems start with SLayer's words", () => {
  test('the unbroken model has no problem', () => {
    assert.deepEqual(
      checkText('model', ORDERS, OTHER_FILES).problems.map((p) => p.message),
      [],
    );
  });
  for (const c of MODEL_CASES) {
    test(c.mistake, () => {
      assert.ok(ORDERS.includes(c.replace[0]), `the fixture contains ${c.replace[0]}`);
      const checked = checkText('model', ORDERS.replace(c.replace[0], c.replace[1]), OTHER_FILES);
      const messages = checked.problems.filter((p) => p.severity === 'error').map((p) => p.message);
      assert.ok(
        messages.some((message) => c.slayer.test(message)),
        `no error starts with ${String(c.slayer)}:\n${messages.join('\n')}`,
      );
    });
  }
});

/** Stages of a query-backed model, checked in the file: SLayer's words for source_queries. */
describe("source_queries problems start with SLayer's words", () => {
  const stages = (...lines: string[]): string =>
    yaml('name: staged', 'data_source: shop', 'source_queries:', ...lines.map((line) => `  - ${line}`));
  const cases: { mistake: string; text: string; slayer: RegExp }[] = [
    {
      mistake: 'an unnamed stage before the last',
      text: stages('{source_model: orders, measures: ["*:count"]}', '{source_model: orders, measures: ["*:count"]}'),
      slayer: /^Model 'staged': non-final stage at index 0 in source_queries must have a 'name'\./,
    },
    {
      mistake: 'two stages named alike',
      text: stages(
        '{name: counted, source_model: orders, measures: ["*:count"]}',
        '{name: counted, source_model: orders, measures: ["*:count"]}',
        '{source_model: counted, measures: ["_count:sum"]}',
      ),
      slayer: /^Model 'staged': duplicate stage name\(s\) in source_queries: \['counted'\]\./,
    },
  ];
  for (const c of cases) {
    test(c.mistake, () => {
      const checked = checkText('model', c.text, { models: [ORDERS], datasources: OTHER_FILES.datasources });
      const messages = checked.problems.filter((p) => p.severity === 'error').map((p) => p.message);
      assert.ok(
        messages.some((message) => c.slayer.test(message)),
        `no error starts with ${String(c.slayer)}:\n${messages.join('\n')}`,
      );
    });
  }
});

/** The editor's diagnostics on a query file say what the engine says for the same mistake. */
describe("query file diagnostics start with SLayer's words", () => {
  const query = (...lines: string[]): string => yaml('source_model: orders', ...lines);
  const cases: { mistake: string; text: string; slayer: RegExp }[] = [
    {
      mistake: 'measure formula syntax',
      text: query('measures: ["amount:sum +"]'),
      slayer: /^Invalid formula syntax: 'amount:sum \+' — /,
    },
    {
      mistake: 'filter syntax',
      text: query('measures: ["*:count"]', 'filters: ["amount >"]'),
      slayer: /^Invalid filter syntax: 'amount >' — /,
    },
    {
      mistake: 'a chained comparison in a filter',
      text: query('measures: ["*:count"]', 'filters: ["10 < amount < 50"]'),
      slayer: /^Chained comparisons \(e\.g\. `a < b < c`\) are not supported in DSL filters/,
    },
    {
      mistake: '* aggregated by something else than count',
      text: query('measures: ["*:sum"]'),
      slayer: /^Aggregation 'sum' not allowed with measure '\*' — use '\*:count' for COUNT\(\*\)/,
    },
    {
      mistake: 'percentile without p',
      text: query('measures: ["amount:percentile"]'),
      slayer: /^Aggregation 'percentile' requires parameter 'p'\./,
    },
    {
      mistake: 'a misspelled saved measure in measure arithmetic',
      text: query('measures: ["revenu / *:count"]'),
      slayer: /^Bare measure name 'revenu' is not valid/,
    },
    {
      mistake: 'unknown function in a measure',
      text: query('measures: ["median_of(amount:sum)"]'),
      slayer: /^Unknown function 'median_of' in formula 'median_of\(amount:sum\)'\. Supported scalar functions: /,
    },
    {
      mistake: 'unknown function in a filter',
      text: query('measures: ["*:count"]', 'filters: ["squash(amount) > 1"]'),
      slayer: /^Unknown filter function 'squash' in: 'squash\(amount\) > 1'/,
    },
    {
      mistake: 'a misspelled column in a filter',
      text: query('measures: ["*:count"]', 'filters: ["stauts = 1"]'),
      slayer: /^Filter references unknown name 'stauts' on model 'orders'\./,
    },
    {
      mistake: 'a filter through a join the model does not have',
      text: query('measures: ["*:count"]', 'filters: ["custmers.region = 1"]'),
      slayer:
        /^Filter 'custmers\.region' references model 'custmers' but it is not in joins for source model 'orders'\./,
    },
    {
      mistake: 'a filter on a column the joined model does not have',
      text: query('measures: ["*:count"]', 'filters: ["customers.regin = 1"]'),
      slayer: /^Filter 'customers\.regin' references column 'regin' on 'customers', which doesn't resolve/,
    },
    {
      mistake: 'an unnamed stage before the last',
      text: yaml('- {source_model: orders, measures: ["*:count"]}', '- {source_model: orders, measures: ["*:count"]}'),
      slayer: /^Every non-final entry in a query list must have a 'name' \(siblings reference each other by name\)\./,
    },
    {
      mistake: 'two stages named alike',
      text: yaml(
        '- {name: counted, source_model: orders, measures: ["*:count"]}',
        '- {name: counted, source_model: orders, measures: ["*:count"]}',
        '- {source_model: counted, measures: ["_count:sum"]}',
      ),
      slayer: /^Duplicate stage name 'counted' in query list\./,
    },
  ];
  for (const c of cases) {
    test(c.mistake, () => {
      const checked = checkText('query', c.text, { models: MODELS.slice(0, 3), datasources: OTHER_FILES.datasources });
      const messages = checked.problems.filter((p) => p.severity === 'error').map((p) => p.message);
      assert.ok(
        messages.some((message) => c.slayer.test(message)),
        `no error starts with ${String(c.slayer)}:\n${messages.join('\n')}`,
      );
    });
  }
});
