import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkText, withCode, yaml } from '../support/check';

const DATASOURCE = yaml('name: shop', 'type: sqlite', 'database: shop.db');
const CUSTOMERS = yaml(
  'name: customers',
  'sql_table: customers',
  'data_source: shop',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: region, type: TEXT}',
);

/** A valid orders model; each case below breaks one thing in it. */
function orders(extra: string[] = [], replace: [string, string][] = []): string {
  let text = yaml(
    'name: orders',
    'sql_table: orders',
    'data_source: shop',
    'columns:',
    '  - {name: id, type: INT, primary_key: true}',
    '  - {name: customer_id, type: INT}',
    '  - {name: amount, type: DOUBLE}',
    '  - {name: status, type: TEXT}',
    '  - {name: ordered_at, type: TIMESTAMP}',
    'measures:',
    '  - {name: revenue, formula: "amount:sum"}',
    'joins:',
    '  - {target_model: customers, join_pairs: [[customer_id, id]]}',
    ...extra,
  );
  for (const [from, to] of replace) {
    assert.ok(text.includes(from), `fixture contains ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

const others = { models: [CUSTOMERS], datasources: [DATASOURCE] };

interface RuleCase {
  rule: string;
  name: string;
  bad: string;
  /** The exact text the diagnostic must point at. */
  at: string;
  message: RegExp;
  good: string;
  kind?: 'model' | 'query' | 'datasource';
}

const cases: RuleCase[] = [
  {
    rule: 'yaml-syntax',
    name: 'a YAML syntax error is reported where it is',
    bad: 'name: orders\ncolumns: [a, b\n',
    at: '',
    message: /./,
    good: orders(),
  },
  {
    rule: 'duplicate-key',
    name: 'a duplicate key is an error at the second key',
    bad: orders(['sql_table: again']),
    at: 'sql_table',
    message: /unique/i,
    good: orders(),
  },
  {
    rule: 'multiple-documents',
    name: 'a second YAML document is flagged',
    bad: `${orders()}---\nname: other\n`,
    at: '---',
    message: /one YAML document/,
    good: orders(),
  },
  {
    rule: 'wrong-type',
    name: 'a list where a string belongs',
    bad: orders([], [['sql_table: orders', 'sql_table: [orders]']]),
    at: '[orders]',
    message: /sql_table: expected a string, got a list/,
    good: orders(),
  },
  {
    rule: 'missing-field',
    name: 'a model without a name',
    bad: orders([], [['name: orders\n', '']]),
    at: 'sql_table',
    message: /'name' is required/,
    good: orders(),
  },
  {
    rule: 'unknown-field',
    name: 'an unknown model field warns but is kept',
    bad: orders(['colour: red']),
    at: 'colour',
    message: /kept in the file but ignored/,
    good: orders(),
  },
  {
    rule: 'invalid-name',
    name: 'a model name with a double underscore',
    bad: orders([], [['name: orders', 'name: my__orders']]),
    at: 'my__orders',
    message: /must not contain "__"/,
    good: orders(),
  },
  {
    rule: 'invalid-name',
    name: 'a column name with a dot',
    bad: orders([], [['{name: status,', '{name: order.status,']]),
    at: 'order.status',
    message: /Column name 'order.status' must not contain "."/,
    good: orders(),
  },
  {
    rule: 'reserved-name',
    name: 'a measure named after a transform',
    bad: orders([], [['{name: revenue,', '{name: cumsum,']]),
    at: 'cumsum',
    message: /transform name/,
    good: orders(),
  },
  {
    rule: 'invalid-value',
    name: 'an unknown column type',
    bad: orders([], [['{name: amount, type: DOUBLE}', '{name: amount, type: MONEY}']]),
    at: 'MONEY',
    message: /'MONEY' is not one of TEXT, INT, DOUBLE, BOOLEAN, DATE, TIMESTAMP/,
    good: orders(),
  },
  {
    rule: 'legacy-type',
    name: 'a legacy type name is explained',
    bad: orders([], [['{name: amount, type: DOUBLE}', '{name: amount, type: number}']]),
    at: 'number',
    message: /Legacy type 'number' means DOUBLE/,
    good: orders(),
  },
  {
    rule: 'source-exclusive',
    name: 'two sources at once',
    bad: orders(['sql: select 1']),
    at: 'sql_table',
    message: /exactly one source.*got: sql_table, sql/,
    good: orders(),
  },
  {
    rule: 'source-exclusive',
    name: 'no source at all',
    bad: orders([], [['sql_table: orders\n', '']]),
    at: 'name',
    message: /none specified/,
    good: orders(),
  },
  {
    rule: 'aggregation-not-allowed',
    name: 'summing a primary key',
    bad: orders([], [['formula: "amount:sum"', 'formula: "id:sum"']]),
    at: 'id:sum',
    message:
      /Aggregation 'sum' not allowed for primary-key column 'id'\. Allowed: \['count', 'count_distinct', 'count_distinct_approx'\]/,
    good: orders([], [['formula: "amount:sum"', 'formula: "id:count_distinct"']]),
  },
  {
    rule: 'aggregation-not-allowed',
    name: 'averaging a TEXT column',
    bad: orders([], [['formula: "amount:sum"', 'formula: "status:avg"']]),
    at: 'status:avg',
    message: /Aggregation 'avg' is not applicable to TEXT column 'status' in model '\w+'\. Default aggregations:/,
    good: orders([], [['formula: "amount:sum"', 'formula: "status:count_distinct"']]),
  },
  {
    rule: 'aggregation-not-allowed',
    name: 'allowed_aggregations that the type forbids',
    bad: orders([], [['{name: status, type: TEXT}', '{name: status, type: TEXT, allowed_aggregations: [sum]}']]),
    at: 'sum',
    message: /^Column 'status': aggregation 'sum' is not applicable to TEXT columns\. allowed_aggregations must be/,
    good: orders([], [['{name: status, type: TEXT}', '{name: status, type: TEXT, allowed_aggregations: [count]}']]),
  },
  {
    rule: 'unknown-aggregation',
    name: 'a misspelled aggregation gets a suggestion',
    bad: orders([], [['formula: "amount:sum"', 'formula: "amount:summ"']]),
    at: 'summ',
    message: /Unknown aggregation 'summ'\. Did you mean 'sum'\?/,
    good: orders([], [['formula: "amount:sum"', 'formula: "amount:stddev"']]),
  },
  {
    rule: 'missing-aggregation-param',
    name: 'weighted_avg without a weight',
    bad: orders([], [['formula: "amount:sum"', 'formula: "amount:weighted_avg"']]),
    at: 'amount:weighted_avg',
    message: /^Aggregation 'weighted_avg' requires parameter 'weight'\./,
    good: orders([], [['formula: "amount:sum"', 'formula: "amount:weighted_avg(weight=customer_id)"']]),
  },
  {
    rule: 'measure-cycle',
    name: 'named measures that refer to each other',
    bad: orders([], [['measures:\n', 'measures:\n  - {name: b, formula: "a * 2"}\n  - {name: a, formula: "b + 1"}\n']]),
    at: '"a * 2"',
    message: /^Saved measure 'b' has a cyclic reference: b → a → b/,
    good: orders([], [['measures:\n', 'measures:\n  - {name: a, formula: "revenue + 1"}\n']]),
  },
  {
    rule: 'duplicate-name',
    name: 'two columns with one name',
    bad: orders([], [['{name: status, type: TEXT}', '{name: amount, type: TEXT}']]),
    at: 'amount',
    message: /^Model 'orders': duplicate column names: \['amount'\]\./,
    good: orders(),
  },
  {
    rule: 'name-clash',
    name: 'a measure named like a column',
    bad: orders([], [['{name: revenue,', '{name: amount,']]),
    at: 'amount',
    message: /^Model 'orders': name collision between columns and measures: \['amount'\]/,
    good: orders(),
  },
  {
    rule: 'custom-aggregation-formula',
    name: 'a custom aggregation without a formula',
    bad: orders(['aggregations:', '  - name: geomean']),
    at: 'geomean',
    message: /^Aggregation 'geomean' is not a built-in aggregation; a 'formula' is required/,
    good: orders(['aggregations:', '  - name: geomean', '    formula: "EXP(AVG(LN({value})))"']),
  },
  {
    rule: 'unknown-reference',
    name: 'a formula using a missing column',
    bad: orders([], [['formula: "amount:sum"', 'formula: "amont:sum"']]),
    at: 'amont',
    message: /Column 'amont' not found in model 'orders'\. Did you mean 'amount'\?/,
    good: orders(),
  },
  {
    rule: 'unknown-reference',
    name: 'a cross-model measure on a missing column of the joined model',
    bad: orders([], [['formula: "amount:sum"', 'formula: "customers.regoin:count"']]),
    at: 'customers.regoin',
    message: /Column 'regoin' not found in model 'customers'\. Did you mean 'region'\?/,
    good: orders([], [['formula: "amount:sum"', 'formula: "customers.region:count"']]),
  },
  {
    rule: 'unknown-model',
    name: 'a join to a model that does not exist',
    bad: orders([], [['target_model: customers', 'target_model: customer']]),
    at: 'customer',
    message: /Model 'customer' not found\. Did you mean 'customers'\?/,
    good: orders(),
  },
  {
    rule: 'unknown-data-source',
    name: 'a data source without a datasource file',
    bad: orders([], [['data_source: shop', 'data_source: shops']]),
    at: 'shops',
    message: /Datasource 'shops' not found.*Did you mean 'shop'\?/,
    good: orders(),
  },
  {
    rule: 'query-variables-not-query-backed',
    name: 'query_variables on a table-backed model',
    bad: orders(['query_variables: {min_amount: 10}']),
    at: 'query_variables',
    message: /only apply to query-backed models/,
    good: orders(['query_variables: {}']),
  },
  {
    rule: 'engine-managed-field',
    name: 'hand-written columns on a query-backed model',
    bad: yaml(
      'name: monthly',
      'source_queries:',
      '  - {source_model: orders, measures: ["amount:sum"]}',
      'columns:',
      '  - {name: amount_sum, type: DOUBLE}',
    ),
    at: 'columns',
    message: /generated from source_queries and must not be written by hand/,
    good: yaml(
      'name: monthly',
      'source_queries:',
      '  - {source_model: orders, measures: ["amount:sum"]}',
      'backing_query_sql: SELECT 1',
      'columns:',
      '  - {name: amount_sum, type: DOUBLE}',
    ),
  },
  {
    rule: 'formula-syntax',
    name: 'a formula that does not parse points at the bad token',
    bad: orders([], [['formula: "amount:sum"', 'formula: "amount:sum +* 2"']]),
    at: '*',
    message: /'\*' must be followed by an aggregation/,
    good: orders(),
  },
  {
    rule: 'sql-mode-filter',
    name: 'aggregation syntax in a model filter',
    bad: orders(['filters:', '  - "amount:sum > 10"']),
    at: 'amount:sum',
    message: /plain SQL/,
    good: orders(['filters:', '  - "amount > 10 AND status <> \'void\'"']),
  },
  {
    rule: 'stage-rules',
    name: 'an unnamed non-final stage',
    kind: 'query',
    bad: yaml('- {source_model: orders, measures: ["amount:sum"]}', '- {source_model: orders, measures: ["*:count"]}'),
    at: '{source_model: orders, measures: ["amount:sum"]}',
    message: /^Every non-final entry in a query list must have a 'name'/,
    good: yaml('- {name: s1, source_model: orders, measures: ["amount:sum"]}', '- {source_model: s1}'),
  },
  {
    rule: 'stage-rules',
    name: "a stage that reads the list's last entry, the DAG root",
    kind: 'query',
    bad: yaml(
      '- {name: s1, source_model: total, measures: ["*:count"]}',
      '- {name: total, source_model: orders, measures: ["*:count"]}',
    ),
    at: 'total',
    message: /^The final entry 'total' is the DAG root and must not be referenced by other stages/,
    good: yaml(
      '- {name: s1, source_model: orders, measures: ["*:count"]}',
      '- {name: total, source_model: s1, measures: ["_count:sum"]}',
    ),
  },
  {
    rule: 'stage-rules',
    name: "a stage whose source joins the list's last entry, as the engine refuses it",
    kind: 'query',
    bad: yaml(
      '- name: s1',
      '  source_model: {source_name: orders, joins: [{target_model: total, join_pairs: [[id, id]]}]}',
      '  measures: ["*:count"]',
      '- {name: total, source_model: orders, measures: ["*:count"]}',
    ),
    at: 'total',
    message:
      /^The final entry 'total' is the DAG root and must not be referenced by other stages\. Referenced by: \['s1'\]/,
    good: yaml(
      '- name: s1',
      '  source_model: {source_name: orders, joins: [{target_model: s0, join_pairs: [[id, id]]}]}',
      '  measures: ["*:count"]',
      '- {name: s0, source_model: orders, dimensions: [id]}',
      '- {name: total, source_model: s1, measures: ["_count:sum"]}',
    ),
  },
  {
    rule: 'unknown-model',
    name: 'a stage may read a sibling listed after it (SLayer orders siblings by dependency), not a missing one',
    kind: 'query',
    bad: yaml('- {name: s1, source_model: s3, measures: ["*:count"]}', '- {source_model: s2}'),
    at: 's3',
    message: /Model 's3' not found/,
    good: yaml(
      '- {name: s1, source_model: s2, measures: ["_count:sum"]}',
      '- {name: s2, source_model: orders, measures: ["*:count"]}',
      '- {source_model: s1}',
    ),
  },
  {
    rule: 'unknown-field',
    name: 'queries reject unknown fields outright',
    kind: 'query',
    bad: yaml('source_model: orders', 'measure: ["amount:sum"]'),
    at: 'measure',
    message: /Unknown query field 'measure'\. Did you mean 'measures'\?/,
    good: yaml('source_model: orders', 'measures: ["amount:sum"]'),
  },
  {
    rule: 'unknown-reference',
    name: 'a query dimension that is not a column',
    kind: 'query',
    bad: yaml('source_model: orders', 'dimensions: [customers.regio]'),
    at: 'customers.regio',
    message: /Column 'regio' not found in model 'customers'/,
    good: yaml('source_model: orders', 'dimensions: [customers.region]'),
  },
  {
    rule: 'invalid-value',
    name: 'a time dimension with an unknown granularity',
    kind: 'query',
    bad: yaml('source_model: orders', 'time_dimensions: [{dimension: ordered_at, granularity: fortnight}]'),
    at: 'fortnight',
    message: /'fortnight' is not one of second, minute/,
    good: yaml('source_model: orders', 'time_dimensions: [{dimension: ordered_at, granularity: week_sunday}]'),
  },
  {
    rule: 'invalid-value',
    name: 'a datasource SLayer runs and this engine does not yet is named, not left to empty hovers',
    kind: 'datasource',
    bad: yaml('name: lake', 'type: spark', 'database: sales'),
    at: 'spark',
    message:
      /^SLayer Studio cannot run queries on 'spark' yet \(it runs sqlite, duckdb, postgres, postgresql, mysql, mariadb, redshift, trino, presto, clickhouse, databricks\b[^)]*\)/,
    good: yaml('name: wh', 'type: mariadb', 'host: db.internal', 'database: shop'),
  },
  {
    rule: 'invalid-value',
    name: "a Spark datasource runs only on a Databricks SQL warehouse (SLayer reaches Spark through Databricks' connector)",
    kind: 'datasource',
    bad: yaml('name: lake', 'type: spark', 'connection_string: hive://spark.internal:10000/sales'),
    at: 'spark',
    message: /^SLayer Studio cannot run queries on 'spark' yet/,
    good: yaml(
      'name: lake',
      'type: spark',
      'connection_string: databricks://token:dapi0@adb-1.azuredatabricks.net?http_path=/sql/1.0/warehouses/abc',
    ),
  },
  {
    rule: 'missing-credential',
    name: "a Snowflake password is pointed at: Snowflake's SQL API takes a key pair or a token, never a password",
    kind: 'datasource',
    bad: yaml('name: wh', 'type: snowflake', 'host: xy12345', 'username: analyst', 'password: hunter2'),
    at: 'hunter2',
    message: /^SLayer Studio queries Snowflake through its SQL API, which takes no password: give a 'connection_name'/,
    good: yaml('name: wh', 'type: snowflake', 'connection_name: default'),
  },
  {
    rule: 'missing-field',
    name: 'an Athena connection string without a place for results: Athena writes every result to S3',
    kind: 'datasource',
    bad: yaml(
      'name: lake',
      'type: athena',
      'connection_string: awsathena+rest://@athena.eu-west-1.amazonaws.com:443/sales',
    ),
    at: 'awsathena+rest://@athena.eu-west-1.amazonaws.com:443/sales',
    message: /^Athena writes every result to S3: the connection_string needs s3_staging_dir=/,
    good: yaml(
      'name: lake',
      'type: athena',
      'connection_string: awsathena+rest://@athena.eu-west-1.amazonaws.com:443/sales?work_group=analysts',
    ),
  },
  {
    rule: 'missing-credential',
    name: 'a BigQuery datasource with no key and none in the environment is told where credentials go',
    kind: 'datasource',
    bad: yaml('name: gbq', 'type: bigquery', 'host: my-project'),
    at: 'bigquery',
    message: /^BigQuery needs credentials: set 'credentials_json'/,
    good: yaml('name: gbq', 'type: bigquery', 'host: my-project', 'credentials_json: keys/gbq.json'),
  },
  {
    rule: 'ignored-field',
    name: "a SQL Server schema_name is pointed at: neither SLayer nor this engine applies it, the login's default schema answers",
    kind: 'datasource',
    bad: yaml('name: wh', 'type: sqlserver', 'host: db.internal', 'database: sales', 'schema_name: finance'),
    at: 'finance',
    message:
      /^schema_name is not applied to queries on sqlserver \(nor by SLayer\): SQL Server runs every query in the login's default schema\. To read a table from another schema, write it as schema\.table in sql_table\.$/,
    good: yaml('name: wh', 'type: sqlserver', 'host: db.internal', 'database: sales'),
  },
  {
    rule: 'ignored-field',
    name: 'a MySQL schema_name is pointed at: a MySQL schema is its database',
    kind: 'datasource',
    bad: yaml('name: shop', 'type: mysql', 'host: db.internal', 'database: shop', 'schema_name: sales'),
    at: 'sales',
    message:
      /^schema_name is not applied to queries on mysql \(nor by SLayer\): a schema is a database there: set 'database' instead\./,
    good: yaml('name: pg', 'type: postgres', 'host: db.internal', 'database: shop', 'schema_name: sales'),
  },
  {
    rule: 'missing-field',
    name: 'a Snowflake datasource without an account (host) or a connection profile cannot connect',
    kind: 'datasource',
    bad: yaml('name: wh', 'type: snowflake', 'username: analyst', 'warehouse: compute_wh'),
    at: 'snowflake',
    message:
      /^A datasource of type 'snowflake' needs 'host' \(the account identifier, e\.g\. xy12345\.us-east-1\) or 'connection_name', or a connection_string\.$/,
    good: yaml('name: wh', 'type: snowflake', 'host: xy12345.us-east-1', 'username: analyst'),
  },
  {
    rule: 'missing-field',
    name: 'a Trino datasource without a user: Trino names every query by its user',
    kind: 'datasource',
    bad: yaml('name: lake', 'type: trino', 'host: trino.internal', 'database: hive'),
    at: 'trino',
    message:
      /^A datasource of type 'trino' needs 'username' \(Trino names every query's user\), or a connection_string\.$/,
    good: yaml('name: lake', 'type: trino', 'connection_string: trino://analyst@trino.internal:8080/hive'),
  },
  {
    rule: 'invalid-value',
    name: 'a datasource field naming an environment variable this process does not have',
    kind: 'datasource',
    bad: yaml('name: pg', 'type: postgres', 'host: db', 'password: ${SLAYER_TEST_SURELY_UNSET_VARIABLE}'),
    at: '${SLAYER_TEST_SURELY_UNSET_VARIABLE}',
    message:
      /^Environment variable 'SLAYER_TEST_SURELY_UNSET_VARIABLE' is not set for SLayer Studio, so queries on datasource 'pg' will fail/,
    good: yaml('name: pg', 'type: postgres', 'host: db', 'password: ${PATH}'),
  },
  {
    rule: 'invalid-name',
    name: 'a datasource name with a slash',
    kind: 'datasource',
    bad: yaml('name: a/b', 'type: sqlite'),
    at: 'a/b',
    message: /must not contain "\/"/,
    good: DATASOURCE,
  },
];

describe('schema rules: each rule fails on bad input and stays quiet on good input', () => {
  for (const c of cases) {
    test(`${c.rule}: ${c.name}`, () => {
      const kind = c.kind ?? 'model';
      const context = kind === 'query' ? { ...others, models: [...others.models, orders()] } : others;
      const bad = withCode(checkText(kind, c.bad, context), c.rule);
      assert.ok(bad.length > 0, `expected a ${c.rule} problem`);
      const hit = bad.find((b) => b.span === c.at) ?? bad[0];
      assert.equal(hit?.span, c.at, `${c.rule} points at the right text`);
      assert.match(hit?.problem.message ?? '', c.message);
      const good = checkText(kind, c.good, context);
      assert.deepEqual(withCode(good, c.rule), [], `no ${c.rule} on the good variant`);
    });
  }

  test('the valid fixture has no problems at all', () => {
    assert.deepEqual(checkText('model', orders(), others).problems, []);
  });
});
