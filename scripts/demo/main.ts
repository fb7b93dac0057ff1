/**
 * `npm run demo [outDir]`: generates the demo (default `<repo>/demo`), prints
 * a summary, then runs `slayer-ls check` on the generated storage folder and
 * exits with its status, so the demo doubles as an end-to-end smoke test.
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

async function main(): Promise<number> {
  const outDir = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'demo'));
  const result = await generateDemo(outDir);
  printSummary(result);
  return runCheck(result.storageRoot);
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
