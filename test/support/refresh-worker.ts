/**
 * A second (or third) server process for storage-processes.test.ts: `count`
 * cache refreshes of one query-backed model, each with random cache values,
 * through YamlStorage.patchModel, as fast as it can. Prints one JSON summary
 * line on stdout when done.
 *
 * Usage: node refresh-worker.cjs <storage root> <count> <seed> <per-op timeout ms>
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { mulberry32 } from '../../scripts/demo/data';
import { revisionOf } from '../../server/src/storage/revision';
import type { PatchResult } from '../../server/src/storage/types';
import { YamlStorage } from '../../server/src/storage/yaml-storage';
import { cacheFor, MODEL_NAME } from './refresh-model';

export interface WorkerSummary {
  pid: number;
  operations: number;
  outcomes: Record<string, number>;
  /** Refusals that put back an uncooperative write which raced the rename. */
  restoredLateWrites: number;
  timeouts: number;
  maxMs: number;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function refreshOnce(storage: YamlStorage, file: string, variant: number): Promise<PatchResult | 'torn-read'> {
  const bytes = await readFile(file);
  let updates;
  try {
    updates = cacheFor(bytes.toString('utf8'), variant);
  } catch {
    // Read while the external writer was halfway through its in-place write: a real server skips it too.
    return 'torn-read';
  }
  return storage.patchModel(MODEL_NAME, { expectedRevision: revisionOf(bytes), updates, dataSource: 'shop' });
}

async function main(): Promise<void> {
  const [root = '', count = '100', seed = '1', timeout = '10000'] = process.argv.slice(2);
  const rng = mulberry32(Number(seed));
  const storage = new YamlStorage(root);
  const file = path.join(root, 'models', 'shop', `${MODEL_NAME}.yaml`);
  const summary: WorkerSummary = {
    pid: process.pid,
    operations: 0,
    outcomes: {},
    restoredLateWrites: 0,
    timeouts: 0,
    maxMs: 0,
  };
  for (let i = 0; i < Number(count); i++) {
    const started = performance.now();
    const result = await withTimeout(refreshOnce(storage, file, Math.floor(rng() * 1e6)), Number(timeout));
    summary.maxMs = Math.max(summary.maxMs, performance.now() - started);
    summary.operations++;
    if (result === 'timeout') summary.timeouts++;
    const key =
      typeof result === 'string' ? result : result.applied ? (result.changed ? 'written' : 'unchanged') : result.reason;
    summary.outcomes[key] = (summary.outcomes[key] ?? 0) + 1;
    if (typeof result !== 'string' && !result.applied && /written in place during the rename/.test(result.detail)) {
      summary.restoredLateWrites++;
    }
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
