/**
 * The integer-division warning: a `/` between two counts (or whole numbers)
 * on an engine that truncates it is warned about at its characters; a side
 * the checker cannot type, or an engine that divides as floats, is not.
 * (engine-semantics.test.ts runs such a ratio on each engine: 0 on SQLite
 * and Postgres, a fraction on DuckDB and MariaDB.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiagnosticCode } from '../../shared/src/diagnostics';
import { checkText, withCode, yaml } from '../support/check';

const MODEL = yaml(
  'name: orders',
  'data_source: shop',
  'sql_table: orders',
  'columns:',
  '  - {name: id, type: INT, primary_key: true}',
  '  - {name: status, type: TEXT}',
  '  - {name: amount, type: DOUBLE}',
  'measures:',
  '  - {name: per_status, formula: "*:count / status:count_distinct"}',
  '  - {name: half, formula: "(*:count - 1) / 2"}',
  '  - {name: aov, formula: "amount:sum / *:count"}',
  '  - {name: as_fraction, formula: "*:count * 1.0 / status:count_distinct"}',
  '  - {name: by_measure, formula: "per_status / 2"}',
  '  - {name: by_decimal, formula: "*:count / 2.0"}',
);

const datasource = (type: string): string => yaml('name: shop', `type: ${type}`, 'database: shop');

function divisionWarnings(type: string, text = MODEL, kind: 'model' | 'query' = 'model') {
  const others = { datasources: [datasource(type)], ...(kind === 'query' ? { models: [MODEL] } : {}) };
  return withCode(checkText(kind, text, others), DiagnosticCode.IntegerDivision);
}

describe('integer division', () => {
  for (const [type, engine] of [
    ['postgres', 'Postgres'],
    ['sqlite', 'SQLite'],
    ['mssql', 'SQL Server'],
    ['trino', 'Trino'],
  ] as const) {
    test(`on ${type}, each division of two integers is warned about at its characters, naming the engine`, () => {
      const found = divisionWarnings(type);
      assert.deepEqual(
        found.map((w) => [w.span, /write '(.*)'\.$/.exec(w.problem.message)?.[1]]),
        [
          ['/', '*:count * 1.0 / status:count_distinct'],
          ['/', '(*:count - 1) * 1.0 / 2'],
        ],
      );
      // Each at its own formula's operator.
      assert.deepEqual(
        found.map((w) => MODEL.lastIndexOf('\n', w.problem.span.start)),
        [MODEL.indexOf('\n  - {name: per_status'), MODEL.indexOf('\n  - {name: half')],
      );
      for (const { problem } of found) {
        assert.equal(problem.severity, 'warning');
        assert.match(problem.message, new RegExp(`^On ${engine}`));
      }
    });
  }

  for (const type of ['duckdb', 'mysql', 'clickhouse', 'snowflake', 'bigquery']) {
    test(`on ${type}, which divides integers as floats, nothing is warned about`, () => {
      assert.deepEqual(divisionWarnings(type), []);
    });
  }

  test("a query's measures are checked against its source model's engine", () => {
    const query = yaml('source_model: orders', 'measures: ["*:count / id:count_distinct", "amount:sum / *:count"]');
    assert.deepEqual(
      divisionWarnings('postgres', query, 'query').map((w) => /write '(.*)'\.$/.exec(w.problem.message)?.[1]),
      ['*:count * 1.0 / id:count_distinct'],
    );
    assert.deepEqual(divisionWarnings('duckdb', query, 'query'), []);
  });

  test('a model whose datasource is not in the workspace is not warned about', () => {
    assert.deepEqual(withCode(checkText('model', MODEL), DiagnosticCode.IntegerDivision), []);
  });
});
