/**
 * `npm run demo [outDir]`: generates the demo (default `<repo>/demo`), prints
 * a summary, runs `slayer-ls check` on the generated storage folder, then a
 * handful of queries through `slayer-ls query`, printed as tables. It exits
 * non-zero if any step fails, so the demo doubles as an end-to-end smoke test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { generateDemo } from './generate';
import type { GenerateDemoResult } from './generate';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI_PATH = path.join(REPO_ROOT, 'dist', 'slayer-ls.js');

function printSummary(result: GenerateDemoResult): void {
  const lines = ['SLayer Studio demo generated', '', 'Rows:'];
  const width = Math.max(...Object.keys(result.counts).map((table) => table.length));
  for (const [table, count] of Object.entries(result.counts)) {
    lines.push(`  ${table.padEnd(width)}  ${count.toLocaleString('en-US').padStart(9)}`);
  }
  const range = result.orderDateRange;
  lines.push(
    '',
    `Orders from ${range ? `${range.first} to ${range.last}` : '(no orders)'}`,
    '',
    `SQLite:         ${result.sqlitePath}`,
    `DuckDB:         ${result.duckdbPath}`,
    `SLayer storage: ${result.storageRoot}`,
    '',
    `Generated in ${(result.millis / 1000).toFixed(1)} s`,
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function runCheck(storageRoot: string): number {
  if (!existsSync(CLI_PATH)) {
    process.stderr.write(`Cannot run the check: ${CLI_PATH} does not exist. Build it first with \`npm run build\`.\n`);
    return 1;
  }
  process.stdout.write(`Running slayer-ls check --storage ${storageRoot}\n\n`);
  const child = spawnSync(process.execPath, [CLI_PATH, 'check', '--storage', storageRoot], { stdio: 'inherit' });
  if (child.error) {
    process.stderr.write(`Could not start slayer-ls: ${child.error.message}\n`);
    return 1;
  }
  // A null status means the CLI died from a signal; that is a failure too.
  return child.status ?? 1;
}

/** What the demo shows off: a time series, a join, a saved measure, a filtered column, and DuckDB. */
const DEMO_QUERIES: ReadonlyArray<{ title: string; query: unknown }> = [
  {
    title: 'Revenue by month (first six months)',
    query: {
      source_model: 'orders',
      time_dimensions: [{ dimension: 'ordered_at', granularity: 'month' }],
      measures: ['revenue', '*:count'],
      order: [{ column: 'ordered_at', direction: 'asc' }],
      limit: 6,
    },
  },
  {
    title: 'Top customers by revenue, through the customers join',
    query: {
      source_model: 'orders',
      dimensions: ['customers.name', 'customers.region'],
      measures: ['amount:sum', '*:count'],
      order: [{ column: 'amount:sum', direction: 'desc' }],
      limit: 5,
    },
  },
  {
    title: 'Average order value (a saved measure) per store',
    query: { source_model: 'orders', dimensions: ['stores.name'], measures: ['aov', 'completion_rate'], order: [{ column: 'aov', direction: 'desc' }] },
  },
  {
    title: 'Completed revenue (a filtered column) against all revenue, by year',
    query: {
      source_model: 'orders',
      time_dimensions: [{ dimension: 'ordered_at', granularity: 'year' }],
      measures: ['completed_amount:sum', 'amount:sum'],
      order: [{ column: 'ordered_at', direction: 'asc' }],
    },
  },
];

function runDemoQueries(storageRoot: string): number {
  for (const { title, query } of DEMO_QUERIES) {
    process.stdout.write(`\n${title}\n\n`);
    const child = spawnSync(process.execPath, [CLI_PATH, 'query', JSON.stringify(query), '--storage', storageRoot], {
      stdio: 'inherit',
    });
    if (child.status !== 0) return child.status ?? 1;
  }
  return 0;
}

async function main(): Promise<number> {
  const outDir = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'demo'));
  const result = await generateDemo(outDir);
  printSummary(result);
  const checked = runCheck(result.storageRoot);
  return checked !== 0 ? checked : runDemoQueries(result.storageRoot);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`Demo generation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
