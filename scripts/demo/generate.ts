/**
 * Builds the whole demo: generated data in SQLite and DuckDB, plus a SLayer
 * storage folder pointing at both. Same seed, same data.
 */
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_DEMO_OPTIONS, generateDemoData, rowCounts } from './data';
import { writeDuckdb } from './write-duckdb';
import { writeSlayerFolder } from './slayer-folder';
import { writeSqlite } from './write-sqlite';

export interface GenerateDemoOptions {
  orders?: number;
  seed?: number;
}

export interface GenerateDemoResult {
  sqlitePath: string;
  duckdbPath: string;
  storageRoot: string;
  counts: Record<string, number>;
  /** First and last `order_date`, or null when there are no orders. */
  orderDateRange: { first: string; last: string } | null;
  millis: number;
}

export async function generateDemo(outDir: string, options: GenerateDemoOptions = {}): Promise<GenerateDemoResult> {
  const started = performance.now();
  const root = path.resolve(outDir);
  const dataDir = path.join(root, 'data');
  const sqlitePath = path.join(dataDir, 'jaffle.sqlite');
  const duckdbPath = path.join(dataDir, 'jaffle.duckdb');
  const storageRoot = path.join(root, 'slayer');

  const data = generateDemoData({
    ...DEFAULT_DEMO_OPTIONS,
    seed: options.seed ?? DEFAULT_DEMO_OPTIONS.seed,
    orders: options.orders ?? DEFAULT_DEMO_OPTIONS.orders,
  });

  await mkdir(dataDir, { recursive: true });
  writeSqlite(sqlitePath, data);
  await writeDuckdb(duckdbPath, data);
  // The storage folder is fully generated; clearing it first means a model
  // dropped from the templates does not linger from an earlier run.
  await rm(storageRoot, { recursive: true, force: true });
  await writeSlayerFolder(storageRoot, { sqlitePath, duckdbPath });

  const first = data.orders[0];
  const last = data.orders[data.orders.length - 1];
  return {
    sqlitePath,
    duckdbPath,
    storageRoot,
    counts: rowCounts(data),
    orderDateRange: first && last ? { first: first.order_date, last: last.order_date } : null,
    millis: Math.round(performance.now() - started),
  };
}
