/**
 * The YAML storage on real files: the patch keeps the file mode and a
 * symlink, refuses a stale revision without writing, writes nothing when the
 * cache is already current, gives up on a held lock in bounded time, and
 * `recoverStorage` removes what a crashed writer left. Plus the rest of the
 * storage contract: get, list, save, delete.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import { ErrorCode, isSlayerError } from '../../shared/src/errors';
import { columnDef, modelDef, type ModelDef } from '../../server/src/engine/schema/types';
import { acquireFileLock } from '../../server/src/storage/file-lock';
import { revisionOf } from '../../server/src/storage/revision';
import type { CacheUpdates } from '../../server/src/storage/types';
import { recoverStorage, YamlStorage } from '../../server/src/storage/yaml-storage';
import { makeStorageRoot } from '../support/fixtures';

const MODEL = [
  '# monthly revenue, query-backed',
  'name: monthly',
  'description: Revenue per month',
  'source_queries:',
  '  - source_model: orders',
  '    measures: [amount:sum]',
  'data_source: shop',
  '',
].join('\n');

const UPDATES: CacheUpdates = {
  columns: [{ name: 'amount_sum', type: 'DOUBLE', primary_key: false, hidden: false }],
  backing_query_sql: 'SELECT SUM(amount) AS amount_sum FROM orders',
};

function storageWith(files: Record<string, string>): { root: string; storage: YamlStorage; file: string } {
  const fixture = makeStorageRoot(files);
  return { root: fixture.root, storage: new YamlStorage(fixture.root), file: fixture.file('models/shop/monthly.yaml') };
}

/** Everything a writer may leave next to a model: temp files, lock directories, lock intents. */
function litter(dir: string): string[] {
  return readdirSync(dir).filter((name) => /slayer-tmp-|slayer-lock-|\.lock$/.test(name));
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid);
  return child.pid;
}

describe('YamlStorage.patchModel on real files', () => {
  test('writes the cache and returns the SHA-256 of the bytes now on disk, leaving no temp file or lock', async () => {
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    const before = await storage.get('monthly');
    assert.ok(before);
    assert.equal(before.revision, revisionOf(readFileSync(file)));
    const result = await storage.patchModel('monthly', { expectedRevision: before.revision, updates: UPDATES });
    assert.ok(result.applied && result.changed);
    assert.equal(result.revision, revisionOf(readFileSync(file)));
    assert.ok(readFileSync(file, 'utf8').startsWith(MODEL.trimEnd()), 'the user text is a prefix: keys were appended');
    assert.deepEqual(litter(path.dirname(file)), []);
    const after = await storage.get('monthly');
    assert.equal(after?.model.backing_query_sql, UPDATES.backing_query_sql);
  });

  test('a 0640 model stays 0640', async () => {
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    chmodSync(file, 0o640);
    const result = await storage.patchModel('monthly', {
      expectedRevision: revisionOf(readFileSync(file)),
      updates: UPDATES,
    });
    assert.ok(result.applied && result.changed);
    assert.equal(statSync(file).mode & 0o777, 0o640);
  });

  test('a symlinked model: the link stays a link and its target is patched in place', async () => {
    const { root, storage } = storageWith({ 'shared/monthly.yaml': MODEL });
    mkdirSync(path.join(root, 'models/shop'), { recursive: true });
    const link = path.join(root, 'models/shop/monthly.yaml');
    symlinkSync('../../shared/monthly.yaml', link);
    const target = path.join(root, 'shared/monthly.yaml');
    const result = await storage.patchModel('monthly', {
      expectedRevision: revisionOf(readFileSync(target)),
      updates: UPDATES,
    });
    assert.ok(result.applied && result.changed);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), '../../shared/monthly.yaml');
    assert.ok(readFileSync(target, 'utf8').includes('backing_query_sql: SELECT SUM(amount)'));
    assert.equal(result.revision, revisionOf(readFileSync(target)));
    assert.deepEqual(litter(path.join(root, 'shared')), []);
  });

  test('a stale revision is refused and nothing is written (same bytes, same mtime)', async () => {
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    const past = new Date(Date.now() - 60_000);
    utimesSync(file, past, past);
    const mtime = statSync(file).mtimeMs;
    const result = await storage.patchModel('monthly', {
      expectedRevision: revisionOf(Buffer.from('old')),
      updates: UPDATES,
    });
    assert.equal(result.applied, false);
    assert.equal(!result.applied && result.reason, 'revision-mismatch');
    assert.equal(readFileSync(file, 'utf8'), MODEL);
    assert.equal(statSync(file).mtimeMs, mtime);
    assert.deepEqual(litter(path.dirname(file)), []);
  });

  test('a patch withdrawn at the last moment (the editor buffer became dirty) writes nothing and leaves no litter', async () => {
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    let asked = 0;
    const result = await storage.patchModel('monthly', {
      expectedRevision: revisionOf(readFileSync(file)),
      updates: UPDATES,
      stillWanted: () => {
        asked++;
        return false;
      },
    });
    assert.equal(asked, 1, 'asked once, just before the rename');
    assert.equal(!result.applied && result.reason, 'withdrawn');
    assert.equal(readFileSync(file, 'utf8'), MODEL);
    assert.deepEqual(litter(path.dirname(file)), []);
  });

  test('a cache that already holds the values is not written: applied, changed=false, mtime unchanged', async () => {
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    const first = await storage.patchModel('monthly', {
      expectedRevision: revisionOf(readFileSync(file)),
      updates: UPDATES,
    });
    assert.ok(first.applied);
    const past = new Date(Date.now() - 60_000);
    utimesSync(file, past, past);
    const mtime = statSync(file).mtimeMs;
    const again = await storage.patchModel('monthly', { expectedRevision: first.revision, updates: UPDATES });
    assert.deepEqual(again, { applied: true, revision: first.revision, changed: false });
    assert.equal(statSync(file).mtimeMs, mtime);
  });

  test('a lock held by another writer makes the patch give up within the bounded retries', async () => {
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    const held = await acquireFileLock(file);
    try {
      const started = Date.now();
      const result = await storage.patchModel('monthly', {
        expectedRevision: revisionOf(readFileSync(file)),
        updates: UPDATES,
      });
      assert.equal(!result.applied && result.reason, 'locked');
      assert.ok(Date.now() - started < 5000, 'bounded wait');
      assert.equal(readFileSync(file, 'utf8'), MODEL);
    } finally {
      await held.release();
    }
    assert.deepEqual(litter(path.dirname(file)), []);
  });

  test('a file that is not valid YAML is refused as unparseable and left byte-identical', async () => {
    const broken = 'name: monthly\ncolumns: [a, b\n';
    const { storage, file } = storageWith({ 'models/shop/monthly.yaml': broken });
    const result = await storage.patchModel('monthly', {
      expectedRevision: revisionOf(Buffer.from(broken)),
      updates: UPDATES,
    });
    assert.equal(!result.applied && result.reason, 'unparseable');
    assert.equal(readFileSync(file, 'utf8'), broken);
  });

  test('an unknown model or a path-traversal name is not found, never a path outside models/', async () => {
    const { storage } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    for (const name of ['nope', '../monthly', '..', 'shop/monthly']) {
      const result = await storage.patchModel(name, { expectedRevision: 'x', updates: UPDATES });
      assert.equal(!result.applied && result.reason, 'not-found', name);
    }
  });
});

describe('recoverStorage', () => {
  test("removes temp files, locks and intents of dead writers and stale locks; keeps a live process's", async () => {
    const { root, file } = storageWith({
      'models/shop/monthly.yaml': MODEL,
      'models/shop/other.yaml': 'name: other\n',
    });
    const dir = path.dirname(file);
    const dead = deadPid();
    writeFileSync(path.join(dir, `.monthly.yaml.slayer-tmp-${dead}-0a1b2c`), 'half');
    mkdirSync(path.join(dir, 'monthly.yaml.lock'));
    writeFileSync(path.join(dir, `.monthly.yaml.slayer-lock-${dead}-0a1b`), `${dead}\n`);
    const live = path.join(dir, `.other.yaml.slayer-tmp-${process.pid}-ffee00`);
    writeFileSync(live, 'in progress');
    const stale = path.join(dir, 'other.yaml.lock');
    mkdirSync(stale);
    const old = new Date(Date.now() - 60_000);
    utimesSync(stale, old, old);
    const report = await recoverStorage(root);
    assert.equal(report.tempFiles.length, 1);
    assert.equal(report.locks.length, 2);
    assert.equal(report.intents.length, 1);
    assert.deepEqual(litter(dir), [path.basename(live)], "only the live process's temp file remains");
  });

  test('a fresh lock with no intent (another tool using proper-lockfile) is left alone', async () => {
    const { root, file } = storageWith({ 'models/shop/monthly.yaml': MODEL });
    mkdirSync(`${file}.lock`);
    const report = await recoverStorage(root);
    assert.deepEqual(report, { tempFiles: [], locks: [], intents: [] });
    assert.ok(existsSync(`${file}.lock`));
  });
});

function model(overrides: Partial<ModelDef>): ModelDef {
  return modelDef('customers', {
    data_source: 'shop',
    sql_table: 'customers',
    columns: [columnDef('id', 'INT', { primary_key: true })],
    ...overrides,
  });
}

describe('YamlStorage: get, list, save, delete', () => {
  test("save writes models/<data_source>/<name>.yaml in SLayer's field order and returns its revision", async () => {
    const { root, storage } = storageWith({});
    const revision = await storage.save(model({ description: 'People who order', filters: ['id > 0'] }));
    const file = path.join(root, 'models/shop/customers.yaml');
    assert.equal(revision, revisionOf(readFileSync(file)));
    const keys = Object.keys(parseDocument(readFileSync(file, 'utf8')).toJS() as object);
    assert.deepEqual(keys, ['version', 'name', 'sql_table', 'data_source', 'columns', 'filters', 'description']);
    const stored = await storage.get('customers', 'shop');
    assert.equal(stored?.model.description, 'People who order');
    assert.equal(stored?.file, file);
  });

  test('save refuses a stale expectedRevision with SLAYER_CONFLICT and leaves the file as it was', async () => {
    const { storage } = storageWith({});
    const first = await storage.save(model({}));
    await assert.rejects(
      storage.save(model({ description: 'changed' }), { expectedRevision: revisionOf(Buffer.from('other')) }),
      (error: unknown) => isSlayerError(error) && error.code === ErrorCode.Conflict,
    );
    assert.equal((await storage.get('customers'))?.revision, first);
    const second = await storage.save(model({ description: 'changed' }), { expectedRevision: first });
    assert.notEqual(second, first);
  });

  test('saving the same model again writes nothing (mtime unchanged)', async () => {
    const { root, storage } = storageWith({});
    const revision = await storage.save(model({}));
    const file = path.join(root, 'models/shop/customers.yaml');
    const past = new Date(Date.now() - 60_000);
    utimesSync(file, past, past);
    const mtime = statSync(file).mtimeMs;
    assert.equal(await storage.save(model({})), revision);
    assert.equal(statSync(file).mtimeMs, mtime);
  });

  test('list finds the data-source folders and the legacy flat layout; delete removes one file', async () => {
    const { storage } = storageWith({
      'models/shop/monthly.yaml': MODEL,
      'models/legacy.yaml': 'name: legacy\nsql_table: t\n',
      'models/shop/.hidden.yaml': 'name: hidden\n',
      'models/shop/notes.txt': 'not a model',
    });
    assert.deepEqual((await storage.list()).map((s) => s.model.name).sort(), ['legacy', 'monthly']);
    assert.equal((await storage.get('legacy'))?.model.sql_table, 't');
    assert.equal(await storage.delete('legacy'), true);
    assert.equal(await storage.delete('legacy'), false);
    assert.equal(await storage.get('legacy'), undefined);
  });

  test('the same name in two data-source folders needs the data source to tell them apart', async () => {
    const { storage } = storageWith({
      'models/shop/orders.yaml': 'name: orders\nsql_table: a\ndata_source: shop\n',
      'models/warehouse/orders.yaml': 'name: orders\nsql_table: b\ndata_source: warehouse\n',
    });
    await assert.rejects(
      storage.get('orders'),
      (error: unknown) => isSlayerError(error) && error.code === ErrorCode.InvalidInput,
    );
    assert.equal((await storage.get('orders', 'warehouse'))?.model.sql_table, 'b');
  });

  test('names with path separators are rejected before any file is touched', async () => {
    const { storage } = storageWith({});
    await assert.rejects(
      storage.save(model({ name: '../escape' })),
      (e: unknown) => isSlayerError(e) && e.code === ErrorCode.InvalidInput,
    );
    await assert.rejects(storage.get('a/b'), (e: unknown) => isSlayerError(e) && e.code === ErrorCode.InvalidInput);
  });
});
