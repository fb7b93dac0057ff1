/**
 * A second server process for sqlite-storage.test.ts: `count` cache
 * refreshes of one model in a SLayer SQLite storage, each reading the model
 * and its revision, then patching random cache values with that revision.
 * Prints one JSON summary line on stdout when done.
 *
 * Usage: node sqlite-worker.cjs <db file> <model name> <count> <seed>
 */
import { mulberry32 } from '../../scripts/demo/data';
import { SqliteStorage } from '../../server/src/storage/sqlite-storage';

export interface SqliteWorkerSummary {
  operations: number;
  outcomes: Record<string, number>;
  maxMs: number;
}

async function main(): Promise<void> {
  const [file = '', name = '', count = '50', seed = '1'] = process.argv.slice(2);
  const rng = mulberry32(Number(seed));
  const storage = new SqliteStorage(file);
  const summary: SqliteWorkerSummary = { operations: 0, outcomes: {}, maxMs: 0 };
  for (let i = 0; i < Number(count); i++) {
    const started = performance.now();
    const stored = await storage.get(name);
    if (!stored) throw new Error(`model ${name} is gone`);
    const tag = Math.floor(rng() * 1e6);
    const result = await storage.patchModel(name, {
      expectedRevision: stored.revision,
      updates: {
        backing_query_sql: `SELECT ${tag} -- for ${stored.model.description ?? ''}`,
        columns: [{ name: `c_${tag}`, type: 'INT', primary_key: false, hidden: false }],
      },
    });
    summary.maxMs = Math.max(summary.maxMs, performance.now() - started);
    summary.operations++;
    const key = result.applied ? (result.changed ? 'written' : 'unchanged') : result.reason;
    summary.outcomes[key] = (summary.outcomes[key] ?? 0) + 1;
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
