/**
 * Engines with no server here are proven by meaning (issue 12, DESIGN.md): every
 * corpus query is planned in each such dialect; its SQL must parse in that
 * dialect with an independent parser (Debian's sqlglot), and, written by
 * sqlglot as DuckDB SQL, must give the rows our own DuckDB plan gives on the
 * same DuckDB file. A query a dialect refuses must be refused by name, for a
 * reason listed in EXPECTED_REFUSALS.
 *
 * The corpus: the semantic suite's features (test/support/dialect-corpus.ts)
 * and the property test's seeded random queries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateDemoData } from '../../scripts/demo/data';
import { writeDuckdb } from '../../scripts/demo/write-duckdb';
import { isSlayerError } from '../../shared/src/errors';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { openDriver } from '../../server/src/engine/drivers/connect';
import type { Driver } from '../../server/src/engine/drivers/types';
import { executeQuery, type EngineHost } from '../../server/src/engine/query/execute';
import type { QueryDef } from '../../server/src/engine/schema/types';
import { SQL_TESTED_DIALECTS, type SqlTestedDialect } from '../../server/src/engine/sql/dialect';
import { corpusWithRandomQueries, type CorpusQuery } from '../support/dialect-corpus';
import { FIXTURE_OPTIONS, shopModels } from '../support/engine-fixture';
import { diffTables, tableOf, type ResultTable } from '../support/result-compare';
import { decodeQuery } from '../support/run-query';
import { parseWithSqlglot, type SqlglotAnswer } from '../support/sqlglot';

/** Features an engine lacks: the dialect must refuse them before sending anything, in these words. */
const EXPECTED_REFUSALS: Record<SqlTestedDialect, RegExp | undefined> = {
  clickhouse: undefined,
  sqlserver: /^(median|percentile) is not available on SQL Server/,
  snowflake: undefined,
  bigquery: /^(median|percentile) is not available on BigQuery/,
  redshift: undefined,
  trino: /^(median|percentile) is not available on Trino/,
  databricks: /^Function 'trunc' is not available on databricks/,
};

interface Expected {
  query: CorpusQuery;
  stages: QueryDef[];
  table: ResultTable;
}

interface Refusal {
  query: string;
  message: string;
}

interface DialectOutcome {
  checked: number;
  refused: Refusal[];
  failures: string[];
}

let dir: string;
let duckdbFile: string;
let duckdb: Driver;
const expected: Expected[] = [];
const outcomes = new Map<SqlTestedDialect, DialectOutcome>();

function hostFor(type: string): EngineHost {
  const datasource = { version: 2, name: 'shop', type, database: duckdbFile };
  return {
    catalog: new StaticCatalog(shopModels(), [datasource]),
    openDriver: (ds) => openDriver(ds, { baseDir: dir }),
  };
}

/**
 * Our DuckDB plan's rows, as the database returns them (before the engine
 * shapes them): the meaning every other dialect's SQL must have.
 */
async function runExpected(host: EngineHost): Promise<void> {
  for (const query of corpusWithRandomQueries()) {
    const stages = decodeQuery(query.query);
    try {
      const { sql } = await executeQuery(stages, host, { dryRun: true });
      expected.push({ query, stages, table: await runRaw(sql) });
    } catch (error) {
      if (!isSlayerError(error)) throw error;
      // A query DuckDB refuses (a generated one that divides by zero, say) has no meaning to compare.
    }
  }
}

async function runRaw(sql: string): Promise<ResultTable> {
  const result = await duckdb.run(sql);
  return tableOf(result.columns, result.rows);
}

interface Planned {
  item: Expected;
  sql: string;
}

async function planEverything(dialect: SqlTestedDialect): Promise<{ planned: Planned[]; refused: Refusal[] }> {
  const host = hostFor(dialect);
  const planned: Planned[] = [];
  const refused: Refusal[] = [];
  for (const item of expected) {
    try {
      const response = await executeQuery(item.stages, host, { dryRun: true });
      planned.push({ item, sql: response.sql });
    } catch (error) {
      if (!isSlayerError(error)) throw error;
      refused.push({ query: item.query.name, message: error.message });
    }
  }
  return { planned, refused };
}

function translate(dialect: SqlTestedDialect, planned: readonly Planned[]): SqlglotAnswer[] {
  return parseWithSqlglot(planned.map((p) => ({ dialect, sql: p.sql })));
}

async function checkMeaning(planned: Planned, translation: SqlglotAnswer): Promise<string | undefined> {
  const heading = `${planned.item.query.name}\n  our SQL:\n${indent(planned.sql)}`;
  if (!translation.ok || translation.duckdb === undefined) return `${heading}\n  does not parse: ${translation.error}`;
  let table: ResultTable;
  try {
    table = await runRaw(translation.duckdb);
  } catch (error) {
    return `${heading}\n  as DuckDB:\n${indent(translation.duckdb)}\n  fails on DuckDB: ${String(error)}`;
  }
  const expectedTable = planned.item.table;
  const difference = diffTables(expectedTable, table, {
    ordered: planned.item.query.ordered,
    keyColumns: planned.item.query.keyColumns,
    columnNames: false,
  });
  return difference === undefined
    ? undefined
    : `${heading}\n  as DuckDB:\n${indent(translation.duckdb)}\n  rows differ: ${difference}`;
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

before(
  async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'slayer-dialects-'));
    duckdbFile = path.join(dir, 'shop.duckdb');
    await writeDuckdb(duckdbFile, generateDemoData(FIXTURE_OPTIONS));
    duckdb = openDriver({ version: 2, name: 'raw', type: 'duckdb', database: duckdbFile }, { baseDir: dir });
    await runExpected(hostFor('duckdb'));
    for (const dialect of SQL_TESTED_DIALECTS) {
      const { planned, refused } = await planEverything(dialect);
      const translations = translate(dialect, planned);
      const failures: string[] = [];
      for (const [id, p] of planned.entries()) {
        const translation = translations[id];
        const failure = translation
          ? await checkMeaning(p, translation)
          : `${p.item.query.name}: no answer from sqlglot`;
        if (failure !== undefined) failures.push(failure);
      }
      outcomes.set(dialect, { checked: planned.length, refused, failures });
    }
  },
  { timeout: 300_000 },
);

after(async () => {
  await duckdb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SQL-tested dialects: parsed by sqlglot, and the same rows as our DuckDB run', () => {
  test('the corpus has meaning to compare: most queries run on DuckDB', () => {
    assert.ok(expected.length >= 150, `only ${expected.length} corpus queries ran on DuckDB`);
  });

  for (const dialect of SQL_TESTED_DIALECTS) {
    test(`${dialect}: every corpus query parses and gives our DuckDB rows, or is refused for a listed reason`, (t) => {
      const outcome = outcomes.get(dialect);
      assert.ok(outcome, `${dialect} was not checked`);
      t.diagnostic(`${outcome.checked} of ${expected.length} queries checked, ${outcome.refused.length} refused`);
      const allowed = EXPECTED_REFUSALS[dialect];
      const unexpected = outcome.refused.filter((refusal) => !allowed?.test(refusal.message));
      assert.deepEqual(unexpected, [], `${dialect} refused queries it should plan`);
      assert.ok(outcome.checked >= expected.length * 0.9, `${dialect} checked only ${outcome.checked} queries`);
      assert.equal(
        outcome.failures.length,
        0,
        `${outcome.failures.length} failures:\n${outcome.failures.join('\n\n')}`,
      );
    });
  }
});

/**
 * What the DuckDB comparison cannot see, because DuckDB divides and averages
 * as floats and allows WITH anywhere: the dialects that need it say so in
 * their SQL, or refuse.
 */
describe('what DuckDB cannot show: integer averages and nested WITH', () => {
  test('SQL Server and Redshift average an integer column as floats (both would truncate)', async () => {
    const query = decodeQuery({ source_model: 'order_items', measures: ['quantity:avg'] });
    const spelled = {
      sqlserver: 'AVG(CAST(order_items.[quantity] AS FLOAT))',
      redshift: 'AVG(CAST(order_items."quantity" AS DOUBLE PRECISION))',
    };
    for (const [dialect, average] of Object.entries(spelled)) {
      const { sql } = await executeQuery(query, hostFor(dialect), { dryRun: true });
      assert.ok(sql.includes(average), `${dialect}: ${sql}`);
    }
  });

  test('on SQL Server a stage whose SQL begins with WITH cannot feed another stage, and says which', async () => {
    const stages = decodeQuery([
      {
        name: 'running',
        source_model: 'orders',
        time_dimensions: [{ dimension: 'ordered_at', granularity: 'month' }],
        measures: [{ formula: 'cumsum(amount:sum)', name: 'total' }],
      },
      { source_model: 'running', measures: ['total:max'] },
    ]);
    await assert.rejects(executeQuery(stages, hostFor('sqlserver'), { dryRun: true }), (error: unknown) => {
      assert.ok(isSlayerError(error));
      assert.match(error.message, /^Stage 'running' needs WITH .* a sub-query cannot begin with WITH/);
      return true;
    });
    // Every other dialect nests it.
    const { sql } = await executeQuery(stages, hostFor('snowflake'), { dryRun: true });
    assert.match(sql, /FROM \(WITH /);
  });
});
