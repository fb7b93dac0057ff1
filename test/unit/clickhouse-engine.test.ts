/**
 * Our ClickHouse SQL on a real ClickHouse: every query of the dialect corpus
 * (test/support/dialect-corpus.ts, plus the same seeded random queries as
 * test/unit/dialect-corpus.test.ts) is planned for ClickHouse and for DuckDB;
 * the ClickHouse SQL runs on the test server through the ClickHouse driver,
 * over the fixture's tables, and must give the rows our DuckDB plan gives.
 *
 * The test server is Debian's ClickHouse 18.16 (2018), which lacks much that
 * our SQL uses. The queries run are those whose SQL needs nothing 18.16 lacks,
 * judged from the SQL text alone by `needsNewerClickHouse` below, one
 * documented reason per pattern; the rest are counted by reason and must stay
 * a minority. On a newer server (SLAYER_TEST_CLICKHOUSE_URL) the same subset
 * runs; the rule only ever leaves queries out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_TABLES, generateDemoData } from '../../scripts/demo/data';
import { writeDuckdb } from '../../scripts/demo/write-duckdb';
import { isSlayerError } from '../../shared/src/errors';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { ClickHouseDriver } from '../../server/src/engine/drivers/clickhouse';
import { openDriver } from '../../server/src/engine/drivers/connect';
import type { Driver } from '../../server/src/engine/drivers/types';
import { executeQuery, type EngineHost } from '../../server/src/engine/query/execute';
import {
  clickhouseConfig,
  clickhouseUrl,
  createClickhouseDatabase,
  dropClickhouseDatabase,
  writeClickhouse,
} from '../support/clickhouse';
import { corpusWithRandomQueries, type CorpusQuery } from '../support/dialect-corpus';
import { FIXTURE_OPTIONS, shopModels } from '../support/engine-fixture';
import { diffTables, tableOf, type ResultTable } from '../support/result-compare';
import { decodeQuery } from '../support/run-query';

/** Of the ~240 queries, this many at least must run on 18.16 for the comparison to mean something. */
const MINIMUM_RUN = 90;

// ---------------------------------------------------------------------------
// What 18.16 cannot run, from the SQL text
// ---------------------------------------------------------------------------

const columnsWhere = (keep: (kind: string, nullable: boolean) => boolean): string[] => [
  ...new Set(
    DEMO_TABLES.flatMap((table) =>
      table.columns.filter((column) => keep(column.kind, column.nullable === true)).map((column) => column.name),
    ),
  ),
];
const DATE_COLUMNS = columnsWhere((kind) => kind === 'date').join('|');
const NULLABLE_COLUMNS = columnsWhere((_kind, nullable) => nullable).join('|');

/** Function calls 18.16 rejects as unknown: added later, or known to it only in lower case. */
const UNKNOWN_TO_18_16 = [
  'quantileExactInclusive', // 20.x
  'toStartOfWeek', // 19.x; toMonday is older
  'trim',
  'trimLeft',
  'trimRight', // 19.x
  'trimBoth',
  'sign', // 20.x
  'TRIM',
  'ABS',
  'SIGN',
  'GREATEST',
  'LEAST', // case-insensitive only since 19.x/20.x
];

/** The arguments' count of each call of `name` in the SQL, read by bracket depth (quoted text skipped). */
function argumentCounts(sql: string, name: string): number[] {
  const counts: number[] = [];
  for (const match of sql.matchAll(new RegExp(`(?<![\\w.])${name}\\(`, 'gi'))) {
    let depth = 0;
    let commas = 0;
    let quoted = false;
    for (const char of sql.slice(match.index + match[0].length)) {
      if (char === "'") quoted = !quoted;
      if (quoted) continue;
      if (char === '(') depth++;
      else if (char === ',' && depth === 0) commas++;
      else if (char === ')' && depth-- === 0) break;
    }
    counts.push(commas + 1);
  }
  return counts;
}

const NEEDS_NEWER: readonly [string, (sql: string) => boolean][] = [
  ['WITH name AS (subquery): 20.x', (sql) => /\bWITH\s+"?\w+"?\s+AS\s*\(/i.test(sql)],
  ['window functions (OVER): 21.x', (sql) => /\bOVER\s*\(/i.test(sql)],
  ['more than one JOIN: 19.x', (sql) => (sql.match(/\bJOIN\b/gi) ?? []).length > 1],
  [
    'a function 18.16 does not know by that name',
    (sql) => UNKNOWN_TO_18_16.some((name) => new RegExp(`(?<![\\w.])${name}\\(`).test(sql)),
  ],
  [
    'a date-only literal compared as DateTime (18.16 cannot parse it)',
    (sql) => /(?<!parseDateTimeBestEffort\()'\d{4}-\d{2}-\d{2}'/.test(sql),
  ],
  [
    'a Date column compared with a DateTime (18.16 compares day and second numbers: no rows)',
    (sql) => new RegExp(`"(?:${DATE_COLUMNS})"\\s*(?:BETWEEN|[<>=]+)\\s*parseDateTimeBestEffort`).test(sql),
  ],
  [
    'COUNT(DISTINCT) of a nullable column (18.16 gives NULL, not 0, for a group of only NULLs)',
    (sql) => new RegExp(`COUNT\\(DISTINCT [\\w.]*"(?:${NULLABLE_COLUMNS})"\\)`).test(sql),
  ],
  [
    'substringUTF8 with two arguments (18.16 wants the length too)',
    (sql) => argumentCounts(sql, 'substringUTF8').includes(2),
  ],
  ['uniq(): approximate, not comparable with DuckDB', (sql) => /\buniq\(/.test(sql)],
  [
    'greatest or least of more than two values (18.16 takes two)',
    (sql) => [...argumentCounts(sql, 'greatest'), ...argumentCounts(sql, 'least')].some((count) => count > 2),
  ],
];

/** Why 18.16 cannot run (or cannot be compared on) this SQL; an empty list when it can. */
function needsNewerClickHouse(sql: string): string[] {
  return NEEDS_NEWER.filter(([, applies]) => applies(sql)).map(([reason]) => reason);
}

// ---------------------------------------------------------------------------
// Set-up: the fixture on DuckDB and on ClickHouse, every query planned for both
// ---------------------------------------------------------------------------

interface Case {
  query: CorpusQuery;
  expected: ResultTable;
  sql: string;
}

let dir: string;
let url: string;
let database: string;
let duckdb: Driver;
let clickhouse: ClickHouseDriver;
const runnable: Case[] = [];
/** Every planned query, for checks on the SQL text itself. */
const allPlanned: Case[] = [];
const leftOut = new Map<string, number>();
let planned = 0;

function hostFor(type: string, file: string): EngineHost {
  return {
    catalog: new StaticCatalog(shopModels(), [{ version: 2, name: 'shop', type, database: file }]),
    openDriver: (ds) => openDriver(ds, { baseDir: dir }),
  };
}

/** DuckDB's rows for the query, or undefined when DuckDB refuses it (nothing to compare). */
async function expectedRows(query: CorpusQuery, file: string): Promise<ResultTable | undefined> {
  try {
    const { sql } = await executeQuery(decodeQuery(query.query), hostFor('duckdb', file), { dryRun: true });
    const result = await duckdb.run(sql);
    return tableOf(result.columns, result.rows);
  } catch (error) {
    if (isSlayerError(error)) return undefined;
    throw error;
  }
}

async function sortCase(query: CorpusQuery, file: string): Promise<void> {
  const expected = await expectedRows(query, file);
  if (expected === undefined) return;
  // The ClickHouse dialect refuses nothing the corpus asks, so planning must succeed.
  const { sql } = await executeQuery(decodeQuery(query.query), hostFor('clickhouse', file), { dryRun: true });
  planned++;
  allPlanned.push({ query, expected, sql });
  const reasons = needsNewerClickHouse(sql);
  for (const reason of reasons) leftOut.set(reason, (leftOut.get(reason) ?? 0) + 1);
  if (reasons.length === 0) runnable.push({ query, expected, sql });
}

before(
  async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'slayer-clickhouse-engine-'));
    const file = path.join(dir, 'shop.duckdb');
    const data = generateDemoData(FIXTURE_OPTIONS);
    await writeDuckdb(file, data);
    duckdb = openDriver({ version: 2, name: 'raw', type: 'duckdb', database: file }, { baseDir: dir });
    url = await clickhouseUrl();
    database = await createClickhouseDatabase(url, 'engine');
    await writeClickhouse(url, database, data);
    clickhouse = new ClickHouseDriver(clickhouseConfig(url, database), (text) => text);
    for (const query of corpusWithRandomQueries()) await sortCase(query, file);
  },
  { timeout: 600_000 },
);

after(async () => {
  await duckdb?.close();
  if (url && database) await dropClickhouseDatabase(url, database);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Undefined when ClickHouse gives DuckDB's rows; otherwise what went wrong, with the SQL. */
async function mismatch(item: Case): Promise<string | undefined> {
  const heading = `${item.query.name}\n${item.sql}`;
  try {
    const result = await clickhouse.run(item.sql);
    const difference = diffTables(item.expected, tableOf(result.columns, result.rows), {
      ordered: item.query.ordered,
      keyColumns: item.query.keyColumns,
      columnNames: false,
    });
    return difference === undefined ? undefined : `${heading}\n  rows differ: ${difference}`;
  } catch (error) {
    return `${heading}\n  fails: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function mismatches(cases: readonly Case[]): Promise<string[]> {
  const found: string[] = [];
  for (const item of cases) {
    const problem = await mismatch(item);
    if (problem !== undefined) found.push(problem);
  }
  return found;
}

describe('our ClickHouse SQL on a real ClickHouse gives our DuckDB rows', () => {
  test('the subset 18.16 can run is not tiny', (t) => {
    t.diagnostic(`${runnable.length} of ${planned} planned queries run; left out by reason:`);
    for (const [reason, count] of leftOut) t.diagnostic(`  ${count}: ${reason}`);
    assert.ok(planned >= 200, `only ${planned} corpus queries were planned`);
    assert.ok(runnable.length >= MINIMUM_RUN, `only ${runnable.length} queries run on this ClickHouse`);
  });

  test('every query of the subset gives the same rows as DuckDB', { timeout: 300_000 }, async () => {
    const found = await mismatches(runnable);
    assert.equal(found.length, 0, `${found.length} of ${runnable.length} differ:\n\n${found.join('\n\n')}`);
  });

  test("ClickHouse's own function names are written in their own case (they are case-sensitive)", () => {
    const upperCased =
      /\b(?:SUBSTRINGUTF8|POSITIONUTF8|LENGTHUTF8|LOWERUTF8|UPPERUTF8|TRIMBOTH|TRIMLEFT|TRIMRIGHT|REPLACEALL|MODULO)\(/;
    assert.deepEqual(
      allPlanned.filter((item) => upperCased.test(item.sql)).map((item) => item.query.name),
      [],
    );
  });
});
