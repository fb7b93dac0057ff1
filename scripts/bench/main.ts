/**
 * `npm run bench`: the engine's speed, as figures measured side by side in one
 * run (never in a timed test).
 *
 * 1. Plan + SQL generation per query, over a set of representative queries
 *    on the demo models: median and p95 microseconds.
 * 2. A grouped query through the engine (plan, run, shape the response)
 *    against the same SQL run directly on the same DuckDB driver, on a table
 *    of 1,000,000 rows, alternating runs: the ratio of medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_SETTINGS } from '../../shared/src/settings';
import { StaticCatalog } from '../../server/src/engine/catalog';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { openDriver } from '../../server/src/engine/drivers/connect';
import { executeQuery } from '../../server/src/engine/query/execute';
import { planQuery } from '../../server/src/engine/query/plan';
import { StageCatalog } from '../../server/src/engine/query/stages';
import {
  columnDef,
  modelDef,
  type DatasourceDef,
  type ModelDef,
  type QueryDef,
} from '../../server/src/engine/schema/types';
import { dialectFor } from '../../server/src/engine/sql/dialect';
import { discoverWorkspace } from '../../server/src/workspace/discovery';
import { PathMatcher } from '../../server/src/workspace/glob';
import { WorkspaceIndex } from '../../server/src/workspace/index';
import { writeSlayerFolder } from '../demo/slayer-folder';
import { benchPatch } from './patch';
import { quantile } from './stats';

const PLAN_QUERIES: readonly unknown[] = [
  { source_model: 'orders', measures: ['*:count'] },
  { source_model: 'orders', measures: ['amount:sum', 'amount:avg', 'amount:max'] },
  { source_model: 'orders', dimensions: ['status'], measures: ['*:count'] },
  { source_model: 'orders', dimensions: ['status'], measures: ['revenue', 'aov'] },
  { source_model: 'orders', measures: ['completion_rate'] },
  { source_model: 'orders', measures: ['completed_amount:sum'], dimensions: ['status'] },
  {
    source_model: 'orders',
    time_dimensions: [{ dimension: 'ordered_at', granularity: 'month' }],
    measures: ['revenue'],
  },
  {
    source_model: 'orders',
    time_dimensions: [{ dimension: 'ordered_at', granularity: 'week', date_range: ['2023-01-01', '2023-12-31'] }],
    measures: ['*:count'],
  },
  {
    source_model: 'orders',
    time_dimensions: [{ dimension: 'order_date', granularity: 'quarter' }],
    measures: ['amount:median'],
  },
  {
    source_model: 'orders',
    dimensions: ['customers.name'],
    measures: ['amount:sum'],
    order: [{ column: 'amount:sum', direction: 'desc' }],
    limit: 10,
  },
  { source_model: 'orders', dimensions: ['customers.region', 'stores.name'], measures: ['*:count', 'aov'] },
  { source_model: 'order_items', dimensions: ['orders.customers.region'], measures: ['line_total:sum'] },
  { source_model: 'order_items', dimensions: ['products.category'], measures: ['quantity:sum', 'unit_price:avg'] },
  {
    source_model: 'orders',
    dimensions: ['status'],
    measures: ['*:count'],
    filters: ["status = 'completed'", 'amount > 20'],
  },
  { source_model: 'orders', dimensions: ['status'], measures: ['*:count'], filters: ['*:count > 100'] },
  { source_model: 'orders', measures: ['*:count'], filters: ["customers.region = '{r}'"], variables: { r: 'West' } },
  { source_model: 'orders', measures: ['amount:percentile(p=0.9)', 'amount:stddev_samp'] },
  { source_model: 'orders', dimensions: ['status'], measures: ['amount:first', 'amount:last'] },
  { source_model: 'orders', measures: ['amount:weighted_avg(weight=subtotal)'] },
  { source_model: 'orders', dimensions: ['status'], measures: ['customers.*:count'] },
  { source_model: 'orders', dimensions: ['status'] },
  { source_model: 'orders', dimensions: ['status', 'amount'], distinct_dimension_values: false, limit: 50 },
  {
    source_model: 'orders',
    dimensions: ['store_id'],
    measures: ['amount:sum'],
    order: [{ column: 'amount_sum', direction: 'asc' }],
    limit: 5,
    offset: 5,
  },
  {
    source_model: 'orders',
    time_dimensions: [{ dimension: 'ordered_at', granularity: 'month' }],
    measures: [{ formula: 'cumsum(revenue)', name: 'running' }],
  },
  {
    source_model: 'orders',
    dimensions: ['status'],
    time_dimensions: [{ dimension: 'ordered_at', granularity: 'month' }],
    measures: [{ formula: 'change_pct(amount:sum)', name: 'growth' }],
  },
  {
    source_model: 'orders',
    dimensions: ['stores.name'],
    measures: ['amount:sum', { formula: 'rank(amount:sum)', name: 'r' }],
    filters: ['rank(amount:sum) <= 3'],
  },
  {
    source_model: 'orders',
    time_dimensions: [{ dimension: 'ordered_at', granularity: 'week' }],
    measures: [{ formula: "amount:sum(window='30d')", name: 'w' }],
  },
  { source_model: 'monthly_revenue', measures: ['revenue:max'] },
];

function decode(query: unknown): QueryDef {
  const parsed = parseSlayerDocument('query', JSON.stringify(query), { warnOnUnknownFields: true });
  const first = parsed.queries?.[0];
  if (!first || parsed.parseProblems.some((p) => p.severity === 'error')) {
    throw new Error(
      `bench query is invalid: ${JSON.stringify(query)}: ${parsed.parseProblems.map((p) => p.message).join('; ')}`,
    );
  }
  return first;
}

async function benchPlanning(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-bench-'));
  try {
    await writeSlayerFolder(dir, { sqlitePath: path.join(dir, 'x.sqlite'), duckdbPath: path.join(dir, 'x.duckdb') });
    const discovered = await discoverWorkspace([dir], new PathMatcher(DEFAULT_SETTINGS.exclude));
    const index = new WorkspaceIndex({ warnOnUnknownFields: true });
    await index.load(discovered.roots, discovered.files);
    const catalog = index.catalogFor(discovered.roots[0]);
    const queries = PLAN_QUERIES.map(decode);
    const dialect = dialectFor('sqlite');
    // A fresh stage catalog per plan, as executeQuery makes one: query-backed sources are planned every time.
    const plan = (query: QueryDef): unknown => planQuery(query, new StageCatalog(catalog, dialect, {}), { dialect });
    for (let warm = 0; warm < 200; warm++) for (const query of queries) plan(query);
    const samples: number[] = [];
    for (let round = 0; round < 200; round++) {
      for (const query of queries) {
        const start = process.hrtime.bigint();
        plan(query);
        samples.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
    samples.sort((a, b) => a - b);
    console.log(`plan + SQL: ${queries.length} queries x 200 rounds`);
    console.log(
      `  median ${quantile(samples, 0.5).toFixed(1)} µs, p95 ${quantile(samples, 0.95).toFixed(1)} µs, max ${(samples[samples.length - 1] ?? 0).toFixed(1)} µs`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EVENT_ROWS = 1_000_000;

async function writeEvents(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    // Deterministic: every value is a function of the row number.
    await connection.run(
      `CREATE TABLE events AS SELECT i AS id, i % 97 AS account, (i * 7919) % 1000 / 10.0 AS amount,
         TIMESTAMP '2023-01-01' + INTERVAL (i % 730) DAY AS happened_at FROM range(${EVENT_ROWS}) t(i)`,
    );
    await connection.run('CHECKPOINT');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function eventsModel(): ModelDef {
  return modelDef('events', {
    data_source: 'bench',
    sql_table: 'events',
    columns: [
      columnDef('id', 'INT', { primary_key: true }),
      columnDef('account', 'INT'),
      columnDef('amount', 'DOUBLE'),
      columnDef('happened_at', 'TIMESTAMP'),
    ],
  });
}

async function benchEndToEnd(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-bench-'));
  try {
    const file = path.join(dir, 'events.duckdb');
    await writeEvents(file);
    const datasource: DatasourceDef = { version: 2, name: 'bench', type: 'duckdb', database: file };
    const host = {
      catalog: new StaticCatalog([eventsModel()], [datasource]),
      openDriver: (ds: DatasourceDef) => openDriver(ds, { baseDir: dir }),
    };
    const query = decode({
      source_model: 'events',
      dimensions: ['account'],
      time_dimensions: [{ dimension: 'happened_at', granularity: 'month' }],
      measures: ['amount:sum', '*:count', 'amount:avg'],
    });
    const sql = planQuery(query, host.catalog, { dialect: dialectFor('duckdb') }).sql;
    const engine = async (): Promise<number> => (await executeQuery([query], host)).row_count;
    const direct = async (): Promise<number> => {
      const driver = openDriver(datasource, { baseDir: dir });
      try {
        return (await driver.run(sql)).rows.length;
      } finally {
        await driver.close();
      }
    };
    const [engineRows, directRows] = [await engine(), await direct()];
    if (engineRows !== directRows) throw new Error(`engine returned ${engineRows} rows, direct SQL ${directRows}`);
    const times: Record<'engine' | 'direct', number[]> = { engine: [], direct: [] };
    for (let round = 0; round < 15; round++) {
      // Alternate which goes first so drift and caching favour neither.
      const order = round % 2 === 0 ? (['engine', 'direct'] as const) : (['direct', 'engine'] as const);
      for (const which of order) {
        const start = process.hrtime.bigint();
        await (which === 'engine' ? engine() : direct());
        times[which].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    const median = (values: number[]): number =>
      quantile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    const ratio = median(times.engine) / median(times.direct);
    console.log(
      `engine vs direct SQL on DuckDB, ${EVENT_ROWS.toLocaleString('en-US')} rows, ${engineRows} result rows, 15 alternating rounds`,
    );
    console.log(
      `  engine median ${median(times.engine).toFixed(1)} ms, direct median ${median(times.direct).toFixed(1)} ms, ratio ${ratio.toFixed(3)} (goal <= 1.05)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await benchPlanning();
  await benchEndToEnd();
  await benchPatch();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
