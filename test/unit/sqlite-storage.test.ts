/**
 * The SQLite storage backend: SLayer's `models` table with an added
 * `revision`, the revision-checked patch (`UPDATE ... WHERE revision = ?`),
 * writers that know nothing of revisions (SLayer's own UPDATE and INSERT OR
 * REPLACE) still changing it, SLayer's older layout, and concurrent patches
 * and saves from this process and from two other processes losing no edit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { ErrorCode, isSlayerError } from '../../shared/src/errors';
import { modelDef, type ModelDef } from '../../server/src/engine/schema/types';
import { SqliteStorage } from '../../server/src/storage/sqlite-storage';
import type { CacheUpdates } from '../../server/src/storage/types';
import { bundleScript } from '../support/bundle';
import type { SqliteWorkerSummary } from '../support/sqlite-worker';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function dbFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'slayer-sqlite-storage-')), 'slayer.db');
}

function queryBacked(description: string): ModelDef {
  return modelDef('monthly', {
    description,
    data_source: 'shop',
    source_queries: [
      {
        version: 3,
        source_model: { kind: 'name', name: 'orders' },
        measures: [{ formula: 'amount:sum' }],
        whole_periods_only: false,
        distinct_dimension_values: true,
      },
    ],
    joins: [{ target_model: 'stores', join_pairs: [['store_id', 'id']], join_type: 'left' }],
    filters: ['amount > 0'],
    meta: { owner: 'ana' },
  });
}

const UPDATES: CacheUpdates = {
  columns: [{ name: 'amount_sum', type: 'DOUBLE', primary_key: false, hidden: false }],
  backing_query_sql: 'SELECT SUM(amount) AS amount_sum FROM orders',
};

function rawData(file: string, name: string): Record<string, unknown> {
  const db = new Database(file);
  try {
    const row = db.get('SELECT data FROM models WHERE name = ?', [name]);
    const data = row?.data;
    assert.equal(typeof data, 'string');
    return JSON.parse(data as string) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

describe('SqliteStorage', () => {
  test("save creates SLayer's tables with a revision column, bumps the revision on change, and get decodes", async () => {
    const file = dbFile();
    const storage = new SqliteStorage(file);
    const first = await storage.save(queryBacked('v1'));
    const second = await storage.save(queryBacked('v2'));
    assert.equal(Number(second), Number(first) + 1);
    assert.equal(await storage.save(queryBacked('v2')), second, 'an identical save writes nothing');
    const stored = await storage.get('monthly', 'shop');
    assert.equal(stored?.model.description, 'v2');
    assert.equal(stored?.revision, second);
    assert.deepEqual(
      (await storage.list()).map((s) => s.model.name),
      ['monthly'],
    );
    const db = new Database(file);
    const columns = db.all('PRAGMA table_info(models)').map((c) => c.name);
    db.close();
    assert.deepEqual(columns, ['data_source', 'name', 'data', 'revision']);
  });

  test('patchModel merges only the cache fields into the JSON and bumps the revision by one', async () => {
    const file = dbFile();
    const storage = new SqliteStorage(file);
    const revision = await storage.save(queryBacked('mine'));
    const before = rawData(file, 'monthly');
    const result = await storage.patchModel('monthly', { expectedRevision: revision, updates: UPDATES });
    assert.deepEqual(result, { applied: true, revision: String(Number(revision) + 1), changed: true });
    const after = rawData(file, 'monthly');
    assert.deepEqual(after.columns, [{ name: 'amount_sum', type: 'DOUBLE' }]);
    assert.equal(after.backing_query_sql, UPDATES.backing_query_sql);
    for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], `${key} untouched`);
  });

  test('a stale revision is refused and nothing is written; a current cache writes nothing', async () => {
    const file = dbFile();
    const storage = new SqliteStorage(file);
    const revision = await storage.save(queryBacked('mine'));
    const stale = await storage.patchModel('monthly', {
      expectedRevision: String(Number(revision) - 1),
      updates: UPDATES,
    });
    assert.equal(!stale.applied && stale.reason, 'revision-mismatch');
    assert.equal(rawData(file, 'monthly').backing_query_sql, undefined);
    const written = await storage.patchModel('monthly', { expectedRevision: revision, updates: UPDATES });
    assert.ok(written.applied);
    const again = await storage.patchModel('monthly', { expectedRevision: written.revision, updates: UPDATES });
    assert.deepEqual(again, { applied: true, revision: written.revision, changed: false });
    const missing = await storage.patchModel('nope', { expectedRevision: '1', updates: UPDATES });
    assert.equal(!missing.applied && missing.reason, 'not-found');
  });

  test('save with a stale expectedRevision is refused with SLAYER_CONFLICT', async () => {
    const storage = new SqliteStorage(dbFile());
    const revision = await storage.save(queryBacked('one'));
    await storage.save(queryBacked('two'));
    await assert.rejects(
      storage.save(queryBacked('three'), { expectedRevision: revision }),
      (e: unknown) => isSlayerError(e) && e.code === ErrorCode.Conflict,
    );
    assert.equal((await storage.get('monthly'))?.model.description, 'two');
  });

  test("writers that ignore the revision (SLayer's UPDATE, INSERT OR REPLACE) still change it, and never back to an old value", async () => {
    const file = dbFile();
    const storage = new SqliteStorage(file);
    const seen = new Set([await storage.save(queryBacked('mine'))]);
    const db = new Database(file);
    db.run('UPDATE models SET data = ? WHERE name = ?', [
      JSON.stringify({ name: 'monthly', description: 'slayer' }),
      'monthly',
    ]);
    const afterUpdate = (await storage.get('monthly'))?.revision ?? '';
    assert.ok(!seen.has(afterUpdate));
    seen.add(afterUpdate);
    db.run("DELETE FROM models WHERE name = 'monthly'");
    db.run('INSERT OR REPLACE INTO models (data_source, name, data) VALUES (?, ?, ?)', [
      'shop',
      'monthly',
      JSON.stringify({ name: 'monthly' }),
    ]);
    db.close();
    const afterReplace = (await storage.get('monthly'))?.revision ?? '';
    assert.ok(!seen.has(afterReplace), 'a re-created row starts above every revision issued before');
    for (const old of seen) {
      const result = await storage.patchModel('monthly', { expectedRevision: old, updates: UPDATES });
      assert.equal(!result.applied && result.reason, 'revision-mismatch');
    }
  });

  test("SLayer's older layout, models(name PRIMARY KEY, data), gets the revision column and works", async () => {
    const file = dbFile();
    const db = new Database(file);
    db.exec('CREATE TABLE models (name TEXT PRIMARY KEY, data TEXT NOT NULL)');
    db.run('INSERT INTO models (name, data) VALUES (?, ?)', [
      'monthly',
      JSON.stringify({ name: 'monthly', description: 'old', source_queries: [{ source_model: 'orders' }] }),
    ]);
    db.close();
    const storage = new SqliteStorage(file);
    const stored = await storage.get('monthly');
    assert.equal(stored?.model.description, 'old');
    const result = await storage.patchModel('monthly', { expectedRevision: stored?.revision ?? '', updates: UPDATES });
    assert.ok(result.applied && result.changed);
    assert.equal(rawData(file, 'monthly').description, 'old');
  });

  test('concurrent patches and saves in one process: every save survives, stale patches are refused', async () => {
    const file = dbFile();
    const storages = Array.from({ length: 4 }, () => new SqliteStorage(file));
    await storages[0]?.save(queryBacked('edit 0'));
    let lost = 0;
    const outcomes: Record<string, number> = {};
    const refreshes = storages.map(async (storage, i) => {
      for (let n = 0; n < 15; n++) {
        const stored = await storage.get('monthly');
        await sleep(Math.random() * 2);
        const result = await storage.patchModel('monthly', {
          expectedRevision: stored?.revision ?? '',
          updates: { backing_query_sql: `SELECT ${i}.${n} -- for ${stored?.model.description ?? ''}` },
        });
        const key = result.applied ? (result.changed ? 'written' : 'unchanged') : result.reason;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      }
    });
    const user = (async () => {
      for (let k = 1; k <= 10; k++) {
        const stored = await storages[0]?.get('monthly');
        if (stored?.model.description !== `edit ${k - 1}`) lost++;
        await storages[0]?.save({ ...(stored?.model ?? queryBacked('')), description: `edit ${k}` });
        await sleep(Math.random() * 3);
      }
    })();
    await Promise.all([...refreshes, user]);
    const final = await storages[0]?.get('monthly');
    assert.equal(final?.model.description, 'edit 10');
    assert.equal(lost, 0);
    assert.ok((outcomes['revision-mismatch'] ?? 0) > 0 && (outcomes.written ?? 0) > 0, JSON.stringify(outcomes));
  });

  test('two processes patching while this one saves: no lost save, no deadlock, bounded operations', async (t) => {
    const script = await bundleScript(path.join(__dirname, '..', 'support', 'sqlite-worker.ts'));
    const file = dbFile();
    const storage = new SqliteStorage(file);
    await storage.save(queryBacked('edit 0'));
    const started = Date.now();
    const workers = [1, 2].map((seed) => {
      const child = spawn(process.execPath, [script, file, 'monthly', '60', String(seed)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const state = { running: true, done: Promise.resolve({} as SqliteWorkerSummary) };
      state.done = new Promise((resolve, reject) =>
        child.on('close', (code) => {
          state.running = false;
          if (code === 0) resolve(JSON.parse(out) as SqliteWorkerSummary);
          else reject(new Error(`sqlite worker exited with ${code}: ${err}`));
        }),
      );
      return state;
    });
    let version = 0;
    let lost = 0;
    while (workers.some((worker) => worker.running)) {
      const stored = await storage.get('monthly');
      if (stored?.model.description !== `edit ${version}`) lost++;
      version++;
      await storage.save({ ...(stored?.model ?? queryBacked('')), description: `edit ${version}` });
      await sleep(2 + Math.random() * 4);
      assert.ok(Date.now() - started < 40_000, 'no deadlock');
    }
    const summaries = await Promise.all(workers.map((worker) => worker.done));
    const outcomes: Record<string, number> = {};
    for (const s of summaries) for (const [k, n] of Object.entries(s.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
    t.diagnostic(
      `sqlite two-process patches: ${summaries.reduce((n, s) => n + s.operations, 0)} ${JSON.stringify(outcomes)}`,
    );
    t.diagnostic(
      `saves from this process: ${version}, lost: ${lost}; slowest patch: ${Math.max(...summaries.map((s) => s.maxMs)).toFixed(1)} ms`,
    );
    assert.equal(lost, 0);
    assert.equal((await storage.get('monthly'))?.model.description, `edit ${version}`);
    assert.equal(outcomes.locked ?? 0, 0, 'nobody gave up on the lock');
    assert.ok(!existsSync(`${file}.lock`) && !existsSync(`${file}-journal`), 'no lock or journal is left');
  });
});
